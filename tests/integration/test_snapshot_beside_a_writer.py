"""A copy of the ledger taken without locks (``sqlite_snapshot.copy_whole``) beside a real
process writing it: every copy accepted is one state of the database.

The writer commits transactions that change two tables together and rewrite scattered
pages, checkpoints in every mode SQLite has (PASSIVE, RESTART, TRUNCATE, the last
connection's close, which deletes the log), with automatic checkpoints at various sizes.
A copy it tears shows as a failed ``integrity_check`` or as the tables out of step. The
verdict does not depend on timing: a copy refused (``Retriable``, 75) is no failure, only
an accepted torn copy is. The number of copies is bounded, and each test stops its writer
after a few seconds at most.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dirsync_bridge import sqlite_snapshot
from dirsync_bridge.errors import Retriable

from .conftest import mounted

pytestmark = pytest.mark.slow

COPIES = 100
"""Copies tried beside the writer (most take a few milliseconds)."""

WRITING_FOR = 8.0
"""Seconds at most the writer runs: a bound on the test's time, not part of its verdict."""

WRITER = textwrap.dedent(
    """
    import os, random, sqlite3, sys
    path, stop = sys.argv[1], sys.argv[2]
    random.seed(int(sys.argv[3]))
    n = 0
    while not os.path.exists(stop):
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=%d" % random.choice([0, 5, 50, 1000]))
        for _ in range(random.randint(1, 40)):
            n += 1
            conn.execute("BEGIN IMMEDIATE")
            # every transaction: one row in a, one in b, and random pages of big rewritten
            conn.execute("INSERT INTO a(v) VALUES (?)", (n,))
            for i in random.sample(range(2000), 30):
                conn.execute(
                    "UPDATE big SET gen = ?, pad = ? WHERE id = ?", (n, os.urandom(200), i)
                )
            conn.execute("INSERT INTO b(v) VALUES (?)", (n,))
            conn.execute("UPDATE meta SET gen = ?", (n,))
            conn.execute("COMMIT")
            mode = random.random()
            if mode < 0.15:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            elif mode < 0.3:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            elif mode < 0.4:
                conn.execute("PRAGMA wal_checkpoint(RESTART)")
        conn.close()  # the last connection: checkpointed, the log deleted
    """
)


def make_db(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE a(id INTEGER PRIMARY KEY, v)")
    conn.execute("CREATE TABLE b(id INTEGER PRIMARY KEY, v)")
    conn.execute("CREATE TABLE meta(gen)")
    conn.execute("INSERT INTO meta VALUES (0)")
    conn.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, gen, pad)")
    conn.execute("BEGIN")
    for i in range(2000):
        conn.execute("INSERT INTO big VALUES (?, 0, ?)", (i, os.urandom(2000)))
    conn.execute("COMMIT")
    conn.execute("CREATE INDEX big_gen ON big(gen)")
    conn.close()


def torn(copy: Path) -> str | None:
    """What is wrong with a copy (None: one state of the database)."""
    conn = sqlite3.connect(copy)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchall()
        if ok != [("ok",)]:
            return f"integrity: {ok[:3]}"
        (na,) = conn.execute("SELECT count(*) FROM a").fetchone()
        (nb,) = conn.execute("SELECT count(*) FROM b").fetchone()
        (gen,) = conn.execute("SELECT gen FROM meta").fetchone()
        (top,) = conn.execute("SELECT coalesce(max(gen), 0) FROM big").fetchone()
        if na != nb or top > gen:
            return f"torn: a={na} b={nb} meta={gen} big.max={top}"
    except sqlite3.DatabaseError as exc:
        return f"error: {exc}"
    finally:
        conn.close()
    return None


def copies_beside_a_writer(db: Path, seed: int) -> tuple[list[str], int, int]:
    """Up to ``COPIES`` copies of the database ``db`` while a writer runs: the faults of those
    accepted, how many were accepted, and how many refused (75)."""
    stop = db.with_name("stop")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(stop), str(seed)])
    faults: list[str] = []
    accepted = refused = 0
    deadline = time.monotonic() + WRITING_FOR
    try:
        for n in range(COPIES):
            if time.monotonic() > deadline:
                break
            copy = db.with_name(f"copy{n}.db")
            try:
                sqlite_snapshot.copy_whole(db, copy)
            except Retriable:
                refused += 1
                continue
            accepted += 1
            fault = torn(copy)
            if fault:
                faults.append(fault)
            for p in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
                p.unlink(missing_ok=True)
    finally:
        stop.touch()
        writer.wait(30)
    assert writer.returncode == 0
    # The writer gone: a copy is taken, whole, whatever happened before.
    last = db.with_name("last.db")
    sqlite_snapshot.copy_whole(db, last)
    fault = torn(last)
    if fault:
        faults.append(f"after the writer: {fault}")
    return faults, accepted, refused


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses between copies cut tenfold: more copies in the time, the same checks."""
    monkeypatch.setattr(sqlite_snapshot, "RETRY_PAUSE", sqlite_snapshot.RETRY_PAUSE / 10)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.usefixtures("quick_retries")
def test_copies_taken_beside_a_writing_process_are_whole(tmp_path: Path, seed: int) -> None:
    db = tmp_path / "ledger.db"
    make_db(db)
    faults, _, _ = copies_beside_a_writer(db, seed)
    assert not faults, faults[:5]


@pytest.fixture
def coarse_fs(tmp_path: Path) -> Iterator[Path]:
    """An ext4 file system with 128-byte inodes: whole-second times, as on older volumes."""
    if os.geteuid() != 0 or shutil.which("mkfs.ext4") is None:
        pytest.skip("needs root and mkfs.ext4 to mount a loop device")
    image = tmp_path / "fs.img"
    with image.open("wb") as f:
        f.truncate(64 * 1024 * 1024)
    made = ["mkfs.ext4", "-q", "-F", "-I", "128", str(image)]
    subprocess.run(made, capture_output=True, check=True)
    loop = ["mount", "-o", "loop", str(image)]
    with mounted(loop, tmp_path / "coarse", "cannot mount a loop device here") as where:
        yield where


@pytest.mark.usefixtures("quick_retries")
def test_copies_on_a_whole_second_file_system_are_whole(coarse_fs: Path) -> None:
    """Times in whole seconds: an unchanged time proves nothing within that second, so a
    file without a log is copied only once its last change is older (``settled``)."""
    db = coarse_fs / "ledger.db"
    make_db(db)
    assert db.stat().st_mtime_ns % 1_000_000_000 == 0
    faults, _, _ = copies_beside_a_writer(db, 3)
    assert not faults, faults[:5]
