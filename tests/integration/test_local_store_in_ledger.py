"""The local ticket store kept in the ledger's own file.

A store of an earlier release (a file of its own, ``tickets.db``) is moved in once, as it
was, whenever a run is killed; nothing reads it after. A ticket write commits with the
intent before it and the ledger's record of it: a run killed anywhere leaves neither an
intent nor a write without its record, and a batch of writes is one commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge import bootstrap
from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import DirsyncBridgeError, Retriable
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay, run_pass
from dirsync_bridge.sinks.local import LocalStore

from ..earlier_release import MOVED, to_earlier_release
from ..reportgen import duplicate, report_email
from .conftest import CORPUS, FIRST, REST, cli, keys_kept, make_config, outcome
from .test_crash import build_corpus


def cli_replay(config: Config, paths: list[Path], crash_at: str = "") -> int:
    """``dirsync-bridge replay`` in a process of its own (killed where ``crash_at`` says)."""
    return cli(config, "replay", *map(str, paths), crash_at=crash_at).returncode


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_an_earlier_releases_store_is_moved_in_and_runs_go_on_as_if_it_had_never_left(
    earlier: tuple[Config, dict[str, str]], clean: dict[str, object]
) -> None:
    config, before = earlier
    separate = config.state.local_tickets_path

    replay(REST, config)

    assert outcome(config) == clean
    keys_kept(config, before)  # every ticket under its own key
    assert not separate.exists() and (config.state.directory / MOVED).is_file()
    assert replay(CORPUS, config).writes == []


def test_a_move_killed_once_it_committed_is_only_set_aside_by_the_next_run(
    earlier: tuple[Config, dict[str, str]], clean: dict[str, object]
) -> None:
    config, before = earlier
    separate = config.state.local_tickets_path

    assert cli_replay(config, REST, "store-moved-in:1") == -signal.SIGKILL
    assert separate.exists()  # moved in, not yet set aside
    assert cli_replay(config, REST) in (0, 1)

    assert outcome(config) == clean
    after = keys_kept(config, before)
    assert len(after) == len(set(after.values()))
    assert not separate.exists() and (config.state.directory / MOVED).is_file()


def test_a_dry_run_of_the_move_changes_no_file_and_plans_what_the_run_does(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "state")
    replay(FIRST, config)
    to_earlier_release(config.state.directory)
    untouched = digests(config.state.directory)

    planned = replay(REST, config, dry_run=True)

    assert digests(config.state.directory) == untouched
    done = replay(REST, config)
    assert planned.writes == done.writes and done.writes


def test_the_store_file_put_back_after_the_move_is_set_aside_again_and_another_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(tmp_path / "state")
    replay(FIRST, config)
    to_earlier_release(config.state.directory)
    replay(REST, config)
    moved = config.state.directory / MOVED
    settled = outcome(config)

    shutil.copy2(moved, config.state.local_tickets_path)  # the same store, put back
    replay(REST, config)
    assert (config.state.directory / (MOVED + "-2")).is_file()
    assert not config.state.local_tickets_path.exists()

    other = make_config(tmp_path / "other")
    replay(FIRST, other)
    foreign = to_earlier_release(other.state.directory)
    shutil.copy2(foreign, config.state.local_tickets_path)  # another store altogether
    with caplog.at_level(logging.WARNING):
        replay(REST, config)
    assert config.state.local_tickets_path.is_file()  # left where it is...
    assert any("is not used" in r.getMessage() for r in caplog.records)  # ...and named
    assert outcome(config) == settled  # nothing of it read


@pytest.mark.parametrize("nth", [1, 2, 5])
def test_a_local_run_killed_after_a_write_leaves_no_intent_and_no_unrecorded_write(
    tmp_path: Path, nth: int
) -> None:
    corpus = tmp_path / "corpus"
    build_corpus(corpus, reports_per_tenant=6)
    clean = make_config(tmp_path / "clean")
    replay([corpus], clean)
    config = make_config(tmp_path / "state")

    assert cli_replay(config, [corpus], f"after-sink-write:{nth}") == -signal.SIGKILL

    conn = sqlite3.connect(config.state.path)
    try:
        # The writes of the batch went with their intents and records, or not at all.
        assert conn.execute("SELECT count(*) FROM intents").fetchone()[0] == 0
        named = {r[0] for r in conn.execute("SELECT key FROM tickets")}
        stored = {r[0] for r in conn.execute("SELECT key FROM local_tickets")}
        assert named == stored
    finally:
        conn.close()
    assert cli_replay(config, [corpus]) in (0, 1)
    assert outcome(config) == outcome(clean)


def test_every_ticket_write_commits_with_its_intent_and_record_never_apart(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    build_corpus(corpus, reports_per_tenant=20)
    config = make_config(tmp_path / "state")
    statements: list[str] = []
    with bootstrap.build(config, {}, dry_run=False, enrich=False) as parts:
        ledger = parts.ledger
        assert isinstance(ledger, Ledger)
        ledger.conn.set_trace_callback(statements.append)
        summary = run_pass(bootstrap.file_source([corpus], config), parts)
        ledger.conn.set_trace_callback(None)
    transactions: list[list[str]] = []
    for sql in statements:
        if sql.startswith("BEGIN"):
            transactions.append([])
        elif transactions:
            transactions[-1].append(sql)
    writing = [
        t
        for t in transactions
        if any(
            " local_tickets" in q or " local_comments" in q for q in t if not q.startswith("SELECT")
        )
    ]
    assert len(summary.writes) > 100 and writing
    for transaction in writing:
        begun = sum(q.startswith("INSERT INTO intents") for q in transaction)
        ended = sum(q.startswith("DELETE FROM intents") for q in transaction)
        assert begun == ended  # every intent begun and ended in the commit of its write
        assert any(q.startswith("INSERT INTO tickets") for q in transaction)  # its record
    # A batch of up to 50 writes, their intents and records: one commit, not three.
    assert len(writing) <= -(-len(summary.writes) // 50) * 2


def test_only_a_create_writes_an_intent_the_others_commit_with_their_record(
    tmp_path: Path,
) -> None:
    """An intent begun and ended in the commit of its write and its record protects nothing:
    the writes that share the ledger's transaction have none. A create keeps its intent (the
    store is asked for the ticket it may have made: ``reach_by``), and so does an unlink (its
    record that it was sent, ``unlinked``, goes with it)."""
    corpus = tmp_path / "corpus"
    build_corpus(corpus, reports_per_tenant=20)
    config = make_config(tmp_path / "state")
    statements: list[str] = []
    with bootstrap.build(config, {}, dry_run=False, enrich=False) as parts:
        ledger = parts.ledger
        assert isinstance(ledger, Ledger)
        ledger.conn.set_trace_callback(statements.append)
        summary = run_pass(bootstrap.file_source([corpus], config), parts)
        ledger.conn.set_trace_callback(None)
        assert ledger.pending_intents() == []
    begun = sum(q.startswith("INSERT INTO intents") for q in statements)
    assert len(summary.writes) > summary.created > 0
    unlinks = sum(w.startswith("unlink ") for w in summary.writes)
    assert begun == summary.created + unlinks


def test_the_write_counters_move_once_a_transaction_and_count_every_write(
    tmp_path: Path,
) -> None:
    """The store's revision and the ledger's count of its writes (compared to tell the store
    the ledger describes from a lost or older one) are added to once in a batch's commit,
    not once a write, and still count every write."""
    corpus = tmp_path / "corpus"
    build_corpus(corpus, reports_per_tenant=20)
    config = make_config(tmp_path / "state")
    statements: list[str] = []
    with bootstrap.build(config, {}, dry_run=False, enrich=False) as parts:
        ledger, store = parts.ledger, parts.sink
        assert isinstance(ledger, Ledger) and isinstance(store, LocalStore)
        before = store.identity()[1]
        ledger.conn.set_trace_callback(statements.append)
        summary = run_pass(bootstrap.file_source([corpus], config), parts)
        ledger.conn.set_trace_callback(None)
        pairing = ledger.store_pairing()
        revision = store.identity()[1]
    assert pairing is not None and summary.updated == 0  # (an update with a comment: two)
    assert pairing[1] == revision == before + len(summary.writes) > 100
    transactions: list[list[str]] = []
    for sql in statements:
        if sql.startswith("BEGIN"):
            transactions.append([])
        elif transactions:
            transactions[-1].append(sql)
    for transaction in transactions:
        assert sum(q.startswith("UPDATE store_pairing") for q in transaction) <= 1
        assert sum("SET revision = revision +" in q for q in transaction) <= 1


def test_a_write_whose_failure_rolled_back_the_batch_leaves_nothing_of_it_believed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite rolls back the whole transaction by itself on a full disk (also on some I/O
    errors): the writes before the failing one in the batch are gone with it. Believed
    written (recorded by the ledger after the rollback, in transactions of their own),
    their comments were never written again."""
    mail = tmp_path / "mail"
    mail.mkdir()
    people = [f"user{n}@contoso.com" for n in range(6)]
    at = datetime(2024, 3, 1, 9, tzinfo=UTC)
    for day in range(2):  # each day the values change: a comment on every ticket
        rows = [(p, duplicate("ProxyAddresses", f"SMTP:{p}", f"smtp:d{day}@x.com")) for p in people]
        (mail / f"{day}.eml").write_bytes(
            report_email("Contoso", at + timedelta(days=day), rows, f"<r{day}@contoso.com>")
        )
    clean = make_config(tmp_path / "clean")
    replay([mail], clean)
    config = make_config(tmp_path / "state")
    replay([mail / "0.eml"], config)

    original = LocalStore._count_write
    calls = {"n": 0}

    def full_disk(self: LocalStore) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            self._conn.execute("ROLLBACK")  # as SQLite does by itself on SQLITE_FULL
            raise Retriable("state.db: the disk is full; free space on it and run again")
        original(self)

    monkeypatch.setattr(LocalStore, "_count_write", full_disk)
    with contextlib.suppress(DirsyncBridgeError):
        replay([mail / "1.eml"], config)
    monkeypatch.undo()
    assert calls["n"] >= 3
    replay([mail], config)
    assert outcome(config) == outcome(clean)


def test_a_dry_run_that_reads_the_ledger_before_a_run_moves_the_store_in_says_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dry run takes no lock: it copied the ledger before a run moved the store in, and
    looked for the file after the run renamed it. That read as a store lost (exit 2, "run
    tickets rebuild"; seen once in the suite, four commands at once); it is a retry (75)."""
    config = make_config(tmp_path / "state")
    replay(FIRST, config)
    to_earlier_release(config.state.directory)
    copy = Ledger.open_copy

    def copied_then_moved(path: Path) -> Ledger:
        taken = copy(path)
        monkeypatch.setattr(Ledger, "open_copy", copy)
        replay([], config)  # the run, with its lock: moves the store in, renames the file
        return taken

    monkeypatch.setattr(Ledger, "open_copy", copied_then_moved)
    with pytest.raises(Retriable, match="run the dry run again"):
        replay(REST, config, dry_run=True)
    assert replay(REST, config, dry_run=True).writes  # and again, it plans
