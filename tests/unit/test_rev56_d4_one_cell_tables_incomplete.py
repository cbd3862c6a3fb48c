"""Hostile review rev56 D4: a nested table of one cell is to read like a plain cell, the
report complete; but two of them in one row (identity and message each wrapped), or one cell
wrapped twice, count as "a table of several cells" (``read_table`` counts the filled cells of
every table under the row, nested ones again), so the report is read incomplete: nothing
ever resolves for a sender who wraps cells so.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>\n"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"


def _wrap(text: str) -> str:
    return f"<table><tr><td>{text}</td></tr></table>"


@pytest.mark.parametrize(
    "row",
    [
        f"<tr><td>{_wrap('ben@contoso.com')}</td><td>{_wrap(BEN)}</td></tr>\n",
        f"<tr><td>ben@contoso.com</td><td>{_wrap(_wrap(BEN))}</td></tr>\n",
    ],
    ids=["both-cells-wrapped", "wrapped-twice"],
)
def test_cells_wrapped_in_one_cell_tables_leave_the_report_complete(row: str) -> None:
    rows = f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>\n{row}"
    html = report_html("Contoso", AT, []).replace(HEADER + "</table>", HEADER + rows + "</table>")
    result = parse_message(_email(html, AT, "rev56-d4@x"), "x.eml", None)
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    assert errors == [("ann@contoso.com", DUPLICATE), ("ben@contoso.com", DUPLICATE)]
    # Seen at 840f0e4: complete False (unsure_rows 1).
    assert result.complete is True
