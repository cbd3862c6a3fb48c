"""SQLite, the way every store here uses it: WAL, named migrations, explicit transactions
(``sqlite_transactions.py``, used through this module).

A migration is a name and a list of SQL statements. Each runs in its own transaction and
is recorded in the ``migrations`` table in that same transaction, so a crash mid-migration
leaves the database as it was, and the next start runs it again.

Every connection made here turns SQLite's failures into the package's errors, named by file
(``failure``): a full disk (an I/O error on a disk with next to no room left counts as
one) or a busy database is ``Retriable`` (exit 75: free space, run again), a damaged,
unwritable or foreign file is ``Fatal`` (exit 2, with what to do). A failed write leaves
nothing behind: its transaction is rolled back (SQLite rolls back by itself on a full
disk; ``transaction`` copes with both).
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .crashpoints import crash_point

# The file system's own failures (a full disk, a read-only mount): their own module.
from .disk_faults import make_directory as make_directory
from .disk_faults import nearly_full as nearly_full
from .disk_faults import os_failure as os_failure
from .disk_faults import read_only, read_only_fix
from .errors import DirsyncBridgeError, Fatal, Retriable
from .sqlite_refusals import damaged, refuse_newer

# Files this release must not take for its own (empty, or from a newer release): their own module.
from .sqlite_refusals import empty_file as empty_file
from .sqlite_refusals import migrations_of_ours as migrations_of_ours
from .sqlite_refusals import newer_release as newer_release
from .sqlite_refusals import refuse_foreign as refuse_foreign
from .sqlite_refusals import unknown_migrations as unknown_migrations
from .sqlite_snapshot import copy_whole

# Stores write through ``sqlite.transaction`` and ``sqlite.grouped``: kept in a module of their own.
from .sqlite_transactions import grouped as grouped
from .sqlite_transactions import reading as reading
from .sqlite_transactions import transaction as transaction

Migration = tuple[str, Sequence[str]]

BUSY_TIMEOUT_MS = 10_000
CHECKPOINT_WAIT_MS = 200

WAL_AUTOCHECKPOINT_PAGES = 4096
"""Pages (4 KiB) the log may hold before a commit copies it into the file: 16 MiB, not
SQLite's 4 MiB, so that a replay's many small commits checkpoint (write and sync the file)
a quarter as often. A large report is one transaction whatever this says: its log grows to
that transaction's size (185 MB for a pass over 50,000 unchanged rows, measured the same at
1,000 and 4,096 pages), and ``checkpoint`` empties it when the run ends."""

_CREATED_TABLE = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Role:
    """What a database file is to the user, for error messages: a name and its repair."""

    name: str
    """``the ledger``, ``the local ticket store``."""
    repair: str
    """What to do when the file is damaged, as the end of a sentence."""
    empty: str | None = None
    """What to do when the file exists but holds nothing (0 bytes: truncated by a full disk
    or by hand), as the end of a sentence; None: SQLite takes it for a new database."""
    mistaken: tuple[tuple[str, str], ...] = ()
    """Files of ours that are not this one, by a migration only they record: (that name,
    what the file is and what to do, as the end of a sentence). Their migrations are unknown
    to this role's list, and they would be refused as written by a newer release."""


LEDGER = Role(
    "the ledger",
    "restore it from a backup",
    # Taken for a new ledger, every problem would be ticketed again.
    empty="restore it from a backup, or delete it to start a new ledger",
    # The first migration of the separate store (``local_schema.MIGRATIONS``; not imported:
    # that module imports this one), which every such store records.
    mistaken=(
        (
            "0001-tickets",
            "is the local ticket store of an earlier release (its own tickets.db), not the "
            "ledger: point [state] path at the ledger that store was kept beside (state.db, "
            "say); a tickets.db beside the ledger is moved into it by the next local-sink run",
        ),
    ),
)
GENERIC = Role("the database", "restore it from a backup")


class Connection(sqlite3.Connection):
    """A connection whose errors name its file and say what to do (``failure``)."""

    path: str = ":memory:"
    role: Role = GENERIC

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        """``sqlite3.Connection.execute``, with errors translated; rows read the same way."""
        try:
            return self.cursor(_Cursor).execute(sql, parameters)
        except sqlite3.Error as exc:
            raise failure(exc, self.path, self.role) from exc

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        """``sqlite3.Connection.executemany``, with errors translated."""
        try:
            return self.cursor(_Cursor).executemany(sql, parameters)
        except sqlite3.Error as exc:
            raise failure(exc, self.path, self.role) from exc


