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
step at all, neither counted nor breaking a run of absences. In the same way a sighting
that cannot show part of the details is no news of that part: holders not looked up, and
on-premises object ids from a source that does not carry them (an email without that
column, beside csexport files that do) keep those tracked (``observe``).

The package: ``steps`` (one report's decision, the rules' knobs, coverage), ``episodes``
(the tickets a history calls for, and the fold's state), ``outside`` (resolutions given
outside the reports), ``fold`` (the history folded). Every name is imported from here.
"""

from __future__ import annotations

from .episodes import (
    Coverages,
    Episode,
    FoldState,
    PlannedComment,
    Resolutions,
    Timeline,
)
from .fold import fold, fold_state, observe
from .outside import FIRST, REOPENED, UNVERIFIED, VERIFIED, reopens, resolve_outside
from .steps import (
    GONE_FROM_GRAPH,
    TOOL_RESOLUTION,
    Action,
    CommentKind,
    Coverage,
    Decision,
    Observation,
    Policy,
    Tracked,
    coverage_of,
    covers,
    decide,
)

__all__ = [
    "FIRST",
    "GONE_FROM_GRAPH",
    "REOPENED",
    "TOOL_RESOLUTION",
    "UNVERIFIED",
    "VERIFIED",
    "Action",
    "CommentKind",
    "Coverage",
    "Coverages",
    "Decision",
    "Episode",
    "FoldState",
    "Observation",
    "PlannedComment",
    "Policy",
    "Resolutions",
    "Timeline",
    "Tracked",
    "coverage_of",
    "covers",
    "decide",
    "fold",
    "fold_state",
    "observe",
    "reopens",
    "resolve_outside",
]
