"""rev58 D1's rule at its edges: a nested table is an error table of its own, whatever the
outer table's header-like row reads, only by a sign no layout or note shows. Header-less, that
sign is a row of an identity and a known error; a ``code | description`` table in a message
cell (no identity) stays that cell's content (rev56 D2's test keeps that)."""

from __future__ import annotations

from datetime import UTC, datetime

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"


def test_a_headerless_table_of_identity_rows_in_a_logo_errors_layout_is_read() -> None:
    pairs = (
        f"<table><tr><td>ann@contoso.com</td><td>{ANN}</td></tr>"
        f"<tr><td>ben@contoso.com</td><td>{BEN}</td></tr></table>"
    )
    layout = (
        f"<table><tr><td>logo</td><td>Errors</td></tr><tr><td colspan=2>{pairs}</td></tr></table>"
    )
    html = report_html("Contoso", AT, []).replace(EMPTY, layout)
    result = parse_message(_email(html, AT, "nestfix-pairs@x"), "x.eml", None)
    assert isinstance(result, Report), result
    assert [(error.identity, error.kind) for error in result.errors] == [
        ("ann@contoso.com", DUPLICATE),
        ("ben@contoso.com", DUPLICATE),
    ]
    assert result.complete is True
