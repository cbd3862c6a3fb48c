"""Hostile review rev58 D1 (the case htmlfix's author flagged, graded): a layout table whose
first row is two cells reading like a header ("logo | Errors": ``column_roles`` takes
``Errors`` as the message column, two filled cells make it ``Shape.strong``) claims the real
error table nested in it as one cell's content. The author expected "rows not read, report
incomplete"; what happens is worse:

- error table in a colspan cell: no row read, one row counted unsure, and the report is
  refused as not a report ("The following errors occurred" followed by no error row);
- error table in the second cell, or under a label/value row ("Details: | see below", any
  2-cell row in a layout's first five whose one cell is Details/Message/Description/Error(s)):
  the whole table's text is one nameless Unknown ticket, ann and ben are never ticketed
  (report incomplete).

At cf9e04c and 9512f31 both layouts read ann and ben, the report complete.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
ERRORS = (
    f"<table>{HEADER}<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>"
    f"<tr><td>ben@contoso.com</td><td>{BEN}</td></tr></table>"
)
DUPLICATE = "AttributeValueMustBeUnique"


@pytest.mark.xfail(strict=True, reason="rev58 D1: a 'logo | Errors' layout row claims the table")
@pytest.mark.parametrize(
    "layout",
    [
        f"<table><tr><td>logo</td><td>Errors</td></tr><tr><td colspan=2>{ERRORS}</td></tr></table>",
        f"<table><tr><td>logo</td><td>Errors</td></tr><tr><td></td><td>{ERRORS}</td></tr></table>",
        f"<table><tr><td>Details:</td><td>see below</td></tr><tr><td colspan=2>{ERRORS}</td></tr>"
        "</table>",
    ],
    ids=["colspan-cell", "second-cell", "label-value-row"],
)
def test_an_error_table_in_a_layout_with_a_header_like_row_is_read(layout: str) -> None:
    html = report_html("Contoso", AT, []).replace(EMPTY, layout)
    result = parse_message(_email(html, AT, "rev58-d1@x"), "x.eml", None)
    # Seen at 4054788: Rejected not-a-report (colspan-cell); [(None, 'Unknown')], incomplete
    # (second-cell, label-value-row). At cf9e04c: both rows, complete.
    assert isinstance(result, Report), result
    assert [(error.identity, error.kind) for error in result.errors] == [
        ("ann@contoso.com", DUPLICATE),
        ("ben@contoso.com", DUPLICATE),
    ]
    assert result.complete is True
