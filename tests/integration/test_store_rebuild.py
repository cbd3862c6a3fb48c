"""The local ticket store of an earlier release (a file of its own, ``tickets.db``) lost,
or restored from an older backup than the ledger, before it was moved into the ledger.

The ledger (``state.db``) is the source of truth for what the local store should hold. A
store that does not match it is found before anything is written, with one line that says
to run ``tickets rebuild``; the rebuild makes the store hold what a clean run holds, with
the same ticket keys, and keeps the old file aside.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dirsync_bridge import bootstrap
from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import Fatal, StoreMismatch
from dirsync_bridge.pipeline import replay
from dirsync_bridge.store_rebuild import RebuildSummary, rebuild_store

from ..earlier_release import export_store, to_earlier_release
from ..reportgen import LARGE, report_email
from .conftest import CORPUS, FIRST, REST, cli, local_tickets, make_config, outcome
from .test_replay import without_superseded, write_history


def rebuild(config: Config) -> RebuildSummary:
    """``tickets rebuild``, with the parts the command gets from bootstrap."""
    texts, policy = bootstrap.ticket_texts(config), bootstrap.policy(config)
    return rebuild_store(config, texts, policy)


def store_files(config: Config) -> list[Path]:
    path = config.state.local_tickets_path
    return [p for p in (path, *path.parent.glob(path.name + "-*")) if p.exists()]


def lose_store(config: Config) -> None:
    """The state as an earlier release left it, its store file lost."""
    to_earlier_release(config.state.directory)
    for path in store_files(config):
        path.unlink()


def backup_store(config: Config, to: Path) -> None:
    """A copy of the store as an earlier release's file, in the folder ``to``."""
    to.mkdir()
    export_store(config.state.path, to / config.state.local_tickets_path.name)


def restore_store(config: Config, backup: Path) -> None:
    """The state as an earlier release left it, its store file replaced by ``backup``'s."""
    lose_store(config)
    for path in backup.iterdir():
        shutil.copy2(path, config.state.directory / path.name)


def new_report(tmp_path: Path) -> Path:
    path = tmp_path / "new.eml"
    at = datetime(2031, 1, 1, tzinfo=UTC)
    path.write_bytes(report_email("Contoso", at, [("new@contoso.com", LARGE)], "n@rebuild"))
    return path


def test_a_lost_store_is_found_before_anything_is_written(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS, config)
    lose_store(config)
    with pytest.raises(StoreMismatch) as raised:
        replay([new_report(tmp_path)], config)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{config.state.path}: the local ticket store ")
    assert message.endswith("run `dirsync-bridge tickets rebuild` to rebuild it from the ledger")
    assert isinstance(raised.value, Fatal)
    assert keys_of(config) == []  # nothing written
    with pytest.raises(StoreMismatch):  # and the same on every run until it is rebuilt
        replay([new_report(tmp_path)], config, dry_run=True)


def test_a_store_restored_from_an_older_backup_is_found(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")
    replay(FIRST, config)
    backup_store(config, tmp_path / "backup")
    replay(REST, config)
    restore_store(config, tmp_path / "backup")
    with pytest.raises(StoreMismatch, match="older than the ledger"):
        replay(CORPUS, config)


def test_a_store_restored_from_a_backup_of_the_last_run_is_accepted(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS, config)
    backup_store(config, tmp_path / "backup")
    restore_store(config, tmp_path / "backup")
    assert replay([new_report(tmp_path)], config).created == 1


def test_rebuild_after_a_lost_store_ends_as_a_clean_run_with_the_same_keys(
    tmp_path: Path, clean: dict[str, object]
) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS, config)
    keys = named_keys(config)
    lose_store(config)
    summary = rebuild(config)
    assert summary.kept == 0 and summary.restored == len(keys)
    assert outcome(config) == clean
    assert named_keys(config) == keys
    again = replay(CORPUS, config)
    assert again.writes == []
    assert replay([new_report(tmp_path)], config).created == 1
    assert f"LOCAL-{len(keys) + 1}" in keys_of(config)


