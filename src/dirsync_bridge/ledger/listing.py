"""What the ``tickets`` command lists, read from the ledger (mixed into ``Ledger``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from ..ports import TicketStatus
from .history import moment


def _parse_time(value: str) -> datetime:
    # Fixed width, UTC, as everywhere in the ledger.
    return moment(value)


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One line of ``dirsync-bridge tickets``."""

    key: str
    fingerprint: str
    status: TicketStatus
    summary: str
    kind: str | None
    identity: str | None
    tenant: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    occurrences: int
    comments: int


class ListingLedger:
    """The ``tickets`` listing over the ledger's connection."""

    conn: sqlite3.Connection

    def tickets(self, status: TicketStatus | None = None) -> Iterator[TicketRow]:
        """Tickets for the ``tickets`` command, oldest first; all when ``status`` is None."""
        query = (
            "SELECT key, fingerprint, status, summary, kind, identity, tenant, first_seen, "
            "last_seen, occurrences, comments FROM tickets"
        )
        params: tuple[str, ...] = ()
        if status is not None:
            query += " WHERE status = ?"
            params = (status,)
        for row in self.conn.execute(query + " ORDER BY first_seen, key", params):
            yield TicketRow(
                key=row["key"],
                fingerprint=row["fingerprint"],
                status=row["status"],
                summary=row["summary"],
                kind=row["kind"],
                identity=row["identity"],
                tenant=row["tenant"],
                first_seen=_parse_time(row["first_seen"]) if row["first_seen"] else None,
                last_seen=_parse_time(row["last_seen"]) if row["last_seen"] else None,
                occurrences=row["occurrences"],
                comments=len(json.loads(row["comments"])),
            )

    def counts(self) -> dict[str, int]:
        """Messages by status (for summaries and tests)."""
        rows = self.conn.execute("SELECT status, COUNT(*) FROM messages GROUP BY status")
        return {str(row[0]): int(row[1]) for row in rows}
