"""Cells that span in an HTML error table (``parse.html_spans``; reviews rev56 D6-D8, rev58 D3).

A row is skipped as layout only when it is plainly a title (one cell as wide as the table,
short text, no identity, no known error); any other spanning row is never dropped or misread
with the report complete. The stream and the whole tree read such tables alike.
"""

from __future__ import annotations

import pytest
from lxml import etree

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.html_spans import span

from ..reportgen import (
    ANN_DUP,
    BEN_DUP,
    CAT_DUP,
    DUPLICATE_KIND,
    HEADER_ROW,
    errors_of,
    html_report,
    parse_html,
    read_both,
    read_streamed,
)

HEADER = HEADER_ROW + "\n"


def _row(who: str, message: str) -> str:
    return f"<tr><td>{who}@contoso.com</td><td>{message}</td></tr>\n"


def _title(text: str, width: int = 2) -> str:
    return f"<tr><th colspan={width}>{text}</th></tr>\n"


def _report(table: str) -> Report | Rejected:
    return parse_html(html_report(table), "spans@x")


def _errors(result: Report | Rejected) -> list[tuple[str | None, str]]:
    assert isinstance(result, Report), result
    return errors_of(result)


@pytest.mark.parametrize(
    "title",
    [
        _title("ben@contoso.com"),
        _title("CN=Ben Bell,OU=Users,DC=contoso,DC=com"),
        f"<tr><td colspan=2>{BEN_DUP}</td></tr>\n",
        _title("Users: ben@contoso.com"),
    ],
    ids=["an-address", "a-dn", "an-error-text", "a-title-naming-an-address"],
)
@pytest.mark.parametrize("where", ["under-the-header", "above-the-header"])
def test_a_spanning_row_that_is_not_plainly_a_title_is_never_skipped_silently(
    title: str, where: str
) -> None:
    rows = _row("ann", ANN_DUP) + _row("cat", CAT_DUP)
    table = (
        f"<table>{HEADER}{title}{rows}</table>"
        if where == "under-the-header"
        else f"<table>{title}{HEADER}{rows}</table>"
    )
    result = _report(table)
    errors = _errors(result)
    assert ("ann@contoso.com", DUPLICATE_KIND) in errors
    assert ("cat@contoso.com", DUPLICATE_KIND) in errors
    # Seen before html_spans, under the header: the row filed as an Unknown error named by
    # its text (or an address alone as an object with no error), the report complete.
    assert isinstance(result, Report) and result.complete is False, errors


def test_a_colspan_title_over_a_table_with_no_header_is_skipped_its_rows_read() -> None:
    rows = _row("ann", ANN_DUP) + _row("ben", BEN_DUP)
    result = _report(f"<table>{_title('Errors')}{rows}</table>")
    # Seen before html_spans: "Errors" taken as a one-column header, [None, None], complete.
    assert _errors(result) == [
        ("ann@contoso.com", DUPLICATE_KIND),
        ("ben@contoso.com", DUPLICATE_KIND),
    ]
    assert isinstance(result, Report) and result.complete is True


def test_a_colspan_title_that_is_the_tables_only_header_makes_the_report_incomplete() -> None:
    # No header row and no known pair but for the title: read as before, never with confidence.
    rows = "<tr><td>ann@contoso.com</td><td>Something went wrong</td></tr>\n"
    result = _report(f"<table>{_title('Errors')}{rows}</table>")
    assert isinstance(result, Report) and result.complete is False


SECTIONED = (
    f"<table>{_title('Errors for Contoso')}{HEADER}"
    f"{_title('Users')}{_row('ann', ANN_DUP)}{_title('Groups')}{_row('ben', BEN_DUP)}"
    f"<tr><td colspan=2></td></tr>\n{_title('Contacts')}{_row('cat', CAT_DUP)}</table>"
)


def test_a_report_whose_rows_are_grouped_under_section_titles_reads_every_row_complete() -> None:
    result = _report(SECTIONED)
    assert _errors(result) == [
        ("ann@contoso.com", DUPLICATE_KIND),
        ("ben@contoso.com", DUPLICATE_KIND),
        ("cat@contoso.com", DUPLICATE_KIND),
    ]
    assert isinstance(result, Report) and result.complete is True