def test_rebuild_after_an_older_backup_ends_as_a_clean_run_and_keeps_the_old_file(
    tmp_path: Path, clean: dict[str, object]
) -> None:
    config = make_config(tmp_path / "state")
    replay(FIRST, config)
    backup_store(config, tmp_path / "backup")
    replay(REST, config)
    restore_store(config, tmp_path / "backup")
    old = (tmp_path / "backup" / "tickets.db").read_bytes()
    summary = rebuild(config)
    assert summary.kept > 0 and summary.restored > 0
    assert summary.set_aside is not None and summary.set_aside.read_bytes() == old
    assert outcome(config) == clean
    assert replay(CORPUS, config).writes == []


def test_rebuild_of_a_damaged_store_starts_from_the_ledger_alone(
    tmp_path: Path, clean: dict[str, object]
) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS, config)
    to_earlier_release(config.state.directory).write_bytes(b"garbage" * 1000)
    with pytest.raises(Fatal, match="the local ticket store is damaged"):
        replay(CORPUS, config)
    rebuild(config)
    assert outcome(config) == clean


def test_rebuild_of_a_store_that_matches_changes_nothing(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS, config)
    before = outcome(config)
    summary = rebuild(config)
    assert summary.restored == 0 and summary.writes == 0
    assert outcome(config) == before


def test_superseded_tickets_come_back_with_their_comment_and_status(tmp_path: Path) -> None:
    # The history of test_replay's superseded case: a ticket opened on part of the history,
    # merged into the first once the rest arrived. Its description was rendered from an
    # episode that no longer exists, so the ledger alone cannot write it again.
    rows: list[list[str | None]] = [[None, "A", None, None], *[[None] * 4] * 5]
    rows += [[None, "A", None, None], [None] * 4, [None, "Q", None, None]]
    paths = write_history(tmp_path / "mail", rows, [3, 3, 3, 3, 3, 3, 480, 480, 3])
    by_name = {p.name: p for p in paths}
    config = make_config(tmp_path / "runs")
    for name in ("r000", "r008", "r005", "r003", "r001", "r007", "r002", "r004", "r006"):
        replay([by_name[f"{name}.eml"]], config)
    before = outcome(config)
    lose_store(config)
    rebuild(config)
    after = outcome(config)
    assert without_superseded(after) == without_superseded(before)
    for name, ticket in after["tickets"].items():
        if any(":superseded:" in c for c in ticket["comments"]):
            old = before["tickets"][name]
            assert {k: v for k, v in ticket.items() if k != "description"} == {
                k: v for k, v in old.items() if k != "description"
            }
            assert "rebuilt from the ledger" in ticket["description"]


@pytest.mark.slow
def test_a_rebuild_killed_at_any_step_is_finished_by_the_next_one(
    tmp_path: Path, clean: dict[str, object]
) -> None:
    config = make_config(tmp_path / "state")
    replay(FIRST, config)
    backup_store(config, tmp_path / "backup")
    replay(REST, config)
    restore_store(config, tmp_path / "backup")
    for point in ("rebuild-store-built", "rebuild-store-swapped", "after-sink-write"):
        done = cli(config, "tickets", "rebuild", crash_at=f"{point}:1")
        assert done.returncode == -signal.SIGKILL, (point, done.stderr)
    # A killed rebuild leaves either the mismatch (a run says to rebuild again) or, once the
    # ledger has adopted the new store, flags that any run finishes as after a crash.
    replay(CORPUS, config)
    assert outcome(config) == clean


