"""The ticket lifecycle: all the judgement, as pure functions of data and report time.

``decide`` takes one step: given what is tracked about a problem and one report of its
tenant (the problem in it, or not), it returns one action. ``fold`` runs ``decide`` over a
problem's whole history in report-time order and returns the tickets that history calls
for ("episodes"), with their comments and final status.

Because the tickets are a function of the *set* of reports, never of the order they were
read in, replaying the same reports in any order, any number of times, converges on the
same tickets (design.md section 4). The sinks are then brought to that target.

An absence counts only within the report's *coverage* (design.md section 9): a complete
email or csexport file can list every kind but the quarantines, a complete Graph scan only
the quarantines, an incomplete report (an event-log export, a scan that lost a page) nothing
for sure. A report that cannot show a problem says nothing about it: that absence is no
step at all, neither counted nor breaking a run of absences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from .ports import TicketStatus
from .problem import Details, Sighting

TOOL_RESOLUTION = "Done"
VERIFIED = "dirsync-bridge verified: "
"""Prefix of a resolution this tool makes after checking Graph (``[tickets] verify_with_graph``);
the rest says what was verified. It resolves the ticket with a "verified" comment."""
FIRST = "dirsync-bridge came second to: "
"""Prefixes a person's resolution the tool met when it went to resolve the ticket itself
(``resolve_outside``): theirs replaces the tool's own."""
REOPENED = "dirsync-bridge saw it reopened"
"""Not a resolution: a person reopened the ticket in the sink (``resolve_outside``). It is
open again from then on, and its absences are counted afresh."""

Action = Literal["create", "touch", "comment", "resolve", "reopen", "create-new-and-link", "none"]
CommentKind = Literal["changed", "resolved", "reopened", "verified"]

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


# ---------------------------------------------------------------------------------------------
# The fold: a problem's history -> the tickets it calls for


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
    """"verified": what was checked."""


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


def fold(
    sightings: Sequence[Sighting],
    timeline: Timeline,
    policy: Policy,
    resolutions: Resolutions | None = None,
    coverage: Coverages | None = None,
) -> list[Episode]:
    """The episodes (tickets) a problem's sightings call for, given its tenant's reports.

    Only the reports from the first sighting on matter, and only until the problem is
    resolved for good (no later sighting): the loop stops there, so a problem costs its
    own span of the timeline, not the whole timeline.

    ``resolutions`` are events too: a ticket a person resolved is resolved from that time
    on, so a later sighting reopens it, or (``never_reopen``, or past ``reopen_within``)
    opens a new ticket.
    """
    return fold_state(sightings, timeline, policy, resolutions, coverage).episodes


def fold_state(
    sightings: Sequence[Sighting],
    timeline: Timeline,
    policy: Policy,
    resolutions: Resolutions | None = None,
    coverage: Coverages | None = None,
) -> FoldState:
    """``fold``, keeping what is tracked at the end too (to go on from, one event at a time)."""
    state = FoldState()
    pending = _Pending(resolutions or {})
    if not sightings:
        return state
    by_report: Mapping[str, Sighting] = {s.report_key: s for s in sightings}
    position = {key: index for index, (_at, key) in enumerate(timeline)}
    seen_at = sorted(position[key] for key in by_report if key in position)
    if not seen_at:
        return state
    last_sighting = seen_at[-1]
    covering = coverage or {}
    for index in range(seen_at[0], len(timeline)):
        tracked = state.tracked
        if (
            index > last_sighting
            and (tracked is None or tracked.status == "resolved")
            and not pending.left(tracked)
        ):
            break  # resolved for good: nothing later changes it (no person reopens it)
        at, key = timeline[index]
        pending.apply(state, at)
        observe(state, at, by_report.get(key), policy, covering.get(key, "unquarantined"))
    pending.apply(state, None)
    return state


def observe(
    state: FoldState,
    at: datetime,
    sighting: Sighting | None,
    policy: Policy,
    coverage: Coverage | None = "unquarantined",
) -> Decision:
    """One report of the problem's tenant, at ``at``, of ``coverage``: the problem in it
    (``sighting``) or absent from it. Moves ``state`` on; returns what was decided."""
    tracked = state.tracked
    if sighting is None and tracked is not None and not covers(coverage, tracked.details):
        return Decision("none", "not a report that would list it")
    if sighting is not None and tracked is not None and sighting.details.holders is None:
        # Holders not looked up this time (or the look-up failed): not a change.
        carried = sighting.details.model_copy(update={"holders": tracked.details.holders})
        sighting = sighting.model_copy(update={"details": carried})
    observation = Observation(sighting is not None, sighting.details if sighting else None)
    decision = decide(tracked, observation, policy, at)
    state.tracked = _apply(tracked, decision, sighting, at, state.episodes)
    return decision