def test_a_title_narrower_than_the_table_is_still_a_title() -> None:
    # A one-cell row of a section's words is plainly a title, however wide (it was counted
    # unsure when narrower than the table, before spans became doubt, not layout).
    header = "<tr><th>Identity</th><th>Error Description</th><th>Object ID</th></tr>\n"
    rows = f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td><td>1</td></tr>\n"
    result = _report(f"<table>{header}{_title('Users', 2)}{rows}</table>")
    assert _errors(result) == [("ann@contoso.com", DUPLICATE_KIND)]
    assert isinstance(result, Report) and result.complete is True


def test_a_rowspan_rows_own_error_is_read_its_continuation_makes_the_report_incomplete() -> None:
    rows = (
        f"<tr><td rowspan=2>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
        f"<tr><td>{BEN_DUP}</td></tr>\n" + _row("cat", CAT_DUP)
    )
    result = _report(f"<table>{HEADER}{rows}</table>")
    assert _errors(result) == [
        ("ann@contoso.com", DUPLICATE_KIND),
        ("cat@contoso.com", DUPLICATE_KIND),
    ]
    assert isinstance(result, Report) and result.complete is False


@pytest.mark.parametrize(
    "table",
    [
        SECTIONED,
        f"<table>{HEADER}{_row('ann', ANN_DUP) * 8}{_title('Users')}{_row('ben', BEN_DUP)}</table>",
        f"<table>{HEADER}{_row('ann', ANN_DUP) * 8}<tr><td colspan=2>x {BEN_DUP}</td></tr></table>",
        f"<table>{HEADER}<tr><td rowspan=3>a@contoso.com</td><td>{ANN_DUP}</td></tr>"
        f"<tr><td>{BEN_DUP}</td></tr><tr></tr><tr><td>{CAT_DUP}</td></tr></table>",
        f"<table>{_title('Errors')}{_row('ann', ANN_DUP)}{_row('ben', BEN_DUP) * 7}</table>",
    ],
    ids=["sectioned", "title-after-rows-streamed", "odd-row-late", "rowspan", "headerless"],
)
@pytest.mark.parametrize("size", [7, 1 << 20])
def test_spanning_tables_read_alike_streamed_or_whole(table: str, size: int) -> None:
    html = f"<html><body><p>The following errors occurred</p>{table}<p>Bye</p></body></html>"
    streamed, whole = read_both(html, size)
    assert (streamed.rows, streamed.text, streamed.unsure_rows) == (
        whole.rows,
        whole.text,
        whole.unsure_rows,
    )


def test_spanning_tracking_id_and_spacer_rows_under_a_known_header_are_still_streamed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Read as before spans were looked at: a large report of this shape is not held whole.
    tracking = '<tr><td colspan="2">Tracking Id: 466344fe-a7c5-403e-8b0a-8621752ac178</td></tr>'
    rows = (_row("ann", ANN_DUP) + tracking + "<tr><td colspan=2> </td></tr>") * 50
    html = f"<html><body><table>{HEADER}{rows}</table></body></html>"
    facts, whole_reads = read_streamed(html, 64, monkeypatch)
    assert whole_reads == 0 and facts.unsure_rows == 0
    assert len(facts.rows) == 50 and all(row.tracking_id for row in facts.rows)


@pytest.mark.parametrize(
    ("value", "name", "expected"),
    [
        ("2", "colspan", 2),
        (" 2px", "colspan", 2),
        ("+3", "colspan", 3),
        ("0", "colspan", 1),
        ("x", "colspan", 1),
        ("99999", "colspan", 1000),
        ("0", "rowspan", 65534),
    ],
)
def test_a_span_is_read_as_a_browser_reads_it(value: str, name: str, expected: int) -> None:
    cell = etree.fromstring(f'<td {name}="{value}">x</td>')
    assert span(cell, name) == expected


@pytest.mark.parametrize(
    "cell", ["<TD COLSPAN=2>", '<td ColSpan="2">', "<td\nrowSpan=2>"], ids=["upper", "camel", "row"]
)
@pytest.mark.parametrize("size", [1, 7, 4096])
def test_a_span_named_in_any_case_or_split_between_pieces_is_seen_by_the_stream(
    cell: str, size: int
) -> None:
    # The stream asks a cell of its spans only once the body's lowered text named one
    # (``cuts.Document.spans``): the name in capitals, or cut between two pieces, counts.
    rows = _row("ann", ANN_DUP) * 12 + f"<tr>{cell}ben@contoso.com {BEN_DUP}</td></tr>\n"
    html = f"<html><body><table>{HEADER}{rows}</table></body></html>"
    streamed, whole = read_both(html, size)
    assert (streamed.rows, streamed.unsure_rows) == (whole.rows, whole.unsure_rows)
    assert streamed.unsure_rows >= 1
