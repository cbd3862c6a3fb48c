"""The report page's numbers, from the tickets' open spans: pure functions, no I/O.

Time runs in ISO weeks (Monday to Sunday, UTC), from the first week with a ticket (or
``--since``) to the week of the newest event in the ledger: most reports are archives, so
the page ends where the history does, not today, and years of flat lines never hide the
trend.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..ledger.reporting import TicketSpan

MAX_KINDS = 6
"""Kinds drawn as series of their own; the rest are summed as "other kinds"."""
TOP = 10
"""Attributes and domains shown (the ones in most tickets)."""
OTHER_KINDS = "other kinds"
MAX_WEEKS = 520
"""Weeks drawn at most (ten years): one far-off date must not make a page of megabytes."""

RESOLVE_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("under a day", timedelta(days=1)),
    ("1-7 days", timedelta(days=7)),
    ("1-4 weeks", timedelta(days=28)),
    ("1-3 months", timedelta(days=91)),
    ("3-12 months", timedelta(days=365)),
    ("over a year", timedelta.max),
)


@dataclass(frozen=True, slots=True)
class Series:
    """One chart's data: labels along one axis, one list of numbers per named series."""

    labels: tuple[str, ...]
    values: dict[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing to draw: no label, or every number zero."""
        return not self.labels or not any(any(v) for v in self.values.values())


@dataclass(frozen=True, slots=True)
class ReportNumbers:
    """Everything the charts show."""

    open_by_kind: Series
    new_vs_resolved: Series
    attributes: Series
    domains: Series
    time_to_resolve: Series
    median_days: float | None
    tickets: int
    notes: tuple[str, ...] = ()
    """What the charts leave out, and why (said on the page, not silently dropped)."""


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week holding ``moment``."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _label(week: datetime) -> str:
    return week.strftime("%Y-%m-%d")


def _events(span: TicketSpan) -> Iterable[datetime]:
    for start, end in span.spans:
        yield start
        if end is not None:
            yield end


def numbers(
    spans: Sequence[TicketSpan],
    since: datetime | None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> ReportNumbers:
    """The page's numbers for the tickets in ``spans``, from ``since`` (None: all time) to
    ``until`` (the newest report; the newest event of ``spans`` when later or None), never
    past ``now`` (default: the clock) and at most ``MAX_WEEKS`` weeks."""
    shown = [s for s in spans if s.spans and _overlaps(s, since)]
    moments = [moment for s in shown for moment in _events(s)]
    if not moments:
        empty = Series(())
        return ReportNumbers(empty, empty, empty, empty, empty, None, 0)
    weeks, notes = _weeks(moments, since, until, now or datetime.now(UTC))
    resolved = [
        end - start
        for s in shown
        for start, end in s.spans
        if end is not None and (since is None or end >= since)
    ]
    return ReportNumbers(
        open_by_kind=open_by_kind(shown, weeks),
        new_vs_resolved=new_vs_resolved(shown, weeks),
        attributes=top_attributes(shown),
        domains=top_domains(shown),
        time_to_resolve=time_to_resolve(resolved),
        median_days=(
            round(statistics.median(d.total_seconds() for d in resolved) / 86400, 1)
            if resolved
            else None
        ),
        tickets=len(shown),
        notes=notes,
    )


def _weeks(
    moments: Sequence[datetime], since: datetime | None, until: datetime | None, now: datetime
) -> tuple[list[datetime], tuple[str, ...]]:
    # A report's Date header is taken as sent, so a garbled one can lie years ahead (up to
    # 9999-12-31, where one more week overflows): the weeks end this week at the latest,
    # and a window longer than MAX_WEEKS keeps its newest weeks. The page says both.
    first = week_start(max(since, min(moments)) if since else min(moments))
    # Up to the newest report: tickets still open were seen until then, events or not.
    newest = max([*moments, *([until] if until else [])])
    this_week = week_start(now)
    notes: list[str] = []
    last = week_start(newest)
    if last > this_week:
        later = sum(1 for moment in moments if moment >= this_week + timedelta(days=7))
        notes.append(
            f"{later} date(s) lie after this week (newest {newest:%Y-%m-%d}; a wrong Date "
            f"header?): the weekly charts end on the week of {this_week:%Y-%m-%d}."
        )
        last = this_week
    last = max(first, last)
    count = (last - first).days // 7 + 1
    if count > MAX_WEEKS:
        notes.append(
            f"The weekly charts show the last {MAX_WEEKS} weeks of {count}, "
            f"from {_label(last - timedelta(weeks=MAX_WEEKS - 1))}."
        )
        count = MAX_WEEKS
    return [last - timedelta(weeks=count - 1 - i) for i in range(count)], tuple(notes)


def _overlaps(span: TicketSpan, since: datetime | None) -> bool:
    # A ticket belongs to the period if it was open at some time in it.
    return since is None or any(end is None or end >= since for _start, end in span.spans)


def open_by_kind(spans: Sequence[TicketSpan], weeks: Sequence[datetime]) -> Series:
    """Tickets open at the end of each week, by kind (the most common kinds; the rest summed)."""
    ranked = [kind for kind, _n in Counter(s.kind for s in spans).most_common()]
    named = ranked[:MAX_KINDS] if len(ranked) <= MAX_KINDS else ranked[: MAX_KINDS - 1]
    counts: dict[str, list[float]] = {kind: [0.0] * len(weeks) for kind in named}
    if len(ranked) > len(named):
        counts[OTHER_KINDS] = [0.0] * len(weeks)
    # Open at a week's end: opened by then and not yet resolved. Each span adds one to a
    # run of weeks (a difference array), so the cost is spans + weeks, not their product.
    first = weeks[0] if weeks else None
    for span in spans:
        series = counts[span.kind if span.kind in counts else OTHER_KINDS]
        for start, end in span.spans:
            assert first is not None
            begin = max(0, (week_start(start) - first).days // 7)
            stop = len(weeks) if end is None else (week_start(end) - first).days // 7
            if begin < min(stop, len(weeks)):
                series[begin] += 1
                if stop < len(weeks):
                    series[stop] -= 1
    for series in counts.values():
        for index in range(1, len(series)):
            series[index] += series[index - 1]
    return Series(tuple(_label(w) for w in weeks), {kind: tuple(v) for kind, v in counts.items()})


def new_vs_resolved(spans: Sequence[TicketSpan], weeks: Sequence[datetime]) -> Series:
    """Tickets opened (or reopened) and resolved in each week."""
    index = {week: i for i, week in enumerate(weeks)}
    opened = [0.0] * len(weeks)
    resolved = [0.0] * len(weeks)
    for span in spans:
        for start, end in span.spans:
            if (i := index.get(week_start(start))) is not None:
                opened[i] += 1
            if end is not None and (i := index.get(week_start(end))) is not None:
                resolved[i] += 1
    return Series(
        tuple(_label(w) for w in weeks), {"new": tuple(opened), "resolved": tuple(resolved)}
    )


def top_attributes(spans: Sequence[TicketSpan]) -> Series:
    """The conflicting attributes in most tickets (each ticket counted once per attribute)."""
    counted: Counter[str] = Counter()
    for span in spans:
        counted.update({c.attribute for c in span.details.conflicts})
    return _top(counted, "tickets")


def domain_of(value: str) -> str | None:
    """The domain of a conflicting value (``SMTP:a@Contoso.com`` -> ``contoso.com``)."""
    _, at, domain = value.rpartition("@")
    domain = domain.strip().rstrip(".>").lower()
    return domain if at and domain else None


def top_domains(spans: Sequence[TicketSpan]) -> Series:
    """The domains of the conflicting values in most tickets (once per ticket and domain)."""
    counted: Counter[str] = Counter()
    for span in spans:
        counted.update(
            {
                domain
                for conflict in span.details.conflicts
                for value in conflict.values
                if (domain := domain_of(value)) is not None
            }
        )
    return _top(counted, "tickets")


def _top(counted: Counter[str], name: str) -> Series:
    # Most first; ties by name, so the same ledger always gives the same page.
    top = sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return Series(tuple(k for k, _n in top), {name: tuple(float(n) for _k, n in top)})


def time_to_resolve(durations: Sequence[timedelta]) -> Series:
    """How long tickets stayed open before each resolution, in buckets."""
    counts = [0.0] * len(RESOLVE_BUCKETS)
    for duration in durations:
        for index, (_name, limit) in enumerate(RESOLVE_BUCKETS):
            if duration < limit:
                counts[index] += 1
                break
    return Series(tuple(name for name, _limit in RESOLVE_BUCKETS), {"resolutions": tuple(counts)})
