"""What the ``tickets`` command lists, read from the ledger (mixed into ``Ledger``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from ..fingerprint import tenant_normal
from ..ports import TicketStatus
from .history import moment, stamp


def _parse_time(value: str) -> datetime:
    # Fixed width, UTC, as everywhere in the ledger.
    return moment(value)


def _time_text(value: datetime) -> str:
    return stamp(value)


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


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Which tickets ``tickets`` lists: each given field narrows the list."""

    status: TicketStatus | None = None
    kind: str | None = None
    """A kind, as shown (case-blind)."""
    tenant: str | None = None
    """A tenant, matched as fingerprints match names (``fingerprint.tenant_normal``)."""
    spellings: tuple[str, ...] = ()
    """The other names ``tenant`` goes by (its canonical name and aliases): a ticket filed
    under any of them is the tenant's (a spelling established before the alias was added)."""
    since: datetime | None = None
    """Seen at or after this time."""


SELECT_TICKETS = (
    # A ticket resolved as merged into another stays, in the ledger, with the problem merged
    # away (``identities``), which has no history any more: it is named by the problem it
    # was merged into, whose ticket it points to (``merged_into`` names the end of a chain).
    "SELECT key, COALESCE((SELECT p.merged_into FROM problems p "
    "WHERE p.fingerprint = tickets.fingerprint), tickets.fingerprint) AS fingerprint, "
    "status, summary, kind, identity, tenant, first_seen, last_seen, occurrences, comments, "
    "episode, tickets.fingerprint AS kept_under FROM tickets"
)


def ticket_row(row: sqlite3.Row) -> TicketRow:
    """A ``TicketRow`` from a row of ``SELECT_TICKETS``."""
    return TicketRow(
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


class ListingLedger:
    """The ``tickets`` listing over the ledger's connection."""

    conn: sqlite3.Connection

    def tickets(
        self, status: TicketStatus | None = None, *, where: TicketFilter | None = None
    ) -> Iterator[TicketRow]:
        """Tickets for the ``tickets`` command, by when they were last seen (oldest first,
        as the table shows them); all when ``status`` is None and no filter is given."""
        wanted = where or TicketFilter(status=status)
        clauses: list[str] = []
        params: list[str] = []
        for clause, value in (
            ("status = ?", wanted.status),
            ("kind = ? COLLATE NOCASE", wanted.kind),
            # Fixed-width UTC text: compared as text, in time order.
            ("last_seen >= ?", _time_text(wanted.since) if wanted.since else None),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if wanted.tenant is not None:
            names = sorted({tenant_normal(n) for n in (wanted.tenant, *wanted.spellings)})
            clauses.append("tenant_normal(tenant) IN (" + ",".join("?" * len(names)) + ")")
            params += names
            # Spellings are compared as the ledger compares them: NFKC, case-folded.
            self.conn.create_function("tenant_normal", 1, tenant_normal, deterministic=True)
        query = SELECT_TICKETS + (" WHERE " + " AND ".join(clauses) if clauses else "")
        # A ticket never seen (none is, but the column allows it) sorts first, as "-".
        order = " ORDER BY last_seen IS NOT NULL, last_seen, key"
        for row in self.conn.execute(query + order, params):
            yield ticket_row(row)

    def counts(self) -> dict[str, int]:
        """Messages by status (for summaries and tests)."""
        rows = self.conn.execute("SELECT status, COUNT(*) FROM messages GROUP BY status")
        return {str(row[0]): int(row[1]) for row in rows}
