"""Hostile review rev56 D8 (known, left by the author): a section title row mid-table under a
header (``<th colspan=2>Users</th>``, as a report grouping its rows by object type would have)
is read as an error row: an Unknown ticket for an object named "Users", in every such report.
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


def test_a_title_row_mid_table_is_no_error() -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>\n"
        "<tr><th colspan=2>Users</th></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BEN}</td></tr>\n"
    )
    html = report_html("Contoso", AT, []).replace(HEADER + "</table>", HEADER + rows + "</table>")
    result = parse_message(_email(html, AT, "rev56-d8@x"), "x.eml", None)
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 840f0e4: [(ann, DUPLICATE), ('Users', 'Unknown'), (ben, DUPLICATE)].
    assert errors == [("ann@contoso.com", DUPLICATE), ("ben@contoso.com", DUPLICATE)]
