"""Hostile review rev56 D10 (a regression of htmlrows): a header cell holding a small note
table (``<th>Error Description<table>...see the KB article...</table></th>``) makes the header
row a "nested" row: not looked at for the header, the table is read header-less by its known
pairs, and the header row itself becomes an error row: an Unknown ticket for an object named
"Identity" in every such report (252afde skipped the row as layout: no such ticket).
"""

from __future__ import annotations

from datetime import UTC, datetime

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>\n"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"
NOTE = "<table><tr><td>see the KB article linked in each error for what to do</td></tr></table>"


def test_a_header_cell_holding_a_note_table_is_no_error_row() -> None:
    header = f"<tr><th>Identity</th><th>Error Description{NOTE}</th></tr>\n"
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BEN}</td></tr>\n"
    )
    html = report_html("Contoso", AT, []).replace(HEADER + "</table>", header + rows + "</table>")
    result = parse_message(_email(html, AT, "rev56-d10@x"), "x.eml", None)
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 840f0e4: [('Identity', 'Unknown'), (ann, DUPLICATE), (ben, DUPLICATE)].
    assert errors == [("ann@contoso.com", DUPLICATE), ("ben@contoso.com", DUPLICATE)]
