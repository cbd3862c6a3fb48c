"""Hostile review rev56 D9 (D1 carried through): when every row's message cell holds a small
table that reads as an error table of its own (a one-cell ``Details`` note: a header row, no
data rows), every row is layout and dropped. With Microsoft's "The following errors occurred"
sentence the body is refused; without it (a reworded or translated report) it is read as a
COMPLETE report of no errors: every open problem of the tenant resolves.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, HEADER_ROW, parse_html, table_report

SENTENCE = "<p>The following errors occurred during synchronization:</p>"
NOTE = "<table><tr><td>Details</td></tr></table>"


@pytest.mark.parametrize("header", [HEADER_ROW + "\n", ""], ids=["under-a-header", "header-less"])
def test_rows_each_holding_a_note_table_never_read_as_a_complete_report_of_no_errors(
    header: str,
) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}{NOTE}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}{NOTE}</td></tr>\n"
    )
    html = table_report(rows, header)
    html = html.replace(SENTENCE, "<p>Errors:</p>")
    assert SENTENCE not in html
    result = parse_html(html, "rev56-d9@x")
    # Seen at 840f0e4 (and 252afde): a Report, complete True, errors [].
    assert not (isinstance(result, Report) and result.complete and not result.errors), result
