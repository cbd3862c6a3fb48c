"""SQLite, the way every store here uses it: WAL, named migrations, explicit transactions.

A migration is a name and a list of SQL statements. Each runs in its own transaction and
is recorded in the ``migrations`` table in that same transaction, so a crash mid-migration
leaves the database as it was, and the next start runs it again.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import Fatal

Migration = tuple[str, Sequence[str]]

BUSY_TIMEOUT_MS = 10_000


def connect(path: Path | str, migrations: Sequence[Migration]) -> sqlite3.Connection:
    """Open (creating if needed) a database and bring its schema up to date."""
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # isolation_level=None: no implicit transactions; every write says BEGIN itself.
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn, migrations)
    except sqlite3.DatabaseError as exc:
        raise Fatal(f"{path}: cannot open the database: {exc}") from None
    return conn


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Run the migrations not yet recorded, in order; returns their names."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    ran = []
    for name, statements in migrations:
        if name in done:
            continue
        with transaction(conn):
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat()),
            )
        ran.append(name)
    return ran


def memory_copy(path: Path, migrations: Sequence[Migration]) -> sqlite3.Connection:
    """An in-memory copy of the database at ``path`` (empty if none), schema up to date.

    For dry runs: the same code then runs against the copy and nothing on disk changes.
    The file and its WAL are copied aside first, because even a read-only connection to a
    WAL database creates files next to it.
    """
    memory = sqlite3.connect(":memory:", isolation_level=None)
    memory.row_factory = sqlite3.Row
    if path.exists():
        with tempfile.TemporaryDirectory(prefix="dirsync-bridge-") as scratch:
            copy = Path(scratch) / path.name
            shutil.copyfile(path, copy)
            wal = path.with_name(path.name + "-wal")
            if wal.exists():
                shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
            try:
                source = sqlite3.connect(str(copy))
                try:
                    source.backup(memory)
                finally:
                    source.close()
            except sqlite3.DatabaseError as exc:
                memory.close()
                raise Fatal(f"{path}: cannot read the database: {exc}") from None
    migrate(memory, migrations)
    return memory


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
