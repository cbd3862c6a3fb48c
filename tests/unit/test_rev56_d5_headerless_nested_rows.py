"""Hostile review rev56 D5: a header-less error table whose message cells each hold a one-cell
table is no error table (only plain rows may show a known pair), so none of its rows is read
as a row: the body falls to the plain-text reading, every error nameless (identity None,
kind Unknown), the objects' own tickets never matched (the report is incomplete).
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


def test_a_headerless_table_of_one_cell_nested_messages_is_read_as_its_rows() -> None:
    rows = "".join(
        f"<tr><td>{who}</td><td><table><tr><td>{message}</td></tr></table></td></tr>\n"
        for who, message in [("ann@contoso.com", ANN), ("ben@contoso.com", BEN)]
    )
    html = report_html("Contoso", AT, []).replace(HEADER + "</table>", rows + "</table>")
    result = parse_message(_email(html, AT, "rev56-d5@x"), "x.eml", None)
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 840f0e4: [(None, 'Unknown'), (None, 'Unknown')], complete False.
    assert errors == [("ann@contoso.com", DUPLICATE), ("ben@contoso.com", DUPLICATE)]