class _Cursor(sqlite3.Cursor):
    # Rows are read lazily: a damaged page may only show while iterating.
    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as exc:
            conn = self.connection
            assert isinstance(conn, Connection)
            raise failure(exc, conn.path, conn.role) from exc

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            conn = self.connection
            assert isinstance(conn, Connection)
            raise failure(exc, conn.path, conn.role) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            conn = self.connection
            assert isinstance(conn, Connection)
            raise failure(exc, conn.path, conn.role) from exc


def failure(exc: sqlite3.Error, path: str, role: Role = GENERIC) -> DirsyncBridgeError:
    """The package's error for a SQLite failure on ``path``: one line, what to do next."""
    code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
    folder = str(Path(path).parent)
    if code == sqlite3.SQLITE_FULL or (code == sqlite3.SQLITE_IOERR and nearly_full(folder)):
        return Retriable(
            f"{path}: the disk is full ({exc}); free space on {folder} and run again: "
            "nothing was half-written"
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return Retriable(f"{path}: {role.name} is busy ({exc}); run again later")
    if code == sqlite3.SQLITE_IOERR:
        return Retriable(f"{path}: I/O error ({exc}); check the disk under {folder}, run again")
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        if read_only(folder):  # no account's rights would help
            return Fatal(
                f"{path}: cannot write {role.name}: the file system is read-only ({exc}); "
                f"{read_only_fix(folder)}"
            )
        return Fatal(
            f"{path}: cannot write {role.name} ({exc}); give the user that runs "
            f"dirsync-bridge write access to {folder} and the files in it"
        )
    if damage := damaged(exc, code):
        return Fatal(f"{path}: {role.name} is damaged ({damage}); {role.repair}")
    return Fatal(f"{path}: {role.name}: {exc}")


def connect(
    path: Path | str, migrations: Sequence[Migration], role: Role = GENERIC
) -> sqlite3.Connection:
    """Open (creating if needed) a database and bring its schema up to date."""
    if isinstance(path, Path):
        make_directory(path.parent)
        _require_file(path, role)
    # isolation_level=None: no implicit transactions; every write says BEGIN itself.
    conn = _open(str(path), role, str(path))
    try:
        refuse_foreign(conn)  # before WAL mode, which another application's file would keep
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL: a commit is safe from a process crash (it is in the log) but not
        # from a power loss until the next checkpoint; ``transaction(durable=True)`` is FULL.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn, migrations)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_readonly(path: Path, migrations: Sequence[Migration], role: Role) -> Connection:
    """Open an existing database for reading only: no migration, nothing created.

    For commands that only look (``tickets``), so that they work for a user who may read the
    state but not write it. Where SQLite cannot share the write-ahead log read-only (the
    directory is not writable, or on a read-only mount, and no writer has the file open), it
    is read from a copy in memory, as one state of it (``sqlite_snapshot``): opened with
    ``immutable=1`` instead, a run starting meanwhile and checkpointing into the file would
    be read half before and half after (rows missing, "Rowid out of order").
    """
    _require_file(path, role)
    quoted = urllib.parse.quote(str(path))
    try:
        conn = _open(f"file:{quoted}?mode=ro", role, str(path), uri=True)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except Fatal:
        # The copy takes the log too (a crashed run's, not yet applied): it reads the present.
        conn = _snapshot(path, role)
    try:
        refuse_foreign(conn)
        _check_tables(conn, _recorded(conn, migrations))
    except BaseException:
        conn.close()
        raise
    return conn


def _recorded(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[Migration]:
    """The migrations a file records as applied: a file written by an older release lacks
    the tables of the newer ones, which its next writer adds, and is not damaged for that.
    Without a record of migrations, every table is required."""
    try:
        done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    except sqlite3.Error:
        return list(migrations)
    _refuse_newer(conn, done, migrations)
    return [migration for migration in migrations if migration[0] in done]


def _refuse_newer(
    conn: sqlite3.Connection, recorded: Iterable[object], migrations: Sequence[Migration]
) -> None:
    path = getattr(conn, "path", ":memory:")
    refuse_newer(path, getattr(conn, "role", GENERIC), recorded, migrations)


def _require_file(path: Path, role: Role) -> None:
    # SQLite would say "unable to open database file" or "disk I/O error": say what it is.
    if path.exists() and not path.is_file():
        what = "a directory" if path.is_dir() else "not a regular file"
        raise Fatal(f"[state] path: {path} is {what}, not {role.name}'s file")
    empty = empty_file(path, role)
    if empty:
        raise Fatal(empty)


def _open(target: str, role: Role, path: str, uri: bool = False) -> Connection:
    try:
        conn = sqlite3.connect(
            target,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
            factory=Connection,
            uri=uri,
        )
    except sqlite3.Error as exc:
        raise failure(exc, path, role) from exc
    conn.path = path
    conn.role = role
    conn.row_factory = sqlite3.Row
    return conn


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Run the migrations not yet recorded, in order; returns their names."""
    refuse_foreign(conn)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    _refuse_newer(conn, done, migrations)
    ran = []
    for name, statements in migrations:
        if name in done:
            continue
        with transaction(conn):
            for statement in statements:
                if not _has_column_added_by(conn, statement):
                    conn.execute(statement)
            # (A migration is one transaction: a crash here, its statements run, leaves none.)
            crash_point("migration")
            conn.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat()),
            )
        ran.append(name)
    _check_tables(conn, migrations)
    return ran


_ADD_COLUMN = re.compile(r"\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)", re.IGNORECASE)


def _has_column_added_by(conn: sqlite3.Connection, statement: str) -> bool:
    """Whether ``statement`` adds a column its table has already: a file that a build between
    releases gave it under another migration's name (SQLite has no ADD COLUMN IF NOT
    EXISTS)."""
    found = _ADD_COLUMN.match(statement)
    if found is None:
        return False
    table, column = found.groups()
    names = {str(row[1]).lower() for row in conn.execute(f"PRAGMA table_info({table})")}
    return column.lower() in names


def _check_tables(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
    """Every table the migrations create is there (a recorded migration proves nothing)."""
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    for _name, statements in migrations:
        for statement in statements:
            match = _CREATED_TABLE.match(statement.strip())
            if match and match.group(1) not in present:
                path = getattr(conn, "path", ":memory:")
                role = getattr(conn, "role", GENERIC)
                raise Fatal(
                    f"{path}: {role.name} is damaged (table {match.group(1)} is missing); "
                    f"{role.repair}"
                )


def memory_copy(
    path: Path, migrations: Sequence[Migration], role: Role = GENERIC
) -> sqlite3.Connection:
    """An in-memory copy of the database at ``path`` (empty if none), schema up to date.

    For dry runs (the same code then runs against the copy and nothing on disk changes), and
    to read a file without touching it.
    The file and its WAL are copied aside first, because even a read-only connection to a
    WAL database creates files next to it; as one state of the database, or ``Retriable``
    (``sqlite_snapshot``: why a copy, and why it is whole).
    """
    empty = empty_file(path, role)
    if empty:
        raise Fatal(empty)
    memory = _snapshot(path, role) if path.exists() else _open(":memory:", role, str(path))
    try:
        migrate(memory, migrations)
    except BaseException:
        memory.close()
        raise
    return memory


def _snapshot(path: Path, role: Role) -> Connection:
    """An in-memory copy of the database at ``path`` as one state of it, nothing migrated."""
    memory = _open(":memory:", role, str(path))
    try:
        with tempfile.TemporaryDirectory(prefix="dirsync-bridge-") as scratch:
            copy = Path(scratch) / path.name
            # A run may be writing meanwhile (no lock is taken): checked, or copied again.
            copy_whole(path, copy)
            try:
                source = sqlite3.connect(str(copy))
                try:
                    source.backup(memory)
                finally:
                    source.close()
            except sqlite3.DatabaseError as exc:
                raise failure(exc, str(path), role) from None
    except OSError as exc:
        memory.close()
        try:
            where = f"the temporary directory {tempfile.gettempdir()}"
        except OSError:  # none writable at all: ``exc`` lists those tried (review rev34)
            where = "a temporary directory"
        what = f"{path}: cannot copy {role.name} into {where}"
        raise os_failure(exc, f"{what} to read it") from None
    except BaseException:
        memory.close()
        raise
    return memory


def checkpoint(conn: sqlite3.Connection) -> bool:
    """Copy the log into the file and empty it (``wal_checkpoint(TRUNCATE)``), at the end of
    a run: the next starts with an empty log, and a copy of the file alone is whole. Whether
    it all went: a reader still on an older snapshot keeps the log (nothing is lost, the
    next checkpoint does it), and so does a failure here (a full disk: the log still holds
    every commit)."""
    try:
        # A reader is not waited for: the run is over, and its log is only tidied here.
        conn.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
        try:
            row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except DirsyncBridgeError:
        return False
    return row is not None and not row[0]
