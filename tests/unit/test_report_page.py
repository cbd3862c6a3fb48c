"""The report page's numbers (``report.series``) and its HTML (``report.page``), no browser."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from html import escape

import lxml.html

from dirsync_bridge.ledger.listing import TicketRow
from dirsync_bridge.ledger.reporting import TicketSpan
from dirsync_bridge.models import Conflict
from dirsync_bridge.problem import Details
from dirsync_bridge.report.page import PageFacts, render
from dirsync_bridge.report.series import OTHER_KINDS, numbers, week_start

from ..conftest import ROOT

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>&amp;"


def day(n: float) -> datetime:
    return MONDAY + timedelta(days=n)


def span(
    kind: str = "AttributeValueMustBeUnique",
    spans: tuple[tuple[datetime, datetime | None], ...] = ((MONDAY, None),),
    conflicts: tuple[Conflict, ...] = (),
) -> TicketSpan:
    return TicketSpan(
        fingerprint=f"fp-{kind}-{spans[0][0].isoformat()}",
        kind=kind,
        tenant="Contoso",
        opened=spans[0][0],
        spans=spans,
        details=Details(conflicts=conflicts),
    )


def row(key: str, identity: str, last_seen: datetime = MONDAY) -> TicketRow:
    return TicketRow(
        key=key,
        fingerprint="fp",
        status="open",
        summary="s",
        kind="AttributeValueMustBeUnique",
        identity=identity,
        tenant="Contoso",
        first_seen=MONDAY,
        last_seen=last_seen,
        occurrences=1,
        comments=0,
    )


FACTS = PageFacts(generated=day(30), since=None, ledger="/var/lib/dirsync-bridge/state.db")


def test_open_problems_are_counted_at_each_week_end_through_resolve_and_reopen() -> None:
    # Open in week 0, resolved in week 2, reopened in week 3; another opened in week 1.
    first = span(spans=((day(1), day(15)), (day(22), None)))
    second = span(kind="LargeObject", spans=((day(8), None),))
    got = numbers([first, second], since=None)
    assert got.open_by_kind.labels == ("2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22")
    assert got.open_by_kind.values == {
        "AttributeValueMustBeUnique": (1, 1, 0, 1),
        "LargeObject": (0, 1, 1, 1),
    }
    assert got.new_vs_resolved.values == {"new": (1, 1, 0, 1), "resolved": (0, 0, 1, 0)}


def test_kinds_past_the_sixth_are_summed_as_other_kinds() -> None:
    spans = [span(kind=f"Kind{i}", spans=((day(i), None),)) for i in range(8)]
    got = numbers(spans, since=None)
    assert len(got.open_by_kind.values) == 6
    assert got.open_by_kind.values[OTHER_KINDS][-1] == 3


def test_domains_are_case_folded_and_counted_once_per_ticket() -> None:
    conflicts = (
        Conflict(attribute="ProxyAddresses", values=("SMTP:a@Contoso.com", "smtp:b@contoso.com")),
        Conflict(attribute="UserPrincipalName", values=("a@fabrikam.com", "no-domain")),
    )
    got = numbers([span(conflicts=conflicts), span(spans=((day(2), None),))], since=None)
    assert got.domains.labels == ("contoso.com", "fabrikam.com")
    assert got.domains.values == {"tickets": (1.0, 1.0)}
    assert got.attributes.labels == ("ProxyAddresses", "UserPrincipalName")


def test_time_to_resolve_in_buckets_with_the_median() -> None:
    spans = [
        span(spans=((day(0), day(0.5)),)),
        span(spans=((day(0), day(3)),)),
        span(spans=((day(0), day(5)),)),
        span(spans=((day(0), day(7)),)),  # a whole week is past "1-7 days"
        span(spans=((day(0), day(400)),)),
    ]
    got = numbers(spans, since=None)
    assert got.time_to_resolve.values == {"resolutions": (1, 2, 1, 0, 0, 1)}
    assert got.median_days == 5.0


def test_since_starts_the_weeks_there_and_leaves_out_what_was_resolved_before() -> None:
    old = span(spans=((day(0), day(3)),))
    open_ = span(kind="LargeObject", spans=((day(1), None),))
    got = numbers([old, open_], since=day(14))
    assert got.tickets == 1
    assert got.open_by_kind.labels[0] == "2024-01-15"
    assert got.time_to_resolve.empty and got.median_days is None


def test_every_ledger_value_is_text_in_the_table_and_data_in_the_charts() -> None:
    conflicts = (Conflict(attribute=HOSTILE, values=(f"x@{HOSTILE}",)),)
    got = numbers([span(kind=HOSTILE, conflicts=conflicts)], since=None)
    page = render(got, [row(HOSTILE, HOSTILE)], FACTS)
    tree = lxml.html.document_fromstring(page)
    assert len(tree.findall(".//script")) == 3  # the data, Chart.js, the drawing: no other
    assert tree.findall(".//main//img") == []
    cells = tree.xpath("//table[@id='open-tickets']//td/text()")
    assert cells.count(HOSTILE) == 2  # key and identity, as the text they are
    data = json.loads(tree.get_element_by_id("report-data").text)
    labels = {label for chart in data["charts"] for label in chart["labels"]}
    assert HOSTILE in labels and "x@" not in "".join(labels)
    assert HOSTILE in data["charts"][0]["values"]  # a kind is a series name


def test_the_policy_allows_only_the_pages_own_scripts_and_nothing_from_the_network() -> None:
    page = render(numbers([span()], since=None), [row("LOCAL-1", "a@contoso.com")], FACTS)
    tree = lxml.html.document_fromstring(page)
    policy = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "default-src 'none'" in policy
    inline = [s.text for s in tree.findall(".//script") if s.get("type") is None]
    assert len(inline) == 2
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1]
    assert tree.xpath("//*[@src or @href]") == []  # nothing loaded, nothing linked
    assert not re.search(r"<link|@import|url\(", page)


def test_an_empty_ledger_gives_a_page_that_says_so() -> None:
    page = render(numbers([], since=None), [], FACTS)
    tree = lxml.html.document_fromstring(page)
    assert "no tickets yet" in tree.get_element_by_id("empty").text_content()
    assert tree.findall(".//canvas") == [] and tree.findall(".//script") == []
    assert tree.find(".//title").text == "dirsync-bridge report"


def test_open_tickets_are_listed_most_recently_seen_first() -> None:
    rows = [row("LOCAL-1", "a@x", day(1)), row("LOCAL-2", "b@x", day(9)), row("LOCAL-3", "c@x")]
    page = render(numbers([span()], since=None), rows, FACTS)
    tree = lxml.html.document_fromstring(page)
    keys = tree.xpath("//table[@id='open-tickets']/tbody/tr/td[1]/text()")
    assert keys == ["LOCAL-2", "LOCAL-1", "LOCAL-3"]


def test_week_start_is_monday_utc() -> None:
    assert week_start(datetime(2024, 1, 7, 23, 59, tzinfo=UTC)) == MONDAY


def test_the_weeks_run_to_the_newest_report_and_never_end_before_since() -> None:
    open_ = span(spans=((day(1), None),))
    assert numbers([open_], since=None, until=day(20)).open_by_kind.values == {
        "AttributeValueMustBeUnique": (1, 1, 1)
    }
    later = numbers([open_], since=day(40), until=None)
    assert later.open_by_kind.labels == ("2024-02-05",)
    assert later.open_by_kind.values == {"AttributeValueMustBeUnique": (1,)}


def test_the_vendored_chart_js_is_the_version_named_with_its_licence_beside_it() -> None:
    from dirsync_bridge.report.page import CHART_JS_VERSION, chart_js

    assert chart_js().startswith(f"/*!\n * Chart.js v{CHART_JS_VERSION}\n")
    assert "sourceMappingURL" not in chart_js()  # no file for the browser to look for
    licence = ROOT / "src" / "dirsync_bridge" / "report" / "vendor" / "chart.js-LICENSE.md"
    assert licence.read_text(encoding="utf-8").startswith("The MIT License (MIT)")


def test_a_report_dated_9999_12_31_ends_the_weeks_this_week_and_says_so() -> None:
    # A garbled Date header (taken as sent) made the weekly loop overflow: exit 70 on
    # every later `report --html`.
    future = (
        span(spans=((day(1), None),)),
        span("Other", spans=((datetime(9999, 12, 31, 20, 0, tzinfo=UTC), None),)),
    )
    shown = numbers(
        list(future), since=None, until=datetime(9999, 12, 31, 20, 0, tzinfo=UTC), now=day(20)
    )
    assert shown.open_by_kind.labels == ("2024-01-01", "2024-01-08", "2024-01-15")
    assert shown.open_by_kind.values["AttributeValueMustBeUnique"] == (1, 1, 1)
    (note,) = shown.notes
    assert "1 date(s) lie after this week (newest 9999-12-31" in note
    assert "2024-01-15" in note
    assert escape(note) in render(shown, [], FACTS)


def test_a_report_dated_far_ahead_draws_at_most_max_weeks() -> None:
    # A report dated year 5000 drew a point for every week up to it: a 33 MB page.
    from dirsync_bridge.report.series import MAX_WEEKS

    far = span(spans=((datetime(5000, 6, 1, tzinfo=UTC), None),))
    old = span("Old", spans=((datetime(1990, 1, 1, tzinfo=UTC), None),))
    shown = numbers([far, old], since=None, now=datetime(5000, 6, 1, tzinfo=UTC))
    assert len(shown.open_by_kind.labels) == MAX_WEEKS
    assert shown.open_by_kind.labels[-1] == "5000-05-26"
    (note,) = shown.notes
    assert note.startswith(f"The weekly charts show the last {MAX_WEEKS} weeks of ")
    assert len(render(shown, [], FACTS)) < 1_000_000


def test_since_the_last_week_of_year_9999_is_one_week_not_an_overflow() -> None:
    shown = numbers(
        [span(spans=((day(1), None),))], since=datetime(9999, 12, 31, tzinfo=UTC), now=day(20)
    )
    assert shown.open_by_kind.labels == ("9999-12-27",)
    assert shown.notes == ()
