"""The report page: one self-contained HTML file, its charts drawn by Chart.js inlined.

Nothing is fetched when the page is viewed: the styles, the data and Chart.js itself are in
the file, and its Content-Security-Policy forbids every network load and every script but
the two inline ones it names by hash. Every value from the ledger (object names come from
untrusted emails) is HTML-escaped where it is text, and where it is data for the charts it
travels as JSON in a ``<script type="application/json">`` with ``<``, ``>`` and ``&``
escaped, so no value can end that element; Chart.js draws labels on a canvas, as text.
Each chart has a text alternative: an ``aria-label`` and, inside the canvas, a table of the
same numbers (what screen readers read, and what a browser without scripts shows).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from functools import cache
from html import escape
from importlib import resources

from ..ledger.listing import TicketRow
from .series import ReportNumbers, Series

CHART_JS_VERSION = "4.6.1"

CHARTS: tuple[tuple[str, str, str], ...] = (
    ("open-by-kind", "Open problems over time, by kind", "line"),
    ("new-vs-resolved", "New and resolved per week", "bar"),
    ("attributes", "Attributes in most conflicts", "hbar"),
    ("domains", "Domains in most conflicts", "hbar"),
    ("time-to-resolve", "Time to resolve", "bar"),
)
"""Each chart: its element id, its title, how it is drawn."""
WEEKLY = frozenset({"open-by-kind", "new-vs-resolved"})
"""Charts along weeks: their dates are thinned to fit; other charts show every label."""

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
color:#1f2328;background:#f6f8fa}
header{background:#0b3d62;color:#fff;padding:16px 24px}
header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.85}
main{padding:16px 24px;max-width:1400px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:16px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px}
section h2{font-size:15px;margin:0 0 8px}
.chart{position:relative;height:280px}
.note{color:#57606a;margin:4px 0 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right}td.nowrap{white-space:nowrap}
td.identity{word-break:break-all}
.empty{font-size:16px;padding:32px;text-align:center}
"""

_DRAW = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var colours = ["#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#57606a"];
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  data.charts.forEach(function (chart) {
    var canvas = document.getElementById(chart.id);
    if (!canvas) { return; }
    var names = Object.keys(chart.values);
    var stacked = chart.type === "line";
    var datasets = names.map(function (name, i) {
      var colour = colours[i % colours.length];
      return {label: name, data: chart.values[name], borderColor: colour,
              backgroundColor: stacked ? colour + "66" : colour,
              // Stacked areas: each fills down to the one below, not to zero over it.
              fill: stacked ? (i === 0 ? "origin" : "-1") : false,
              pointRadius: 0, borderWidth: stacked ? 1.5 : 0, tension: 0.2,
              // Weekly bars over years of archives: each week's bar fills its slot.
              barPercentage: chart.type === "bar" ? 1 : 0.9,
              categoryPercentage: chart.type === "bar" ? 0.9 : 0.8};
    });
    new Chart(canvas, {
      type: chart.type === "hbar" ? "bar" : chart.type,
      data: {labels: chart.labels, datasets: datasets},
      options: {
        indexAxis: chart.type === "hbar" ? "y" : "x",
        interaction: {mode: "index", intersect: false},
        plugins: {legend: {display: names.length > 1}},
        scales: {x: {stacked: stacked, ticks: {autoSkip: chart.weekly, autoSkipPadding: 16,
                                                    maxRotation: chart.weekly ? 0 : 50}},
                 y: {stacked: stacked, beginAtZero: true, ticks: {precision: 0}}}
      }
    });
    canvas.dataset.drawn = "true";
  });
  document.body.dataset.charts = "drawn";
})();
"""


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What the page says besides the numbers: when, over what period, from which ledger."""

    generated: datetime
    since: datetime | None
    ledger: str


@cache
def chart_js() -> str:
    """Chart.js as vendored (``report/vendor``, MIT licence kept beside it)."""
    return (resources.files(__package__) / "vendor" / "chart.umd.min.js").read_text("utf-8")


