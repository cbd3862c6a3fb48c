"""Hostile review rev61 D3 (regression from 8493556, loud): a header whose spanning cell
comes before the message column (``<th colspan=2>Identity</th><th>Error Description</th>``)
is laid out three columns wide, its message the third. Data rows of two cells (the colspan a
slip of the sender's template), or with the message cell spanning the last two, are then
short of it (``html_short_rows``) or odd (``html_spans``): every row is left out and the
report refused as one whose errors' sentence has no row after it. At 8493556 both tables
were read whole and right, complete.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th colspan=2>Identity</th><th>Error Description</th></tr>\n"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
CAT = duplicate("ProxyAddresses", "smtp:cat@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"


def _report(table: str) -> Report | Rejected:
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    return parse_message(_email(html, AT, "rev61-d3@x"), "x.eml", None)


@pytest.mark.parametrize("message", ["<td>{}</td>", "<td colspan=2>{}</td>"], ids=["2", "1+2"])
def test_rows_under_a_header_spanning_before_its_message_column_are_read(message: str) -> None:
    rows = "".join(
        f"<tr><td>{who}@contoso.com</td>{message.format(text)}</tr>\n"
        for who, text in (("ann", ANN), ("cat", CAT))
    )
    result = _report(f"<table>{HEADER}{rows}</table>")
    # Seen at 8d9cbb0: Rejected not-a-report (8493556: ann and cat, complete True).
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Read, unsure or not: neither error is lost.
    assert ("ann@contoso.com", DUPLICATE) in errors and ("cat@contoso.com", DUPLICATE) in errors
