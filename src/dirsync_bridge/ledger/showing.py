"""What ``tickets show KEY`` reads from the ledger: one ticket, its sightings, its links.

The ledger keeps every ticket's facts whatever the sink; the ticket's own text (description,
comments) lives in the sink and is read there (``ticket_show``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from .listing import SELECT_TICKETS, TicketRow, ticket_row

if TYPE_CHECKING:
    from ..models.enrichment import Enrichment
    from .store import Ledger

_LOCAL_KEY: Final = re.compile(r"LOCAL-[0-9]+")


@dataclass(frozen=True, slots=True)
class Sighted:
    """One report that listed the ticket's problem: when, which report, which kinds."""

    at: datetime
    source: str
    kind: str | None


@dataclass(frozen=True, slots=True)
class TicketHistory:
    """A ticket as the ledger knows it."""

    row: TicketRow
    sink: str
    """``local`` or ``jira``: where its description and comments are."""
    sightings: tuple[Sighted, ...]
    """Oldest first."""
    enrichment: Enrichment | None
    """The latest facts found about its holders, rules and advice, if any were."""
    links: tuple[str, ...]
    """Keys of the earlier tickets of the same problem, oldest first."""
    merged_into: str | None = None
    """For a ticket resolved as merged into another (two problems found to be one object's):
    the key of the ticket its problem is tracked in now; None for any other."""


def ticket_history(ledger: Ledger, key: str) -> TicketHistory | None:
    """Ticket ``key`` as the ledger knows it; None if it has no such ticket."""
    # Keys are upper case (LOCAL-7, OPS-123); a person may type them otherwise.
    found = ledger.conn.execute(SELECT_TICKETS + " WHERE key = ? COLLATE NOCASE", (key,)).fetchone()
    if found is None:
        return None
    row = ticket_row(found)
    episode = int(found["episode"])
    # A problem's sightings span all its tickets: this one's are those of its own span
    # (first to last seen); a sighting at a boundary is the same report for both.
    ours = sorted(
        (
            s
            for s in ledger.sightings(row.fingerprint)
            if (row.first_seen is None or s.at >= row.first_seen)
            and (row.last_seen is None or s.at <= row.last_seen)
        ),
        key=lambda s: (s.at, s.report_key),
    )
    enriched = [s.enrichment for s in ours if s.enrichment is not None]
    # Its earlier tickets are those kept beside it: the problem's own, or, merged away,
    # those of the problem it was made for (the survivor's are the kept ticket's).
    kept_under = str(found["kept_under"])
    earlier = ledger.conn.execute(
        "SELECT key FROM tickets WHERE fingerprint = ? AND episode < ? ORDER BY episode",
        (kept_under, episode),
    )
    return TicketHistory(
        row=row,
        sink=_sink_of(ledger, key),
        sightings=tuple(
            Sighted(at=s.at, source=s.source, kind=", ".join(s.details.kinds) or None) for s in ours
        ),
        enrichment=enriched[-1] if enriched else None,
        links=tuple(str(r[0]) for r in earlier),
        merged_into=_kept_ticket(ledger, row.fingerprint)
        if kept_under != row.fingerprint
        else None,
    )


def _kept_ticket(ledger: Ledger, fingerprint: str) -> str | None:
    # The ticket the problem is tracked in now: its latest (the one a merge kept, or one
    # opened since, which links it).
    found = ledger.conn.execute(
        "SELECT key FROM tickets WHERE fingerprint = ? ORDER BY episode DESC LIMIT 1",
        (fingerprint,),
    ).fetchone()
    return None if found is None else str(found[0])


def _sink_of(ledger: Ledger, key: str) -> str:
    # The sink the ledger's tickets were written to; a ledger from before that record was
    # kept tells by its keys, as ``TicketLedger.keep_with_sink`` does.
    recorded = ledger.conn.execute("SELECT kind FROM ticket_sink").fetchone()
    if recorded is not None:
        return str(recorded[0])
    return "local" if _LOCAL_KEY.fullmatch(key) else "jira"
