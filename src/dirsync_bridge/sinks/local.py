"""The embedded ticket store: tickets and comments in SQLite, in the ledger's own file.

It is the default sink, so that the tool is useful (and testable end to end) without a
helpdesk. It keeps exactly what ``Sink`` promises and no more: every write is one
transaction (a batch of creates: one for the batch), creating twice with one idempotency key
returns the first ticket, and a comment is named by its key so that writing it again
replaces it instead of adding one. Writes come one at a time from the calling thread.

A run keeps the store in the ledger's file, on the ledger's connection (``in_ledger``): a
write and the ledger's record of it then commit together when they are grouped, and a
batch of writes with its intents and records is one transaction. Earlier releases kept it
in a file of its own (``tickets.db``), moved in by ``local_import``; such a file, or one in
memory, is still a store (``LocalStore(path)``), for that move and for tests.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from .. import sqlite
from ..errors import TicketMissing
from ..ports import TicketContent, TicketSnapshot, TicketStatus
from ..sink_values import Found, Made, NewTicket, PeopleCheck, TicketsSeen
from ..sqlite_counts import GroupedCount
from .local_keeping import KEY_PREFIX, StoreKeeping, links_json, now_stamp, ticket_number
from .local_schema import IN_LEDGER, MIGRATIONS, ROLE, SEPARATE, TICKET_COLUMNS, Tables

__all__ = ["KEY_PREFIX", "RESOLUTION_DONE", "LocalStore", "ticket_number"]

RESOLUTION_DONE: Final = "Done"
"""The resolution this tool sets when it resolves a ticket (Jira's usual name for it)."""


class LocalStore(StoreKeeping):
    """A ``Sink`` in SQLite: in the ledger's file (``in_ledger``), or in a file of its own
    (``":memory:"`` gives a throw-away one for tests)."""

    name = "local"
    max_batch = 50
    people = False  # only this tool writes to the local store
    """A batch of creates is one transaction, and so is a group of other writes with the
    ledger's intents and records of them: 50, as Jira's. A reconcile holds four batches'
    worth of problems in memory at once."""
    max_in_flight = 1
    _revision: GroupedCount
    """The writes the store has taken, added to once a commit (``grouped``)."""

    def __init__(self, path: Path | str) -> None:
        """Open (creating if needed) the store in a file of its own and bring its schema up
        to date."""
        self.path = path
        self._conn = sqlite.connect(path, MIGRATIONS, ROLE)
        self._t = SEPARATE
        self._owned = True
        self._revision = _revision_of(self._conn, SEPARATE)

    @classmethod
    def in_ledger(cls, conn: sqlite3.Connection, path: Path | str) -> LocalStore:
        """The store kept in the ledger whose connection is ``conn`` (``path``: its file,
        for messages). It shares the connection: the ledger closes it."""
        return cls._over(conn, path, IN_LEDGER, owned=False)

    @classmethod
    def in_ledger_readonly(cls, conn: sqlite3.Connection, path: Path | str) -> LocalStore | None:
        """The store kept in the ledger opened read-only on ``conn``; None for a ledger no
        run of this release has written yet (it has no such tables)."""
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (IN_LEDGER.tickets,)
        ).fetchone()
        return None if found is None else cls.in_ledger(conn, path)

    @classmethod
    def open_readonly(cls, path: Path) -> LocalStore:
        """The existing store in a file of its own at ``path``, to read only (``tickets
        show`` before a run has moved it into the ledger): nothing created, nothing
        migrated, so a user who may read the state but not write it can look."""
        return cls._over(sqlite.connect_readonly(path, MIGRATIONS, ROLE), path, SEPARATE)

    @classmethod
    def copy_of(cls, path: Path) -> LocalStore:
        """An in-memory copy of the store in a file of its own at ``path`` (empty if there is
        none): to read it without touching it (``local_import``, dry runs)."""
        return cls._over(sqlite.memory_copy(path, MIGRATIONS, ROLE), path, SEPARATE)

    @classmethod
    def _over(
        cls, conn: sqlite3.Connection, path: Path | str, tables: Tables, *, owned: bool = True
    ) -> LocalStore:
        store = cls.__new__(cls)
        store.path, store._conn, store._t, store._owned = path, conn, tables, owned
        store._revision = _revision_of(conn, tables)
        return store

    @contextmanager
    def grouped(self) -> Iterator[None]:
        """The writes made inside commit as one transaction (``sqlite.grouped``): each still
        counts as one write taken, and one that fails undoes itself alone. Their count is
        added to the revision once, in that transaction, as the group ends."""
        with sqlite.grouped(self._conn), self._revision.group():
            yield

    def _writing(self) -> AbstractContextManager[None]:
        """One write's transaction (a savepoint in a group): a write that fails undoes itself,
        and the writes it counted in the group with it."""
        return self._revision.write()

    def find(
        self, idempotency_key: str, written_at: datetime | None = None
    ) -> TicketSnapshot | None:
        """The ticket created with this idempotency key, or None if there is none."""
        row = self._conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM {self._t.tickets} WHERE idempotency_key = ?",
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
                f"SELECT key, idempotency_key FROM {self._t.tickets} "
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
        now = now_stamp()
        keys = []
        with self._writing():
            # Checked inside the transaction (BEGIN IMMEDIATE holds the write lock), so two
            # processes repeating the same create cannot both insert.
            for ticket in tickets:
                keys.append(self._insert(ticket, now))
            self._count_write(len(tickets))
        return [self.snapshot(key) for key in keys]

    def _insert(self, ticket: NewTicket, now: str) -> str:
        existing = self._conn.execute(
            f"SELECT key FROM {self._t.tickets} WHERE idempotency_key = ?",
            (ticket.idempotency_key,),
        ).fetchone()
        if existing is not None:
            return str(existing["key"])
        cursor = self._conn.execute(
            f"INSERT INTO {self._t.tickets} (idempotency_key, fingerprint, summary, description,"
            " links, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
            (
                ticket.idempotency_key,
                ticket.fingerprint,
                ticket.content.summary,
                ticket.content.description,
                links_json(ticket.content.links),
                now,
                now,
            ),
        )
        key = f"{KEY_PREFIX}{cursor.lastrowid}"
        self._conn.execute(
            f"UPDATE {self._t.tickets} SET key = ? WHERE id = ?", (key, cursor.lastrowid)
        )
        return key

    def update(
        self, key: str, content: TicketContent, *, comment: tuple[str, str] | None = None
    ) -> None:
        """Replace the summary, description and links of ticket ``key``; with ``comment``,
        put that comment too (one transaction)."""
        with self._writing():
            if comment is not None:
                self.put_comment(key, *comment)
            cursor = self._conn.execute(
                f"UPDATE {self._t.tickets} SET summary = ?, description = ?, links = ?,"
                " updated_at = ? WHERE key = ?",
                (content.summary, content.description, links_json(content.links), now_stamp(), key),
            )
            if cursor.rowcount == 0:
                raise TicketMissing(self.path, key)
            self._count_write()

    def link(self, key: str, to: str) -> None:
        """Name ``to`` among the links of ticket ``key`` (``tickets`` shows them)."""
        with self._writing():
            links = tuple(json.loads(self._row(key)["links"]))
            if to not in links:
                self._conn.execute(
                    f"UPDATE {self._t.tickets} SET links = ? WHERE key = ?",
                    (links_json((*links, to)), key),
                )
            self._count_write()  # one write taken, as the ledger counts it

    def unlink(self, key: str, to: str) -> None:
        """Take ``to`` out of the links of ticket ``key``."""
        with self._writing():
            links = tuple(json.loads(self._row(key)["links"]))
            if to in links:
                self._conn.execute(
                    f"UPDATE {self._t.tickets} SET links = ? WHERE key = ?",
                    (links_json(tuple(k for k in links if k != to)), key),
                )
            self._count_write()  # one write taken, as the ledger counts it

    def put_comment(self, key: str, comment_key: str, body: str) -> None:
        """Add the comment named ``comment_key`` to ticket ``key``, or replace its body."""
        now = now_stamp()
        with self._writing():
            self._require(key)
            self._conn.execute(
                f"INSERT INTO {self._t.comments} (ticket_key, comment_key, body, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (ticket_key, comment_key)"
                " DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                (key, comment_key, body, now, now),
            )
            self._count_write()

    def remove_comment(self, key: str, comment_key: str) -> None:
        """Remove the comment named ``comment_key`` from ticket ``key`` if it is there."""
        with self._writing():
            self._require(key)
            self._conn.execute(
                f"DELETE FROM {self._t.comments} WHERE ticket_key = ? AND comment_key = ?",
                (key, comment_key),
            )
            self._count_write()

    def set_status(self, key: str, status: TicketStatus) -> None:
        """Resolve (resolution "Done") or reopen (no resolution) ticket ``key``."""
        resolution = RESOLUTION_DONE if status == "resolved" else None
        with self._writing():
            cursor = self._conn.execute(
                f"UPDATE {self._t.tickets} SET status = ?, resolution = ?, updated_at = ?"
                " WHERE key = ?",
                (status, resolution, now_stamp(), key),
            )
            if cursor.rowcount == 0:
                raise TicketMissing(self.path, key)
            self._count_write()

    def tickets(self) -> list[TicketSnapshot]:
        """Every ticket in the store, oldest first."""
        rows = self._conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM {self._t.tickets} ORDER BY id"
        ).fetchall()
        comments: dict[str, dict[str, str]] = {}
        for ticket_key, comment_key, body in self._conn.execute(
            f"SELECT ticket_key, comment_key, body FROM {self._t.comments} ORDER BY id"
        ):
            comments.setdefault(ticket_key, {})[comment_key] = body
        return [_to_snapshot(row, comments.get(row["key"], {})) for row in rows]

    def close(self) -> None:
        """Empty the log into the file, and close the database connection (of a store in
        a file of its own: the ledger closes its own)."""
        if self._owned:
            sqlite.checkpoint(self._conn)
            self._conn.close()

    def get(self, key: str) -> TicketSnapshot | None:
        """Ticket ``key``, or None if the store has no such ticket."""
        row = self._conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM {self._t.tickets} WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else self._snapshot(row)

    def _count_write(self, writes: int = 1) -> None:
        # In the write's own transaction: the count and the write cannot part (in a group,
        # undone with its savepoint by ``_writing``, added in the group's transaction).
        self._revision.add(writes)

    def _row(self, key: str) -> sqlite3.Row:
        row: sqlite3.Row | None = self._conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM {self._t.tickets} WHERE key = ?", (key,)
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
            f"SELECT comment_key, body FROM {self._t.comments} WHERE ticket_key = ? ORDER BY id",
            (row["key"],),
        )
        return _to_snapshot(row, _as_dict(comments))


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


def _revision_of(conn: sqlite3.Connection, tables: Tables) -> GroupedCount:
    """The store's revision: the writes it has taken (``store_pairing`` is the ledger's)."""
    return GroupedCount(conn, f"UPDATE {tables.store} SET revision = revision + ? WHERE id = 1")