def resolve_outside(state: FoldState, episode: int, at: datetime, name: str) -> bool:
    """A resolution given outside the reports (a person in the sink, or this tool's
    verification, ``VERIFIED`` + what) to ticket ``episode``: applied if that ticket is
    the tracked one and open. A person's resolution of a ticket already resolved renames
    its resolution (Done corrected to Won't Do: it is not reopened then); ``REOPENED``, a
    person's reopening, opens it again. Whether it changed anything."""
    tracked = state.tracked
    if tracked is None or tracked.episode != episode:
        return False
    current = state.episodes[tracked.episode]
    if name == REOPENED:
        # Absences count afresh from the person's reopening, open or not before (the fold
        # and the ledger's count of absences both start there).
        current.status, current.resolution = "open", None
        state.tracked = replace(tracked, status="open", absent=0, resolved_at=None, resolution=None)
        return True
    if name.startswith(FIRST):
        # The tool resolved it (absent from reports), but a person resolved it in the sink
        # before the tool's resolve was written, with a resolution of their own (a Won't
        # Do): the ticket holds theirs. Any other late resolution changes nothing.
        name = name.removeprefix(FIRST)
        if tracked.status != "resolved" or tracked.resolution != TOOL_RESOLUTION:
            return tracked.status == "open" and resolve_outside(state, episode, at, name)
        current.resolution = name
        state.tracked = replace(tracked, resolution=name, resolved_at=at)
        return True
    if tracked.status != "open":
        if name.startswith(VERIFIED) or name == tracked.resolution:
            return False  # the tool's own check of a ticket resolved already, or no change
        current.resolution = name
        state.tracked = replace(tracked, resolution=name)
        return True
    if name.startswith(VERIFIED):
        current.comment("verified", at, None, note=name.removeprefix(VERIFIED))
        name = TOOL_RESOLUTION
    current.status, current.resolution = "resolved", name
    state.tracked = replace(tracked, status="resolved", resolved_at=at, resolution=name)
    return True


class _Pending:
    """Resolutions given outside the reports, not yet applied, in time order per episode."""

    def __init__(self, resolutions: Resolutions) -> None:
        self._left = {ep: sorted(items) for ep, items in resolutions.items() if items}

    def left(self, tracked: Tracked | None) -> bool:
        """Whether events of the tracked ticket are still to come."""
        return tracked is not None and bool(self._left.get(tracked.episode))

    def apply(self, state: FoldState, until: datetime | None) -> None:
        """Every resolution of the tracked ticket up to ``until`` (None: all), in order."""
        tracked = state.tracked
        if tracked is None:
            return
        left = self._left.get(tracked.episode, [])
        while left and (until is None or left[0][0] <= until):
            at, name = left.pop(0)
            resolve_outside(state, tracked.episode, at, name)


def _apply(
    tracked: Tracked | None,
    decision: Decision,
    sighting: Sighting | None,
    at: datetime,
    episodes: list[Episode],
) -> Tracked | None:
    action = decision.action
    if action in ("create", "create-new-and-link"):
        assert sighting is not None
        episode = Episode(number=len(episodes), opened_by=sighting)
        _seen(episode, sighting)
        episodes.append(episode)
        return Tracked(episode.number, "open", sighting.details, at)
    if tracked is None:
        return None
    current = episodes[tracked.episode]
    if action == "touch":
        assert sighting is not None
        _seen(current, sighting)
        return replace(tracked, last_seen=at, absent=0)
    if action == "comment":
        assert sighting is not None
        current.comment(
            "changed", at, sighting.source, before=tracked.details, after=sighting.details
        )
        current.changed_by = sighting
        _seen(current, sighting)
        return replace(tracked, details=sighting.details, last_seen=at, absent=0)
    if action == "reopen":
        assert sighting is not None
        current.comment("reopened", at, sighting.source, after=sighting.details)
        current.status, current.resolution = "open", None
        if sighting.details != current.details:
            current.changed_by = sighting
        _seen(current, sighting)
        return replace(
            tracked,
            status="open",
            details=sighting.details,
            last_seen=at,
            absent=0,
            resolved_at=None,
            resolution=None,
        )
    if action == "resolve":
        current.comment(
            "resolved",
            at,
            source=None,
            absent_reports=tracked.absent + 1,
            last_seen=tracked.last_seen,
            # Only complete Graph scans count a quarantine's absences (``covers``).
            note=GONE_FROM_GRAPH if tracked.details.quarantined else None,
        )
        current.status, current.resolution = "resolved", TOOL_RESOLUTION
        return replace(
            tracked,
            status="resolved",
            absent=tracked.absent + 1,
            resolved_at=at,
            resolution=TOOL_RESOLUTION,
        )
    # "none": an absence that changes nothing yet, or a resolved problem still absent. The
    # commonest step of all, so built directly rather than through dataclasses.replace.
    return Tracked(
        tracked.episode,
        tracked.status,
        tracked.details,
        tracked.last_seen,
        tracked.absent + 1,
        tracked.resolved_at,
        tracked.resolution,
    )


def _seen(episode: Episode, sighting: Sighting) -> None:
    episode.details = sighting.details
    episode.first_seen = episode.first_seen or sighting.at
    episode.last_seen = sighting.at
    episode.occurrences += 1
