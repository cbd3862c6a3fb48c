"""One step of the lifecycle: what one report of a problem's tenant calls for (``decide``).

What is tracked about a problem's current ticket (``Tracked``), one report's observation of
it, the rules' knobs (``Policy``), and which problems a report can vouch for by leaving them
out (its *coverage*, design.md section 9). Pure: no I/O, no clock (``now`` is the report's
time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ..ports import TicketStatus
from ..problem import Details

TOOL_RESOLUTION = "Done"
"""The resolution this tool gives a ticket it resolves (absent long enough, or verified)."""

Action = Literal["create", "touch", "comment", "resolve", "reopen", "create-new-and-link", "none"]
CommentKind = Literal["changed", "resolved", "reopened", "verified", "unverified"]

Coverage = Literal["unquarantined", "quarantined"]
"""The problems a complete report can show: every kind but the quarantines (an email, a
csexport file), or only the quarantines (a Graph provisioning-errors scan)."""

GONE_FROM_GRAPH = "Graph no longer lists it"
"""The note of a quarantine resolved because complete Graph scans stopped listing it."""


def coverage_of(source_kind: str | None, complete: bool) -> Coverage | None:
    """What a report of this source can vouch for by leaving a problem out (None: nothing)."""
    if not complete:
        return None
    return "quarantined" if source_kind == "graph-provisioning" else "unquarantined"


def covers(coverage: Coverage | None, details: Details) -> bool:
    """Whether a report of ``coverage`` would have listed a problem with these details."""
    if coverage is None:
        return False
    return (coverage == "quarantined") == details.quarantined


@dataclass(frozen=True, slots=True)
class Policy:
    """The rules' knobs: ``[tickets]``, and ``never_reopen`` from the sink's section. No
    defaults here: the configuration holds them (``config.settings``), in one place."""

    resolve_after_reports: int
    reopen_within: timedelta
    never_reopen: frozenset[str]


@dataclass(frozen=True, slots=True)
class Tracked:
    """What the lifecycle knows about a problem's current ticket."""

    episode: int
    status: TicketStatus
    details: Details
    last_seen: datetime
    absent: int = 0
    """Consecutive later reports of the tenant without the problem."""
    resolved_at: datetime | None = None
    resolution: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """One report of the problem's tenant: the problem seen in it (with details) or not."""

    present: bool
    details: Details | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One action and why, in words a ticket comment can use."""

    action: Action
    reason: str


def decide(
    tracked: Tracked | None, observation: Observation, policy: Policy, now: datetime
) -> Decision:
    """The action one report calls for. ``now`` is the report's time, never the clock's."""
    if tracked is None:
        if observation.present:
            return Decision("create", "first seen")
        return Decision("none", "not tracked and not seen")
    if observation.present:
        if tracked.status == "open":
            if observation.details is not None and observation.details != tracked.details:
                return Decision("comment", "details changed")
            return Decision("touch", "seen again, unchanged")
        if _never_reopen(tracked.resolution, policy):
            return Decision(
                "create-new-and-link", f"seen again, but resolved as {tracked.resolution!r}"
            )
        if tracked.resolved_at is not None and now - tracked.resolved_at > policy.reopen_within:
            return Decision("create-new-and-link", "seen again long after it was resolved")
        return Decision("reopen", "seen again after it was resolved")
    if tracked.status == "resolved":
        return Decision("none", "still absent")
    if tracked.absent + 1 >= policy.resolve_after_reports:
        return Decision("resolve", f"absent from {tracked.absent + 1} consecutive reports")
    return Decision("none", "absent, not yet long enough")


def _never_reopen(resolution: str | None, policy: Policy) -> bool:
    # Jira's names are compared as Jira compares them, whatever the case in the config
    # ("won't do" is "Won't Do"); only met when a resolved problem is seen again: rare.
    folded = (resolution or "").strip().casefold()
    return bool(folded) and any(folded == name.strip().casefold() for name in policy.never_reopen)
