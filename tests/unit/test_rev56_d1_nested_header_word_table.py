"""Hostile review rev56 D1: a message cell holding a small table whose one cell is a word that
reads as a header ("Details", "Error", "Message") makes the row layout: dropped, report complete.

``read_table`` skips a row when any table nested in it is an error table of its own, and a
one-row table of ``Details`` is one (a header row, ``column_roles``, and no data rows). The
row's identity and message, both in plain sight, are lost; the report stays complete, so the
object's open ticket resolves as absent.
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


@pytest.mark.parametrize("word", ["Details", "Error", "Message"])
def test_a_message_cell_with_a_small_header_word_table_keeps_its_row(word: str) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BEN}<table><tr><td>{word}</td></tr></table></td></tr>\n"
    )
    html = report_html("Contoso", AT, []).replace(HEADER + "</table>", HEADER + rows + "</table>")
    result = parse_message(_email(html, AT, "rev56-d1@x"), "x.eml", None)
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 840f0e4: [('ann@contoso.com', DUPLICATE)], complete True: ben's row dropped.
    assert ("ben@contoso.com", DUPLICATE) in errors or result.complete is False, errors
