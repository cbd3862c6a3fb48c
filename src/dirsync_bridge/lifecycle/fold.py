"""The fold: a problem's history (its sightings among its tenant's reports, and the
resolutions given outside them) -> the tickets it calls for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from ..problem import Sighting
from .episodes import Coverages, Episode, FoldState, Resolutions, Timeline
from .outside import Pending
from .steps import (
    GONE_FROM_GRAPH,
    TOOL_RESOLUTION,
    Coverage,
    Decision,
    Observation,
    Policy,
    Tracked,
    covers,
    decide,
)


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
    pending = Pending(resolutions or {})
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
    if sighting is not None and tracked is not None:
        sighting = _carried(sighting, tracked)
    observation = Observation(sighting is not None, sighting.details if sighting else None)
    decision = decide(tracked, observation, policy, at)
    state.tracked = _apply(tracked, decision, sighting, at, state.episodes)
    return decision


def _carried(sighting: Sighting, tracked: Tracked) -> Sighting:
    """The sighting, with what it cannot tell taken from what is tracked: no news is no
    change, so neither a "changed" comment nor a ticket that forgets what it showed."""
    update: dict[str, object] = {}
    if sighting.details.holders is None:
        # Holders not looked up this time (or the look-up failed).
        update["holders"] = tracked.details.holders
    if not sighting.details.object_ids and tracked.details.object_ids:
        # A source that does not carry the on-premises object id (an email without that
        # column, a Graph object without onPremisesImmutableId) has not seen it go: the ids
        # stay those last seen by a source that carries them. Without this, an email and a
        # csexport taking turns commented "object IDs gone" / "added" at every report.
        update["object_ids"] = tracked.details.object_ids
    if not update:
        return sighting
    carried = sighting.details.model_copy(update=update)
    return sighting.model_copy(update={"details": carried})


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
