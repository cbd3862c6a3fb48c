"""Hostile review rev61 D3 (regression from 8493556, loud): a header whose spanning cell
comes before the message column (``<th colspan=2>Identity</th><th>Error Description</th>``)
is laid out three columns wide, its message the third. Data rows of two cells (the colspan a
slip of the sender's template), or with the message cell spanning the last two, are then
short of it (``html_short_rows``) or odd (``html_spans``): every row is left out and the
report refused as one whose errors' sentence has no row after it. At 8493556 both tables
were read whole and right, complete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, CAT_DUP, DUPLICATE_KIND, errors_of, parse_html, table_report

HEADER = "<tr><th colspan=2>Identity</th><th>Error Description</th></tr>\n"


@pytest.mark.parametrize("message", ["<td>{}</td>", "<td colspan=2>{}</td>"], ids=["2", "1+2"])
def test_rows_under_a_header_spanning_before_its_message_column_are_read(message: str) -> None:
    rows = "".join(
        f"<tr><td>{who}@contoso.com</td>{message.format(text)}</tr>\n"
        for who, text in (("ann", ANN_DUP), ("cat", CAT_DUP))
    )
    result = parse_html(table_report(rows, HEADER), "rev61-d3@x")
    # Seen at 8d9cbb0: Rejected not-a-report (8493556: ann and cat, complete True).
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Read, unsure or not: neither error is lost.
    assert ("ann@contoso.com", DUPLICATE_KIND) in errors
    assert ("cat@contoso.com", DUPLICATE_KIND) in errors
