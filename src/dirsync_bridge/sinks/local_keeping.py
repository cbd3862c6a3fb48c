"""How the local ticket store is kept, as against how it is written (``local``): which store
it is and how many writes it has taken (``store_rebuild.check_store``), a separate store of
an earlier release moved into the ledger (``local_import``), and the store rebuilt from the
ledger (``store_rebuild``). Mixed into ``LocalStore``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from .. import sqlite
from ..errors import Fatal
from ..ports import TicketSnapshot
from .local_schema import IN_LEDGER, ROLE, Tables

KEY_PREFIX: Final = "LOCAL-"

_TICKET_ROW: Final = (
    "id, key, idempotency_key, fingerprint, summary, description, links, status, resolution, "
    "created_at, updated_at"
)
_COMMENT_ROW: Final = "ticket_key, comment_key, body, created_at, updated_at"


class StoreKeeping:
    """The keeping of a local store over its connection (mixed into ``LocalStore``)."""

    path: Path | str
    _conn: sqlite3.Connection
    _t: Tables
    _owned: bool

    @property
    def ledger_connection(self) -> sqlite3.Connection | None:
        """The ledger's connection, when the store is kept in the ledger's file (its writes
        can then commit with the ledger's records of them); None for a file of its own."""
        return None if self._owned else self._conn

    def identity(self) -> tuple[str, int]:
        """(store id, writes taken): which store this is, and how far it has got; ``Fatal``
        (damaged: ``tickets rebuild``) for a store that no longer says."""
        row = self._conn.execute(
            f"SELECT store_id, revision FROM {self._t.store} WHERE id = 1"
        ).fetchone()
        if row is None or not isinstance(row[0], str) or not isinstance(row[1], int):
            raise Fatal(
                f"{self.path}: the local ticket store is damaged (its identity is gone); "
                f"{ROLE.repair}"
            )
        return row[0], row[1]

    def imported_from(self) -> tuple[str, int] | None:
        """(id, writes taken then) of the separate store moved into this one (kept in the
        ledger), if one was."""
        if self._t != IN_LEDGER:
            return None  # (a separate file has no such columns)
        row = self._conn.execute(
            f"SELECT imported_from, imported_revision FROM {self._t.store}"
        ).fetchone()
        if row is None or row[0] is None:
            return None
        if not isinstance(row[0], str) or not isinstance(row[1], int | None):
            raise Fatal(
                f"{self.path}: the local ticket store is damaged (what was moved in is not "
                f"known any more); {ROLE.repair}"
            )
        return row[0], row[1] or 0

    def untouched(self) -> bool:
        """Whether the store has never taken a write, nor a store moved in."""
        revision = self.identity()[1]
        empty = self._conn.execute(f"SELECT 1 FROM {self._t.tickets} LIMIT 1").fetchone()
        return revision == 0 and empty is None and self.imported_from() is None

    def last_number(self) -> int:
        """The highest ticket number this store ever gave (0 if none)."""
        row = self._conn.execute(
            f"SELECT seq FROM sqlite_sequence WHERE name = '{self._t.tickets}'"
        )
        found = row.fetchone()
        return int(found[0]) if found else 0

    def take_in(self, other: StoreKeeping) -> None:
        """Copy every ticket and comment of ``other`` (a separate store of an earlier
        release) into this one, as they are (numbers, keys, times, order), in place of what
        it holds, and take its identity and count of writes: the ledger it was kept with
        knows it still. One transaction."""
        t, o = self._t, other._t
        with sqlite.transaction(self._conn):
            self._conn.execute(f"DELETE FROM {t.comments}")
            self._conn.execute(f"DELETE FROM {t.tickets}")
            self._conn.executemany(
                f"INSERT INTO {t.tickets} ({_TICKET_ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (tuple(r) for r in other._conn.execute(f"SELECT {_TICKET_ROW} FROM {o.tickets}")),
            )
            self._conn.executemany(
                f"INSERT INTO {t.comments} ({_COMMENT_ROW}) VALUES (?, ?, ?, ?, ?)",
                (
                    tuple(r)
                    for r in other._conn.execute(
                        # (A comment on no ticket, which the file's keys should not have
                        # let in, has nothing to be shown with: it is left behind.)
                        f"SELECT {_COMMENT_ROW} FROM {o.comments} WHERE ticket_key IN "
                        f"(SELECT key FROM {o.tickets}) ORDER BY id"
                    )
                ),
            )
            self._numbered_after(other.last_number())
            store_id, revision = other.identity()
            self._conn.execute(
                f"INSERT INTO {t.store} (id, store_id, revision, imported_from, "
                "imported_revision) VALUES (1, ?1, ?2, ?1, ?2) ON CONFLICT (id) DO UPDATE SET "
                "store_id = ?1, revision = ?2, imported_from = ?1, imported_revision = ?2",
                (store_id, revision),
            )

    def replace_all(self, tickets: Iterable[TicketSnapshot], next_after: int) -> tuple[str, int]:
        """Every ticket replaced by these, under their own keys (``restore``), as a new
        store: a new id, no write taken. Returns (store id, writes taken). One transaction
        (a savepoint in a group: ``tickets rebuild`` commits it with the ledger's adoption)."""
        t = self._t
        with sqlite.transaction(self._conn):
            self._conn.execute(f"DELETE FROM {t.comments}")
            self._conn.execute(f"DELETE FROM {t.tickets}")
            self._conn.execute(  # (the row put back, if it was lost)
                f"INSERT INTO {t.store} (id, store_id, revision) "
                "VALUES (1, lower(hex(randomblob(16))), 0) ON CONFLICT (id) DO UPDATE SET "
                "store_id = excluded.store_id, revision = 0"
            )
            self.restore(tickets, next_after)
        return self.identity()

    def restore(self, tickets: Iterable[TicketSnapshot], next_after: int) -> None:
        """Put these tickets in, under their own keys; new keys will follow ``next_after``.

        For a store being rebuilt (empty, not yet in use): one transaction, and the store's
        write count does not move, since these are not writes the ledger counts.
        """
        now = now_stamp()
        with sqlite.transaction(self._conn):
            for ticket in tickets:
                number = ticket_number(ticket.key)
                self._conn.execute(
                    f"INSERT INTO {self._t.tickets} ({_TICKET_ROW})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        number,
                        ticket.key,
                        ticket.idempotency_key,
                        ticket.fingerprint,
                        ticket.content.summary,
                        ticket.content.description,
                        links_json(ticket.content.links),
                        ticket.status,
                        ticket.resolution,
                        now,
                        now,
                    ),
                )
                self._conn.executemany(
                    f"INSERT INTO {self._t.comments} ({_COMMENT_ROW}) VALUES (?, ?, ?, ?, ?)",
                    [(ticket.key, k, body, now, now) for k, body in ticket.comments.items()],
                )
            self._numbered_after(next_after)

    def _numbered_after(self, number: int) -> None:
        # AUTOINCREMENT never goes below sqlite_sequence: no old key is ever given again.
        t = self._t.tickets
        most = self._conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0]
        self._conn.execute(f"DELETE FROM sqlite_sequence WHERE name = '{t}'")
        self._conn.execute(
            f"INSERT INTO sqlite_sequence (name, seq) VALUES ('{t}', ?)", (max(number, int(most)),)
        )


def ticket_number(key: str) -> int:
    """The number in a local key (``LOCAL-7`` -> 7); ``ValueError`` for any other key."""
    prefix, _, number = key.partition("-")
    if f"{prefix}-" != KEY_PREFIX or not number.isdigit():
        raise ValueError(f"{key} is not a local ticket key")
    return int(number)


def links_json(links: tuple[str, ...]) -> str:
    """A ticket's links as its ``links`` column holds them."""
    return json.dumps(list(links))


def now_stamp() -> str:
    """Store metadata only (when a row was written); ticket facts use report times."""
    return datetime.now(UTC).isoformat()
