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

import pytest

from dirsync_bridge.models import Report

from ..reportgen import (
    ANN_DUP,
    BEN_DUP,
    DUPLICATE_KIND,
    HEADER_ROW,
    errors_of,
    html_report,
    parse_html,
)

ERRORS = (
    f"<table>{HEADER_ROW}<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr></table>"
)


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
    html = html_report(layout)
    result = parse_html(html, "rev58-d1@x")
    # Seen at 4054788: Rejected not-a-report (colspan-cell); [(None, 'Unknown')], incomplete
    # (second-cell, label-value-row). At cf9e04c: both rows, complete.
    assert isinstance(result, Report), result
    assert errors_of(result) == [
        ("ann@contoso.com", DUPLICATE_KIND),
        ("ben@contoso.com", DUPLICATE_KIND),
    ]
    assert result.complete is True
