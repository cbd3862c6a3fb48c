"""Hostile review rev58 D3 (not a regression: the same at cf9e04c and 9512f31): an error table
whose first row is a one-cell title ``Errors`` above its real header ``Identity | Error
Description`` is read with the title as its header (``column_roles``: ``Errors`` is the
message column, the only one). Each row's identity is read as its message and its message is
dropped: two nameless Unknown rows, and the report COMPLETE, so ann's and ben's open tickets
resolve as absent. htmlfix's rule "a one-cell Errors header is a title" holds only for the
table's strength, not for where its header is.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")


def test_a_title_row_above_the_header_never_leaves_a_complete_report_of_misread_rows() -> None:
    titled = (
        f"<table><tr><th colspan=2>Errors</th></tr>{HEADER}"
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>"
        f"<tr><td>ben@contoso.com</td><td>{BEN}</td></tr></table>"
    )
    html = report_html("Contoso", AT, []).replace(EMPTY, titled)
    result = parse_message(_email(html, AT, "rev58-d3@x"), "x.eml", None)
    assert isinstance(result, Report), result
    identities = [error.identity for error in result.errors]
    # Seen at 4054788: [None, None] (kinds Unknown), complete True.
    assert identities == ["ann@contoso.com", "ben@contoso.com"] or result.complete is False
