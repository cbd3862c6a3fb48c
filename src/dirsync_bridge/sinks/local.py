"""The embedded ticket store: tickets and comments in a SQLite file of their own.

It is the default sink, so that the tool is useful (and testable end to end) without a
helpdesk. It keeps exactly what ``Sink`` promises and no more: every write is one
transaction (a batch of creates: one for the batch), creating twice with one idempotency key
returns the first ticket, and a comment is named by its key so that writing it again
replaces it instead of adding one. Writes come one at a time from the calling thread: the
store is one SQLite connection.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from .. import sqlite
from ..errors import TicketMissing
from ..ports import TicketContent, TicketSnapshot, TicketStatus
from ..sink_values import Found, Made, NewTicket, PeopleCheck, TicketsSeen
from .local_schema import MIGRATIONS, ROLE, TICKET_COLUMNS

KEY_PREFIX: Final = "LOCAL-"
RESOLUTION_DONE: Final = "Done"
"""The resolution this tool sets when it resolves a ticket (Jira's usual name for it)."""


class LocalStore:
    """A ``Sink`` in a local SQLite file; ``":memory:"`` gives a throw-away one for tests."""

    name = "local"
    max_batch = 50
    people = False  # only this tool writes to the local store
    """A batch of creates is one transaction, and so is a group of other writes (with one
    of the ledger's before and after it): 50, as Jira's, the commits of a replay came to
    1.4 a message (1,000 reports, ``bench/scale_bench.py``), 2.7 with 10. A reconcile holds
    four batches' worth of problems in memory at once."""
    max_in_flight = 1

    def __init__(self, path: Path | str) -> None:
        """Open (creating if needed) the store and bring its schema up to date."""
        self.path = path
        self._conn = sqlite.connect(path, MIGRATIONS, ROLE)

    @classmethod
    def open_readonly(cls, path: Path) -> LocalStore:
        """The existing store at ``path``, to read only (``tickets show``): nothing created,
        nothing migrated, so a user who may read the state but not write it can look."""
        store = cls.__new__(cls)
        store.path = path
        store._conn = sqlite.connect_readonly(path, MIGRATIONS, ROLE)
        return store

    @classmethod
    def copy_of(cls, path: Path) -> LocalStore:
        """An in-memory copy of the store at ``path`` (empty if there is none): for dry runs.

        A dry run goes through the same writes as a real one; on a copy they change nothing
        on disk.
        """
        store = cls.__new__(cls)
        store.path = path
        store._conn = sqlite.memory_copy(path, MIGRATIONS, ROLE)
        return store

    def grouped(self) -> AbstractContextManager[None]:
        """The writes made inside commit as one transaction (``sqlite.grouped``): each still
        counts as one write taken, and one that fails undoes itself alone."""
        return sqlite.grouped(self._conn)

    def find(
        self, idempotency_key: str, written_at: datetime | None = None
    ) -> TicketSnapshot | None:
        """The ticket created with this idempotency key, or None if there is none."""
        row = self._conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE idempotency_key = ?",
            (idempotency_key,),
        ).fetchone()
        return None if row is None else self._snapshot(row)

    def find_many(
        self,
        idempotency_keys: Sequence[str],
        written_at: datetime | None = None,
        *,
        known: Callable[[str], bool] = lambda key: False,
    ) -> Found:
        """The tickets created with these keys (the store's answer is never in doubt)."""
        found = {key: self.find(key) for key in idempotency_keys}
        return Found({key: ticket for key, ticket in found.items() if ticket is not None})

    def resolved_since(self, since: datetime | None) -> PeopleCheck:
        """Nothing: only this tool writes to the local store."""
        return PeopleCheck([], datetime.now(UTC))

    def which_exist(self, keys: Sequence[str]) -> TicketsSeen:
        """Every ticket here: only this tool writes to the local store (one query)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self._conn.execute(
                "SELECT key, idempotency_key FROM tickets "
                f"WHERE key IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update({str(r[1]): str(r[0]) for r in rows})
        return TicketsSeen(frozenset(set(wanted) - set(found.values())), found)

    def snapshot(self, key: str) -> TicketSnapshot:
        """The current state of ticket ``key``; ``KeyError`` if there is no such ticket."""
        return self._snapshot(self._row(key))

    def create(
        self,
        idempotency_key: str,
        fingerprint: str,
        content: TicketContent,
        *,
        family: str = "unknown",
        reach_by: Callable[[datetime], None] | None = None,
    ) -> TicketSnapshot:
        """Create an open ticket, or return the one already created with this key."""
        (made,) = self.create_many([NewTicket(idempotency_key, fingerprint, content, family)])
        assert isinstance(made, TicketSnapshot)
        return made

    def create_many(
        self,
        tickets: Sequence[NewTicket],
        *,
        reach_by: Callable[[datetime], None] | None = None,
        known: Callable[[str], bool] = lambda key: False,
    ) -> list[Made]:
        """Create open tickets (the one already created with a key is returned instead), in
        one transaction; each counts as one write taken, as the ledger counts them.

        ``reach_by`` is not called: the store's search never lags behind its writes.
        """
        now = _now()
        keys = []
        with sqlite.transaction(self._conn):
            # Checked inside the transaction (BEGIN IMMEDIATE holds the write lock), so two
            # processes repeating the same create cannot both insert.
            for ticket in tickets:
                keys.append(self._insert(ticket, now))
                self._count_write()
        return [self.snapshot(key) for key in keys]

    def _insert(self, ticket: NewTicket, now: str) -> str:
        existing = self._conn.execute(
            "SELECT key FROM tickets WHERE idempotency_key = ?", (ticket.idempotency_key,)
        ).fetchone()
        if existing is not None:
            return str(existing["key"])
        cursor = self._conn.execute(
            "INSERT INTO tickets (idempotency_key, fingerprint, summary, description,"
            " links, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
            (
                ticket.idempotency_key,
                ticket.fingerprint,
                ticket.content.summary,
                ticket.content.description,
                _links_json(ticket.content.links),
                now,
                now,
            ),
        )
        key = f"{KEY_PREFIX}{cursor.lastrowid}"
        self._conn.execute("UPDATE tickets SET key = ? WHERE id = ?", (key, cursor.lastrowid))
        return key

    def update(
        self, key: str, content: TicketContent, *, comment: tuple[str, str] | None = None
    ) -> None:
        """Replace the summary, description and links of ticket ``key``; with ``comment``,
        put that comment too (one transaction)."""
        with sqlite.transaction(self._conn):
            if comment is not None:
                self.put_comment(key, *comment)
            cursor = self._conn.execute(
                "UPDATE tickets SET summary = ?, description = ?, links = ?, updated_at = ?"
                " WHERE key = ?",
                (content.summary, content.description, _links_json(content.links), _now(), key),
            )
            if cursor.rowcount == 0:
                raise TicketMissing(self.path, key)
            self._count_write()

    def link(self, key: str, to: str) -> None:
        """Name ``to`` among the links of ticket ``key`` (``tickets`` shows them)."""
        with sqlite.transaction(self._conn):
            links = tuple(json.loads(self._row(key)["links"]))
            if to not in links:
                self._conn.execute(
                    "UPDATE tickets SET links = ? WHERE key = ?", (_links_json((*links, to)), key)
                )
            self._count_write()  # one write taken, as the ledger counts it

    def put_comment(self, key: str, comment_key: str, body: str) -> None:
        """Add the comment named ``comment_key`` to ticket ``key``, or replace its body."""
        now = _now()
        with sqlite.transaction(self._conn):
            self._require(key)
            self._conn.execute(
                "INSERT INTO comments (ticket_key, comment_key, body, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (ticket_key, comment_key)"
                " DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                (key, comment_key, body, now, now),
            )
            self._count_write()

    def remove_comment(self, key: str, comment_key: str) -> None:
        """Remove the comment named ``comment_key`` from ticket ``key`` if it is there."""
        with sqlite.transaction(self._conn):
            self._require(key)
            self._conn.execute(
                "DELETE FROM comments WHERE ticket_key = ? AND comment_key = ?",
                (key, comment_key),
            )
            self._count_write()

    def set_status(self, key: str, status: TicketStatus) -> None:
        """Resolve (resolution "Done") or reopen (no resolution) ticket ``key``."""
        resolution = RESOLUTION_DONE if status == "resolved" else None
        with sqlite.transaction(self._conn):
            cursor = self._conn.execute(
                "UPDATE tickets SET status = ?, resolution = ?, updated_at = ? WHERE key = ?",
                (status, resolution, _now(), key),
            )
            if cursor.rowcount == 0:
                raise TicketMissing(self.path, key)
            self._count_write()

    def tickets(self) -> list[TicketSnapshot]:
        """Every ticket in the store, oldest first."""
        rows = self._conn.execute(f"SELECT {TICKET_COLUMNS} FROM tickets ORDER BY id").fetchall()
        comments: dict[str, dict[str, str]] = {}
        for ticket_key, comment_key, body in self._conn.execute(
            "SELECT ticket_key, comment_key, body FROM comments ORDER BY id"
        ):
            comments.setdefault(ticket_key, {})[comment_key] = body
        return [_to_snapshot(row, comments.get(row["key"], {})) for row in rows]

    def close(self) -> None:
        """Empty the log into the file, and close the database connection."""
        sqlite.checkpoint(self._conn)
        self._conn.close()

    # -- identity, and rebuilding from the ledger (``rebuild``) ---------------------------------

    def write_out(self) -> bool:
        """Move everything written into the file itself and empty its log; whether it all went.

        For a store that is about to be renamed (``tickets rebuild``): a log left beside it
        would not follow it. A full disk here raises, as any write does.
        """
        busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return not busy

    def identity(self) -> tuple[str, int]:
        """(store id, writes taken): which store this is, and how far it has got."""
        row = self._conn.execute("SELECT store_id, revision FROM store WHERE id = 1").fetchone()
        return str(row[0]), int(row[1])

    def get(self, key: str) -> TicketSnapshot | None:
        """Ticket ``key``, or None if the store has no such ticket."""
        row = self._conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else self._snapshot(row)

    def last_number(self) -> int:
        """The highest ticket number this store ever gave (0 if none)."""
        row = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'tickets'")
        found = row.fetchone()
        return int(found[0]) if found else 0

    def restore(self, tickets: Iterable[TicketSnapshot], next_after: int) -> None:
        """Put these tickets in, under their own keys; new keys will follow ``next_after``.

        For a store being rebuilt (empty, not yet in use): one transaction, and the store's
        write count does not move, since these are not writes the ledger counts.
        """
        now = _now()
        with sqlite.transaction(self._conn):
            for ticket in tickets:
                number = ticket_number(ticket.key)
                self._conn.execute(
                    "INSERT INTO tickets (id, key, idempotency_key, fingerprint, summary,"
                    " description, links, status, resolution, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        number,
                        ticket.key,
                        ticket.idempotency_key,
                        ticket.fingerprint,
                        ticket.content.summary,
                        ticket.content.description,
                        _links_json(ticket.content.links),
                        ticket.status,
                        ticket.resolution,
                        now,
                        now,
                    ),
                )
                self._conn.executemany(
                    "INSERT INTO comments (ticket_key, comment_key, body, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(ticket.key, k, body, now, now) for k, body in ticket.comments.items()],
                )
            # AUTOINCREMENT never goes below sqlite_sequence: no old key is ever given again.
            self._conn.execute("DELETE FROM sqlite_sequence WHERE name = 'tickets'")
            self._conn.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('tickets', ?)",
                (max(next_after, self._max_id()),),
            )

    def _max_id(self) -> int:
        return int(self._conn.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0])

    def _count_write(self) -> None:
        # In the write's own transaction: the count and the write cannot part.
        self._conn.execute("UPDATE store SET revision = revision + 1 WHERE id = 1")

    def _row(self, key: str) -> sqlite3.Row:
        row: sqlite3.Row | None = self._conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            raise TicketMissing(self.path, key)
        return row

    def _require(self, key: str) -> None:
        # A KeyError names the missing ticket; the foreign key alone would only say
        # "FOREIGN KEY constraint failed".
        self._row(key)

    def _snapshot(self, row: sqlite3.Row) -> TicketSnapshot:
        comments = self._conn.execute(
            "SELECT comment_key, body FROM comments WHERE ticket_key = ? ORDER BY id",
            (row["key"],),
        )
        return _to_snapshot(row, _as_dict(comments))


def ticket_number(key: str) -> int:
    """The number in a local key (``LOCAL-7`` -> 7); ``ValueError`` for any other key."""
    prefix, _, number = key.partition("-")
    if f"{prefix}-" != KEY_PREFIX or not number.isdigit():
        raise ValueError(f"{key} is not a local ticket key")
    return int(number)


def _to_snapshot(row: sqlite3.Row, comments: dict[str, str]) -> TicketSnapshot:
    links = tuple(json.loads(row["links"]))
    return TicketSnapshot(
        key=row["key"],
        idempotency_key=row["idempotency_key"],
        fingerprint=row["fingerprint"],
        content=TicketContent(
            summary=row["summary"],
            description=row["description"],
            links=links,
        ),
        status=row["status"],
        resolution=row["resolution"],
        comments=comments,
        linked=links,  # a link here is the line in the links column
    )


def _as_dict(pairs: Iterable[sqlite3.Row]) -> dict[str, str]:
    return {comment_key: body for comment_key, body in pairs}


def _links_json(links: tuple[str, ...]) -> str:
    return json.dumps(list(links))


def _now() -> str:
    """Store metadata only (when a row was written); ticket facts use report times."""
    return datetime.now(UTC).isoformat()
