"""A dry run's copy of the ledger is one state of it, even while a run writes it.

A dry run takes no lock (it may run beside the cron pass) and copies the ledger file, then
its log (``sqlite.memory_copy``, ``sqlite_snapshot``). A run that checkpoints while the file
is copied (``Ledger.close``: ``wal_checkpoint(TRUNCATE)`` writes the log's pages into the
file and empties the log) would leave a copy of half the file before and half after: part of
a transaction applied, B-trees out of order. The copy is checked and taken again, or the dry
run stops with 75 (run it again).

The interleavings are forced by wrapping ``shutil.copyfile``: the run's statements run
between the two halves of the file's copy, which is what a copy racing them does.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dirsync_bridge import sqlite_snapshot
from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import Retriable
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay

from .conftest import CORPUS, cli

MARK = " (run 2)"


@pytest.fixture
def running(config: Config) -> Iterator[tuple[Path, sqlite3.Connection, int]]:
    """A ledger after a run, and a second run (still going) with an update in the log:
    the file, the run's connection, and how many rows the update changed."""
    replay(CORPUS, config)
    db = config.state.path
    run = sqlite3.connect(db, isolation_level=None)
    run.execute("PRAGMA wal_autocheckpoint=0")
    run.execute(f"UPDATE messages SET reason = coalesce(reason, '') || '{MARK}'")
    total = run.execute("SELECT count(*) FROM messages").fetchone()[0]
    try:
        yield db, run, total
    finally:
        run.close()


def copy_halves(monkeypatch: pytest.MonkeyPatch, between: Callable[[int], None]) -> list[str]:
    """Copy each database file in two halves, ``between(n)`` run in the middle of the n-th
    file's copy (logs are copied whole); returns what was copied."""
    real = shutil.copyfile
    calls: list[str] = []

    def copyfile(src: str, dst: str, **kw: object) -> str:
        calls.append(str(src))
        if str(src).endswith("-wal"):
            return real(src, dst)
        data = Path(src).read_bytes()
        half = len(data) // 2
        Path(dst).write_bytes(data[:half])
        between(len(calls))
        with Path(dst).open("ab") as out:
            out.write(Path(src).read_bytes()[half:])
        return dst

    monkeypatch.setattr(sqlite_snapshot.shutil, "copyfile", copyfile)
    monkeypatch.setattr(sqlite_snapshot, "RETRY_PAUSE", 0.0)
    return calls


def planned_from(db: Path) -> tuple[list[tuple[object, ...]], int]:
    """``integrity_check`` of a dry run's copy, and how many rows hold the run's update."""
    ledger = Ledger.open_copy(db)
    try:
        conn = ledger.conn
        integrity = [tuple(r) for r in conn.execute("PRAGMA integrity_check").fetchall()]
        changed = conn.execute(
            "SELECT count(*) FROM messages WHERE reason LIKE ?", (f"%{MARK}%",)
        ).fetchone()[0]
    finally:
        ledger.close()
    return integrity, int(changed)


def test_a_dry_run_copy_taken_while_a_run_checkpoints_is_a_consistent_snapshot(
    running: tuple[Path, sqlite3.Connection, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, run, total = running

    def run_ends(n: int) -> None:
        if n == 1:  # the run ends: its pages written into the file, the log emptied
            run.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    calls = copy_halves(monkeypatch, run_ends)
    integrity, changed = planned_from(db)
    # A snapshot: the run's update wholly there or wholly absent, and a sound database.
    assert integrity == [("ok",)], integrity
    assert changed in (0, total), (changed, total)
    assert len([c for c in calls if not c.endswith("-wal")]) >= 2, calls  # copied again


def test_a_dry_run_beside_a_run_that_appends_and_checkpoints_copies_once(
    running: tuple[Path, sqlite3.Connection, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commits added to the log and pages checkpointed without emptying it do not tear a
    copy (the log copied after the file holds every page written into it): no copy again,
    so a dry run beside a long run is not refused."""
    db, run, total = running

    def run_goes_on(n: int) -> None:
        run.execute("UPDATE messages SET reason = reason || ' more'")
        run.execute("PRAGMA wal_checkpoint(PASSIVE)")

    calls = copy_halves(monkeypatch, run_goes_on)
    integrity, changed = planned_from(db)
    assert integrity == [("ok",)], integrity
    assert changed == total
    assert [c.endswith("-wal") for c in calls] == [False, True], calls


def test_a_dry_run_whose_copy_is_torn_every_time_says_run_it_again(
    running: tuple[Path, sqlite3.Connection, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, run, _total = running

    def run_commits_and_ends(n: int) -> None:
        run.execute("UPDATE messages SET reason = reason || '.'")
        run.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    calls = copy_halves(monkeypatch, run_commits_and_ends)
    before = sorted(p.name for p in db.parent.iterdir())
    with pytest.raises(Retriable) as refused:
        Ledger.open_copy(db)
    message = str(refused.value)
    assert "\n" not in message and "run it again" in message, message
    assert str(db) in message, message
    assert len([c for c in calls if not c.endswith("-wal")]) == sqlite_snapshot.ATTEMPTS
    assert sorted(p.name for p in db.parent.iterdir()) == before  # nothing left beside it


def test_a_dry_run_copies_a_ledger_whose_time_is_in_the_future(config: Config) -> None:
    """A ledger restored with its times (``cp -p``, ``rsync -a``) from a host whose clock ran
    ahead, or a clock stepped back since: nothing writes it, and a change would set a time
    earlier than the one it has, so it is copied (was: 75 "a run kept changing it" on every
    dry run until the clock passed the file's time)."""
    replay(CORPUS[:3], config)
    db = config.state.path
    later = time.time() + 600
    os.utime(db, (later, later))
    done = cli(config, "replay", "--dry-run", str(CORPUS[3]))
    assert done.returncode == 0, (done.returncode, done.stderr)


def test_a_copy_of_an_unchanged_file_with_a_time_in_the_future_is_taken_at_once(
    tmp_path: Path,
) -> None:
    """The file's time, later than the clock after the copy, proves it unchanged: no wait
    and no copy again (the ctime, just set by ``utime``, proves nothing yet)."""
    db = tmp_path / "x.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t(x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    assert not (tmp_path / "x.db-wal").exists()
    later = time.time() + 5
    os.utime(db, (later, later))
    waits: list[float] = []
    sqlite_snapshot.copy_whole(db, tmp_path / "copy.db", sleep=waits.append)
    assert waits == []
    copied = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copied.execute("SELECT x FROM t").fetchall() == [(1,)]
    finally:
        copied.close()
