"""Hostile review rev56 D9 (D1 carried through): when every row's message cell holds a small
table that reads as an error table of its own (a one-cell ``Details`` note: a header row, no
data rows), every row is layout and dropped. With Microsoft's "The following errors occurred"
sentence the body is refused; without it (a reworded or translated report) it is read as a
COMPLETE report of no errors: every open problem of the tenant resolves.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>\n"
SENTENCE = "<p>The following errors occurred during synchronization:</p>"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
NOTE = "<table><tr><td>Details</td></tr></table>"


@pytest.mark.parametrize("header", [HEADER, ""], ids=["under-a-header", "header-less"])
def test_rows_each_holding_a_note_table_never_read_as_a_complete_report_of_no_errors(
    header: str,
) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}{NOTE}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BEN}{NOTE}</td></tr>\n"
    )
    html = report_html("Contoso", AT, []).replace(HEADER + "</table>", header + rows + "</table>")
    html = html.replace(SENTENCE, "<p>Errors:</p>")
    assert SENTENCE not in html
    result = parse_message(_email(html, AT, "rev56-d9@x"), "x.eml", None)
    # Seen at 840f0e4 (and 252afde): a Report, complete True, errors [].
    assert not (isinstance(result, Report) and result.complete and not result.errors), result
