"""``tickets rebuild`` with an earlier release's store file (``tickets.db``) beside the
ledger: the file is moved in, or set aside, for the right reason only (hostile reviews
rev18 and rev19).

``move_in_or_set_aside`` once took any error of ``move_in`` (a full disk, a damaged row of
the ledger's own) for "the old store cannot be read", and a damaged store in the ledger for
"take the file", whatever the file was: the tickets that only the right store held were
then restored from the ledger, or replaced by another file's.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.ledger.schema import MIGRATIONS
from dirsync_bridge.pipeline import replay

from ..e2e.test_cli_state import _resize, small_disk, write_config
from ..e2e.test_cli_state import cli as cli_file
from ..earlier_release import MOVED, SEPARATE, export_store, to_earlier_release
from .conftest import CORPUS, cli, make_config, upgraded, written
from .test_crash import build_corpus

__all__ = ["small_disk"]


def test_a_damaged_imported_revision_is_one_line_and_rebuild_repairs_it(tmp_path: Path) -> None:
    """The rev17 fix made a damaged identity row of the store one line (``identity``:
    Fatal, "tickets rebuild"), but its sibling ``imported_from`` still did ``int(row[1] or
    0)``: a damaged ``local_store.imported_revision`` (not a number) with a store file beside
    the ledger was "internal error (ValueError ...)", exit 70, on every run AND on ``tickets
    rebuild`` (the repair the tool names), while doctor said all is ok."""
    config = make_config(tmp_path / "state")
    replay(CORPUS[:6], config)
    conn = sqlite3.connect(config.state.path)
    conn.execute("UPDATE local_store SET imported_from = store_id, imported_revision = 'x'")
    conn.commit()
    conn.close()
    export_store(config.state.path, config.state.directory / SEPARATE)
    run = cli(config, "replay", *map(str, CORPUS[6:8]))
    rebuild = cli(config, "tickets", "rebuild")
    doctor = cli(config, "doctor")
    assert run.returncode != 70, run.stderr
    assert rebuild.returncode == 0, (rebuild.stderr, doctor.stdout)


def test_rebuild_moves_in_a_sound_store_file_when_the_ledgers_own_row_is_damaged(
    tmp_path: Path,
) -> None:
    """The earlier release's store file is sound and is the store to move in; the error is
    the ledger's own (its empty local_store lost its identity row). The rebuild said the
    FILE cannot be read, set it aside unmoved, and restored every ticket from the ledger (0
    kept from the old store) instead of moving it in."""
    config = make_config(tmp_path / "state")
    replay(CORPUS[:12], config)
    before = written(config)
    to_earlier_release(config.state.directory)
    # a first command of this release made the (empty) tables; then the row is lost
    conn = sqlite3.connect(config.state.path, isolation_level=None)
    for statement in dict(MIGRATIONS)["0017-local-store"]:
        conn.execute(statement)
    conn.execute("INSERT INTO migrations (name, applied_at) VALUES ('0017-local-store', 'x')")
    conn.execute("DELETE FROM local_store")
    conn.close()
    run = cli(config, "replay", *map(str, CORPUS[12:14]))
    done = cli(config, "tickets", "rebuild")
    after = written(config)
    differ = sorted(k for k in before if before[k] != after.get(k))
    first = (before[differ[0]], after.get(differ[0])) if differ else None
    assert not differ, (len(differ), differ[:5], first, run.stderr, done.stdout)
    assert "cannot be read" not in done.stderr, done.stderr
    assert " 0 kept from the old store" not in done.stdout, done.stdout


@pytest.mark.parametrize("spare_kib", [16, 48, 96, 160, 240, 320])
def test_a_full_disk_during_rebuilds_move_in_never_sets_the_store_aside_unmoved(
    tmp_path: Path, small_disk: Path, spare_kib: int
) -> None:
    """``tickets rebuild`` meets a full disk while it moves an earlier release's store in.
    Taken for "the old store cannot be read", the file was set aside: the store that should
    have been moved in was put out of the way, and the rebuild that followed (now, or on the
    rerun) restored its tickets from the ledger instead of keeping them."""
    corpus = tmp_path / "corpus"
    build_corpus(corpus, reports_per_tenant=30, seed=3)
    state = small_disk / "state"
    config = write_config(tmp_path, state)
    _resize(small_disk, "64m")
    assert cli_file(config, "replay", str(corpus)).returncode == 1
    before = written(make_config(state))
    separate = to_earlier_release(state)
    used = sum(p.stat().st_size for p in state.iterdir())
    _resize(small_disk, f"{used // 1024 + spare_kib}k")

    done = cli_file(config, "tickets", "rebuild")
    assert "Traceback" not in done.stderr
    # What should hold: a disk full is 75, and the store file that was not moved in is
    # still there to be moved in by the rerun (or the move committed).
    set_aside_unmoved = done.returncode == 75 and "cannot be read" in done.stderr
    _resize(small_disk, "64m")
    again = cli_file(config, "tickets", "rebuild")
    assert again.returncode == 0, again.stderr
    after = written(make_config(state))
    lost = {k for k in before if after.get(k) != before[k]}
    assert not lost, (set_aside_unmoved, again.stdout, sorted(lost)[:5], len(lost))
    assert not set_aside_unmoved, (
        done.stderr
    )  # every ticket kept as it was written, not restored from the ledger
    assert not separate.exists()
    assert not (state / SEPARATE).exists()


# -- a damaged store in the ledger, a stale or foreign file beside it -------------------------


def _setup(
    tmp_path: Path, stale_file: bool, foreign: bool = False
) -> tuple[Config, dict[str, tuple[object, ...]]]:
    if foreign:
        other = make_config(tmp_path / "other")
        replay(list(reversed(CORPUS)), other)  # another instance, its own keys
        foreign_file = export_store(other.state.path, tmp_path / "foreign.db")
    config = upgraded(tmp_path, CORPUS[:4])  # the store moved in, the file set aside
    stale = config.state.directory / MOVED
    assert stale.is_file()
    for chunk in (CORPUS[4:10], CORPUS[10:16]):  # weeks of runs with the store in the ledger
        done = cli(config, "replay", *map(str, chunk))
        assert done.returncode in (0, 1), done.stderr
    before = written(config)
    if stale_file:
        source = foreign_file if foreign else stale
        shutil.copy(source, config.state.directory / SEPARATE)  # the file is back
    conn = sqlite3.connect(config.state.path, isolation_level=None)
    conn.execute("DELETE FROM local_store")  # the identity row lost: "tickets rebuild"
    conn.close()
    return config, before


def _rebuild_and_compare(
    config: Config, before: dict[str, tuple[object, ...]]
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    done = cli(config, "tickets", "rebuild")
    assert done.returncode == 0, done.stderr
    after = written(config)
    lost = sorted(k for k in before if before[k][1:3] != after.get(k, (None,) * 5)[1:3])
    return lost, done


def test_control_rebuild_without_the_stale_file_keeps_every_ticket(tmp_path: Path) -> None:
    config, before = _setup(tmp_path, stale_file=False)
    lost, done = _rebuild_and_compare(config, before)
    assert not lost, (len(lost), len(before), done.stdout)
    assert " 0 restored from the ledger" in done.stdout, done.stdout


def test_rebuild_of_a_damaged_store_never_takes_in_a_stale_copy_over_it(tmp_path: Path) -> None:
    """Review rev19 (low): ``move_in_or_set_aside`` treated a damaged store in the ledger as
    "take" (``except Fatal: what = "take"``) whatever the file beside the ledger was. A stale
    copy of the very store moved in long ago (a rename that failed and was tolerated, or a
    backup tool that put ``tickets.db`` back) then REPLACED the live in-ledger store during
    ``tickets rebuild``, the repair the tool names for a lost identity row: every ticket
    written since the upgrade thrown away and restored from the ledger as a stub (then
    written again: the text ends the same, but creation times are lost, each is rewritten,
    "29 restored from the ledger, 29 write(s)"), though the damaged store still held all of
    them: without the file the same rebuild keeps all 41 (0 restored, 0 writes)."""
    config, before = _setup(tmp_path, stale_file=True)
    lost, done = _rebuild_and_compare(config, before)
    assert not lost, (lost[:5], done.stdout)
    # what a rebuild of the same damaged store without the stale file says: all kept
    assert " 0 restored from the ledger" in done.stdout, done.stdout


def test_rebuild_of_a_damaged_store_never_takes_in_another_instances_file(tmp_path: Path) -> None:
    config, before = _setup(tmp_path, stale_file=True, foreign=True)
    done = cli(config, "tickets", "rebuild")
    after = written(config)
    differ = sorted(k for k in before if before[k] != after.get(k))
    extra = sorted(set(after) - set(before))
    first = (before[differ[0]], after.get(differ[0])) if differ else None
    assert not differ and not extra, (len(differ), differ[:5], len(extra), first)
    assert " 0 restored from the ledger" in done.stdout, done.stdout
