"""Resolutions given outside the reports: a person's in the sink, or this tool's verification.

They are events of a problem's history like its reports: ``resolve_outside`` applies one to
the tracked ticket, and the fold applies each, in time order, among the reports
(``Pending``). ``REOPENED`` is not a resolution but a person's reopening, learned the same way.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .episodes import FoldState, PlannedComment, Resolutions
from .steps import TOOL_RESOLUTION, Tracked

VERIFIED = "dirsync-bridge verified: "
"""Prefix of a resolution this tool makes after checking Graph (``[tickets] verify_with_graph``);
the rest says what was verified. It resolves the ticket with a "verified" comment."""
FIRST = "dirsync-bridge came second to: "
"""Prefixes a person's resolution the tool met when it went to resolve the ticket itself
(``resolve_outside``): theirs replaces the tool's own."""
REOPENED = "dirsync-bridge saw it reopened"
"""Not a resolution: a person reopened the ticket in the sink (``resolve_outside``). It is
open again from then on, and its absences are counted afresh."""
UNVERIFIED = "dirsync-bridge withdrew its verification: "
"""Not a resolution: this tool's re-check (``verify.py``, once after the upgrade) found that
an earlier release verified the ticket cleared by a rule since shown unsound; the rest says
why. A ticket still resolved by that verification is reopened, with an "unverified"
comment, and its absences are counted afresh, like a person's reopening."""


def reopens(name: str) -> bool:
    """Whether an event outside the reports reopens the ticket (``REOPENED``,
    ``UNVERIFIED``) rather than resolving it."""
    return name == REOPENED or name.startswith(UNVERIFIED)


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
    if name.startswith(UNVERIFIED):
        # Only a ticket that the verification left resolved: reopened since (a report, a
        # person) or resolved otherwise (a person's Won't Do), it has nothing to withdraw.
        # A person's resolve or reopen adds no comment, so the last comment being the
        # "verified" one is not enough: the resolution must still be the tool's, given at
        # the verification's time (a person's later one moves resolved_at; review rev25).
        last = current.comments[-1] if current.comments else None
        if not _verification_stands(tracked, last):
            return False
        current.comment("unverified", at, None, note=name.removeprefix(UNVERIFIED))
        current.status, current.resolution = "open", None
        state.tracked = replace(tracked, status="open", absent=0, resolved_at=None, resolution=None)
        return True
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


def _verification_stands(tracked: Tracked, last: PlannedComment | None) -> bool:
    """Whether the ticket is resolved by the verification its last comment records, and by
    nothing a person did since (``ledger.reverify`` selects only such tickets too)."""
    return (
        tracked.status == "resolved"
        and last is not None
        and last.kind == "verified"
        and tracked.resolution == TOOL_RESOLUTION
        and tracked.resolved_at == last.at
    )


class Pending:
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