def test_the_sequence_never_gives_an_old_key_to_a_new_ticket(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")
    history = write_history(
        tmp_path / "mail", [["A", "A", None, None], ["A", "A", "A", None]], [3, 3]
    )
    replay(history[:1], config)
    backup_store(config, tmp_path / "backup")
    replay(history[1:], config)
    restore_store(config, tmp_path / "backup")
    rebuild(config)
    assert keys_of(config) == ["LOCAL-1", "LOCAL-2", "LOCAL-3"]
    replay([new_report(tmp_path)], config)
    assert keys_of(config) == ["LOCAL-1", "LOCAL-2", "LOCAL-3", "LOCAL-4"]


def keys_of(config: Config) -> list[str]:
    return sorted(t.key for t in local_tickets(config))


def named_keys(config: Config) -> dict[str, str]:
    return {t.key: t.idempotency_key for t in local_tickets(config)}


def test_a_key_the_ledger_gave_twice_is_given_a_new_one(
    tmp_path: Path, clean: dict[str, object]
) -> None:
    # What a run before the store check could leave: a store lost, new tickets created in
    # an empty store under keys the ledger had already given to others.
    config = make_config(tmp_path / "state")
    replay(CORPUS, config)
    conn = sqlite3.connect(config.state.path)
    conn.execute("UPDATE tickets SET key = 'LOCAL-1' WHERE key = 'LOCAL-2'")
    conn.commit()
    conn.close()
    lose_store(config)
    rebuild(config)
    assert outcome(config) == clean
    keys = keys_of(config)
    assert len(keys) == len(set(keys)) and "LOCAL-2" not in keys


def forget_pairing(config: Config) -> None:
    """The ledger as a version without the store check left it: no pairing recorded."""
    conn = sqlite3.connect(config.state.path)
    conn.execute("DELETE FROM store_pairing")
    conn.commit()
    conn.close()


def test_a_ledger_from_before_the_check_is_compared_ticket_by_ticket_once(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS, config)
    forget_pairing(config)
    assert replay([new_report(tmp_path)], config).created == 1  # the store matches: paired
    conn = sqlite3.connect(config.state.path)
    assert conn.execute("SELECT count(*) FROM store_pairing").fetchone()[0] == 1
    conn.close()

    backup_store(config, tmp_path / "backup")
    forget_pairing(config)
    lose_store(config)
    with pytest.raises(StoreMismatch, match=r"does not match the ledger: it has no ticket LOCAL-1"):
        replay(CORPUS, config)
    restore_store(config, tmp_path / "backup")
    conn = sqlite3.connect(config.state.local_tickets_path)
    conn.execute("UPDATE comments SET body = 'edited' WHERE id = (SELECT min(id) FROM comments)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreMismatch, match="is not what the ledger recorded writing"):
        replay(CORPUS, config)


def digests(first: Path) -> dict[str, str]:
    """The content of a store file and of its log beside it, by suffix."""
    return {
        suffix: hashlib.sha256(path.read_bytes()).hexdigest()
        for suffix in ("", "-wal")
        if (path := first.with_name(first.name + suffix)).exists()
    }


def test_a_second_rebuild_keeps_what_the_first_set_aside(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")
    replay(FIRST, config)
    backup_store(config, tmp_path / "backup")
    replay(CORPUS, config)
    restore_store(config, tmp_path / "backup")  # an older backup: the user's file to keep
    original = digests(config.state.local_tickets_path)

    first = rebuild(config)
    assert first.set_aside is not None
    assert digests(first.set_aside) == original
    # A decoy in the way of the third name: it is skipped, not overwritten.
    decoy = first.set_aside.with_name(first.set_aside.name + "-3-wal")
    decoy.write_bytes(b"someone's file")
    for _again in range(2):  # the old file put back (a script, a retry...), and rebuilt
        shutil.copy2(tmp_path / "backup" / "tickets.db", config.state.local_tickets_path)
        assert rebuild(config).set_aside is not None
    second = first.set_aside.with_name(first.set_aside.name + "-2")
    third = first.set_aside.with_name(first.set_aside.name + "-4")
    assert digests(second) == digests(third) == digests(tmp_path / "backup" / "tickets.db")
    assert digests(first.set_aside) == original  # what the first rebuild said it kept
    assert decoy.read_bytes() == b"someone's file"
