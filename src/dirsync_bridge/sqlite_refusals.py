"""Database files this release must not take for its own, though SQLite would open them:
one written by a newer release (it records a migration this release does not know), an
empty one (0 bytes), which SQLite takes for a new database, another application's, and one
whose errors show it damaged. Used by ``sqlite`` and doctor, so that a run and doctor
refuse them in the same words.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Fatal

if TYPE_CHECKING:
    from .sqlite import Migration, Role


def unknown_migrations(recorded: Iterable[object], migrations: Sequence[Migration]) -> list[str]:
    """The recorded migration names that ``migrations`` (this release's list for that kind
    of file) does not hold, in order: the file was written by a newer release."""
    known = {name for name, _statements in migrations}
    return sorted(str(name) for name in recorded if name not in known)


def newer_release(path: str, role: Role, unknown: Sequence[str]) -> str:
    """The one line that refuses a file written by a newer release (runs and doctor), or
    another file of ours that records migrations unknown to ``role`` (``Role.mistaken``)."""
    for name, what in role.mistaken:
        if name in unknown:
            return f"{path} {what}"
    # A name comes from the file: shown escaped, so that the message stays one line.
    names = ", ".join(name if name.isprintable() else ascii(name) for name in unknown)
    what = "migration" if len(unknown) == 1 else "migrations"
    return (
        f"{path}: {role.name} was written by a newer release of dirsync-bridge (it records "
        f"{what} {names}, unknown to this release): run that release, or restore a backup"
    )


def refuse_newer(
    path: str, role: Role, recorded: Iterable[object], migrations: Sequence[Migration]
) -> None:
    """Refuse (``Fatal``) a file that records a migration not in ``migrations``."""
    # Its tables may mean something this release does not know: writing them, or reading
    # them as if they were ours, could undo what that release did.
    unknown = unknown_migrations(recorded, migrations)
    if unknown:
        raise Fatal(newer_release(path, role, unknown))


# Raised by Python's sqlite3, not SQLite (no error code): a text cell whose bytes are not
# UTF-8. SQLite stores what it was given, and checks no text (``PRAGMA quick_check`` passes):
# a bit flipped on the disk in a cell of ours, whose every write was UTF-8, shows only here.
_UNDECODABLE = re.compile(r"Could not decode to UTF-8 column '(.*?)' with text '")


def damaged(exc: sqlite3.Error, code: int) -> str | None:
    """Why ``exc`` (its primary SQLite result ``code``) says the file is damaged, in words
    fit for one line; None when it does not."""
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "no such" in str(exc):
        return str(exc)
    found = _UNDECODABLE.match(str(exc))
    if found is not None:
        # Not the cell's text, which the error quotes whole: a ticket's description is
        # kilobytes of someone's data, and its bytes are the damage.
        return f"a text in column {found.group(1)!r} is not UTF-8"
    return None


def empty_file(path: Path, role: Role) -> str | None:
    """Why ``path`` is refused as empty, or None: it exists with 0 bytes and no log beside it
    holds anything (a new database's pages may all be in its log), and ``role`` does not
    take an empty file for a new one. A missing file is a new database, not an empty one."""
    if role.empty is None:
        return None
    wal = path.with_name(path.name + "-wal")
    try:
        if not path.is_file() or path.stat().st_size or (wal.exists() and wal.stat().st_size):
            return None
    except OSError:
        return None  # SQLite, opening it, says what is wrong
    return f"{path}: {role.name} is empty (0 bytes) though it exists: {role.empty}"


def refuse_foreign(conn: sqlite3.Connection) -> None:
    """Refuse a database holding tables but no ``migrations`` table of ours: every file of
    ours has kept one from its first write, so this is another application's file that ``[state]
    path`` names by mistake (or one of ours that lost it): nothing of ours is written to it."""
    names = sorted(
        str(row[0])
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(row[0]).startswith("sqlite_")
    )
    if not names or ("migrations" in names and migrations_of_ours(conn)):
        return
    role: Role | None = getattr(conn, "role", None)
    name, repair = (
        (role.name, role.repair) if role else ("the database", "restore it from a backup")
    )
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    raise Fatal(
        f"{getattr(conn, 'path', ':memory:')}: not {name}: an SQLite database with other "
        f"tables ({shown}) and no record of dirsync-bridge's migrations; point [state] path "
        f"at a file of its own (or, if it was {name}, {repair})"
    )


def migrations_of_ours(conn: sqlite3.Connection) -> bool:
    """Whether the ``migrations`` table is ours (a ``name`` and an ``applied_at``): other
    applications keep one by that name too (Laravel's, db-migrate's), and taken for ours it
    would be switched to WAL, then said damaged or from a newer release (review rev39)."""
    columns = {str(row[1]).lower() for row in conn.execute("PRAGMA table_info(migrations)")}
    return {"name", "applied_at"} <= columns
