"""The tickets a problem's history calls for: its episodes, their planned comments, and the
state a fold has brought the problem to (``FoldState``), with the shapes of the fold's inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..ports import TicketStatus
from ..problem import Details, Sighting
from .steps import CommentKind, Coverage, Tracked


@dataclass(frozen=True, slots=True)
class PlannedComment:
    """A comment the history calls for; ``key`` is stable across replays in any order."""

    key: str
    kind: CommentKind
    at: datetime
    source: str | None
    before: Details | None = None
    after: Details | None = None
    absent_reports: int = 0
    last_seen: datetime | None = None
    note: str | None = None
    """"verified": what was checked; "unverified": why an earlier verification was wrong."""


@dataclass(slots=True)
class Episode:
    """One ticket of a problem: opened by a sighting, maybe resolved and reopened."""

    number: int
    opened_by: Sighting
    status: TicketStatus = "open"
    resolution: str | None = None
    details: Details = field(default_factory=Details)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    occurrences: int = 0
    comments: list[PlannedComment] = field(default_factory=list)
    changed_by: Sighting | None = None
    """The sighting of the latest change of details (None: none since ``opened_by``): the
    refreshed summary and description are rendered from it whole, so the new kind never
    sits beside the old report's message and ``Report:`` line."""

    def comment(
        self,
        kind: CommentKind,
        at: datetime,
        source: str | None,
        *,
        before: Details | None = None,
        after: Details | None = None,
        absent_reports: int = 0,
        last_seen: datetime | None = None,
        note: str | None = None,
    ) -> None:
        """Append a comment keyed by episode, kind and count of that kind so far.

        The key is positional on purpose: an out-of-order replay may move *when* a
        resolution happened, but it stays "the first resolution of this ticket".
        """
        count = sum(1 for c in self.comments if c.kind == kind)
        self.comments.append(
            PlannedComment(
                f"{self.number}:{kind}:{count}",
                kind,
                at,
                source,
                before,
                after,
                absent_reports,
                last_seen,
                note,
            )
        )


Timeline = Sequence[tuple[datetime, str]]
"""A tenant's reports in report-time order: (time, report key)."""

Coverages = Mapping[str, Coverage | None]
"""Report key -> its coverage; a report not named covers every kind but the quarantines
(an email's: every ledger from before coverage was kept holds emails only)."""

Resolutions = Mapping[int, Sequence[tuple[datetime, str]]]
"""Episode -> resolutions given to its ticket outside the reports, oldest first: (time,
name) a person gave it in the sink, or (time, ``VERIFIED`` + what) this tool's check."""


@dataclass(slots=True)
class FoldState:
    """Where a problem's history has brought it: its tickets so far, and what is tracked.

    ``fold`` builds it from the whole history; ``observe`` and ``resolve_outside`` move it
    one event on, which is all a report newer than every other (or a resolution later than
    everything applied) needs: the result is the same as folding the whole history again.
    """

    episodes: list[Episode] = field(default_factory=list)
    tracked: Tracked | None = None
