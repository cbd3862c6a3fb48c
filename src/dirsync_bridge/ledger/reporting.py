"""What ``report --html`` reads from the ledger: each ticket's open spans and its details.

Read only, from a connection opened with ``Ledger.open_readonly``: nothing here writes,
folds or migrates. A problem's lifecycle state (``problem_states``, kept by ``states``) holds
its tickets (episodes) with the times they were opened, resolved and reopened, so the page
shows the history the tickets followed, not a guess from first and last sightings. A
problem with no state yet (a ledger from before states were kept, not run since) is read
from its ticket rows instead: open from first seen, and, when resolved, until last seen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from pydantic import TypeAdapter, ValidationError

from ..lifecycle import Episode, FoldState
from ..problem import Details, Problem

_STATE: Final = TypeAdapter(FoldState)


def _time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TicketSpan:
    """One ticket of a problem, as the report page needs it."""

    fingerprint: str
    kind: str
    """The kind it was opened for (as its ``tickets`` row says), else the problem's family."""
    tenant: str | None
    opened: datetime
    spans: tuple[tuple[datetime, datetime | None], ...]
    """When it was open: (from, until), until None while it still is."""
    details: Details
    """What its latest sighting said (conflicting attributes and values)."""

    @property
    def resolved_at(self) -> datetime | None:
        """When it was last resolved (None while it is open)."""
        return self.spans[-1][1] if self.spans else None


def newest_report(conn: sqlite3.Connection) -> datetime | None:
    """The time of the newest report the ledger holds (None: none yet)."""
    row = conn.execute("SELECT MAX(at) FROM reports").fetchone()
    return _time(row[0]) if row and row[0] else None


def ticket_spans(conn: sqlite3.Connection) -> Iterator[TicketSpan]:
    """Every ticket the ledger's problems call for, with when each was open."""
    apart = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'problem_states'"
    ).fetchone()
    # States are kept apart from the problems' rows since migration 0008-scale; a ledger a
    # run has not migrated yet (read only here) still holds them in ``problems.state``.
    rows = conn.execute(
        "SELECT p.fingerprint, p.data, s.state, p.episode, p.last_seen FROM problems p "
        "LEFT JOIN problem_states s ON s.problem = p.rowid ORDER BY p.rowid"
        if apart
        else "SELECT fingerprint, data, state, episode, last_seen FROM problems ORDER BY rowid"
    ).fetchall()
    for fingerprint, data, state, current, last_seen in rows:
        problem = Problem.model_validate_json(data)
        folded = _state(state)
        if folded is None:
            yield from _from_tickets(conn, fingerprint, problem)
            continue
        if current is not None and last_seen and 0 <= current < len(folded.episodes):
            # A touch moves the current ticket's last sighting in a column, not in the state.
            folded.episodes[current].last_seen = _time(last_seen)
        for episode in folded.episodes:
            span = _episode_span(problem, episode)
            if span is not None:
                yield span


def _state(text: str | None) -> FoldState | None:
    if text is None:
        return None
    try:
        return _STATE.validate_json(text)
    except ValidationError:
        return None  # written by another version: the ticket rows still say enough


def _episode_span(problem: Problem, episode: Episode) -> TicketSpan | None:
    if episode.first_seen is None:
        return None
    spans: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = episode.first_seen
    for comment in sorted(episode.comments, key=lambda c: c.at):
        if comment.kind == "resolved" and start is not None:
            spans.append((start, comment.at))
            start = None
        elif comment.kind == "reopened" and start is None:
            start = comment.at
    if start is not None:
        # Resolved with no comment of ours (a person resolved it in the sink): open until
        # it was last seen, the nearest time the history holds.
        end = episode.last_seen if episode.status == "resolved" else None
        spans.append((start, end))
    kinds = episode.opened_by.details.kinds
    return TicketSpan(
        fingerprint=problem.fingerprint,
        kind=kinds[0] if kinds else problem.family,
        tenant=problem.tenant,
        opened=episode.first_seen,
        spans=tuple(spans),
        details=episode.details,
    )


def _from_tickets(
    conn: sqlite3.Connection, fingerprint: str, problem: Problem
) -> Iterator[TicketSpan]:
    rows = conn.execute(
        "SELECT status, kind, first_seen, last_seen FROM tickets WHERE fingerprint = ? "
        "ORDER BY episode",
        (fingerprint,),
    )
    for status, kind, first_seen, last_seen in rows:
        if not first_seen:
            continue
        opened = _time(first_seen)
        until = _time(last_seen) if status == "resolved" and last_seen else None
        yield TicketSpan(
            fingerprint=fingerprint,
            kind=kind or problem.family,
            tenant=problem.tenant,
            opened=opened,
            spans=((opened, until),),
            details=Details(),
        )