def _digest(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()


def script_json(value: object) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, no ``<!--``, no ``&``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render(numbers: ReportNumbers, tickets: Sequence[TicketRow], facts: PageFacts) -> str:
    """The whole page, as text."""
    period = f"since {_moment(facts.since)}" if facts.since else "all time"
    head = _head()
    intro = (
        f"<header><h1>Directory sync problems</h1><p>{numbers.tickets} ticket(s), {period}; "
        f"generated {facts.generated:%Y-%m-%d %H:%M} UTC from {escape(facts.ledger)}</p>"
        + "".join(f'<p class="note clamped">{escape(note)}</p>' for note in numbers.notes)
        + "</header>"
    )
    if numbers.tickets == 0 and not tickets:
        body = (
            '<main><p class="empty" id="empty">The ledger holds no tickets '
            f"{'in this period' if facts.since else 'yet'}: nothing to chart. Replay or run "
            "some reports first (<code>dirsync-bridge replay</code> or "
            "<code>dirsync-bridge run</code>).</p></main>"
        )
        return f"{head}<body>{intro}{body}</body></html>\n"
    charts = [
        (chart_id, title, kind, series)
        for (chart_id, title, kind), series in zip(
            CHARTS,
            (
                numbers.open_by_kind,
                numbers.new_vs_resolved,
                numbers.attributes,
                numbers.domains,
                numbers.time_to_resolve,
            ),
            strict=True,
        )
    ]
    sections = [_chart_section(i, t, s, _note(i, numbers)) for i, t, _k, s in charts]
    data = {
        "charts": [
            {
                "id": i,
                "type": k,
                "weekly": i in WEEKLY,
                "labels": list(s.labels),
                "values": s.values,
            }
            for i, _t, k, s in charts
            if not s.empty
        ]
    }
    body = (
        f'<main><div class="grid">{"".join(sections)}</div>{_table(tickets, facts)}</main>'
        f'<script type="application/json" id="report-data">{script_json(data)}</script>'
        f"<script>{chart_js()}</script><script>{_DRAW}</script>"
    )
    return f"{head}<body>{intro}{body}</body></html>\n"


def _head() -> str:
    policy = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src '{_digest(chart_js())}' '{_digest(_DRAW)}'"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(policy)}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>dirsync-bridge report</title><style>{_STYLE}</style>"
        f"<!-- charts: Chart.js {CHART_JS_VERSION}, MIT licence, (c) Chart.js Contributors -->"
        "</head>"
    )


def _note(chart_id: str, numbers: ReportNumbers) -> str:
    if chart_id == "time-to-resolve":
        if numbers.median_days is None:
            return "No ticket was resolved in this period."
        return f"Median: {numbers.median_days:g} day(s) from opened to resolved."
    if chart_id == "open-by-kind":
        return "Tickets open at the end of each week (weeks start on Monday, UTC)."
    if chart_id in ("attributes", "domains"):
        return "Counted once per ticket; the domain is the part after @ of each value."
    return ""


def _chart_section(chart_id: str, title: str, series: Series, note: str) -> str:
    heading = f'<h2 id="{chart_id}-title">{escape(title)}</h2>'
    note_html = f'<p class="note">{escape(note)}</p>' if note else ""
    if series.empty:
        return (
            f'<section>{heading}<p class="note" id="{chart_id}-none">Nothing to show for '
            f"this period.</p>{note_html}</section>"
        )
    return (
        f'<section>{heading}<div class="chart"><canvas id="{chart_id}" role="img" '
        f'aria-labelledby="{chart_id}-title">{_fallback(series)}</canvas></div>'
        f"{note_html}</section>"
    )


def _fallback(series: Series) -> str:
    names = list(series.values)
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    rows = "".join(
        f"<tr><th>{escape(label)}</th>"
        + "".join(f'<td class="num">{series.values[n][i]:g}</td>' for n in names)
        + "</tr>"
        for i, label in enumerate(series.labels)
    )
    return f"<table><tr><th></th>{head}</tr>{rows}</table>"


def _moment(when: datetime) -> str:
    """``--since`` as given: a day alone, or its time too when it has one (in UTC)."""
    if when.time() == time(0):
        return f"{when:%Y-%m-%d}"
    return f"{when:%Y-%m-%d %H:%M:%S} UTC"


def _table(tickets: Sequence[TicketRow], facts: PageFacts) -> str:
    seen = f", seen since {_moment(facts.since)}" if facts.since else ""
    if not tickets:
        return f'<section><h2>Open tickets{seen}</h2><p class="note">None.</p></section>'
    rows = "".join(
        "<tr>"
        f'<td class="nowrap">{escape(t.key)}</td><td>{escape(t.kind or "")}</td>'
        f'<td class="identity">{escape(t.identity or "")}</td><td>{escape(t.tenant or "")}</td>'
        f'<td class="nowrap">{_day(t.first_seen)}</td><td class="nowrap">{_day(t.last_seen)}</td>'
        f'<td class="num">{t.occurrences}</td></tr>'
        for t in sorted(tickets, key=_recent_first)
    )
    return (
        f"<section><h2>Open tickets{seen} ({len(tickets)})</h2>"
        '<table id="open-tickets"><thead><tr><th>ticket</th><th>kind</th><th>identity</th>'
        "<th>tenant</th><th>first seen</th><th>last seen</th><th>sightings</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _recent_first(ticket: TicketRow) -> tuple[float, str]:
    # The table's order is its "last seen" column's: most recently seen first.
    return (-ticket.last_seen.timestamp() if ticket.last_seen else 0.0, ticket.key)


def _day(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""
