"""Hostile review rev56 D2: a message cell laid out as a small table ``code | description``
is an error table of its own (a header-less known pair), so the row around it is layout: the
error is ticketed under the error code as its identity, the row's object lost, the report
complete (its open ticket resolves as absent).
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


def test_a_message_cell_holding_a_code_and_description_table_keeps_its_identity() -> None:
    inner = f"<table><tr><td>{DUPLICATE}</td><td>{BEN}</td></tr></table>"
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{inner}</td></tr>\n"
    )
    html = report_html("Contoso", AT, []).replace(HEADER + "</table>", HEADER + rows + "</table>")
    result = parse_message(_email(html, AT, "rev56-d2@x"), "x.eml", None)
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 840f0e4: [(ann, DUPLICATE), ('AttributeValueMustBeUnique', DUPLICATE)], complete.
    assert DUPLICATE not in [identity for identity, _kind in errors], errors
    assert ("ben@contoso.com", DUPLICATE) in errors or result.complete is False, errors
