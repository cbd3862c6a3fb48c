"""Hostile review rev56 D6 (known, left by the author): under a header row, one cell spanning
both columns (``<td colspan=2>ben@... <error></td>``) is read with the whole text as the
identity, an Unknown error; the report complete, so ben's open duplicate ticket resolves as
absent while the error is still there.
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


def test_a_spanning_identity_and_message_cell_is_never_misread_with_the_report_complete() -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>\n"
        f"<tr><td colspan=2>ben@contoso.com {BEN}</td></tr>\n"
    )
    html = report_html("Contoso", AT, []).replace(HEADER + "</table>", HEADER + rows + "</table>")
    result = parse_message(_email(html, AT, "rev56-d6@x"), "x.eml", None)
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 840f0e4: [(ann, DUPLICATE), ('ben@contoso.com Unable to update ...', 'Unknown')],
    # complete True.
    assert ("ben@contoso.com", DUPLICATE) in errors or result.complete is False, errors
