"""Hostile review rev59 D2 (regression at 7a92dcb): a real error table's row whose message cell
holds a note table of one known pair (``bob@x.com | <known error text>``: the other object of a
duplicate, say) makes the note ``plainly`` an error table (an identity with a known error); the
row around it is layout, skipped. The row's own identity is lost and its error filed under
bob@x.com, the report COMPLETE: the row is misattributed (ben) or dropped (carl).

At 7a92dcb^ the row was read under its own identity (Unknown, the cell's text) and the report
marked incomplete.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
NOTE = f"<table><tr><td>bob@x.com</td><td>{BEN}</td></tr></table>"
ROW_ANN = f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>"


@pytest.mark.parametrize(
    ("who", "cell"),
    [("ben@contoso.com", NOTE), ("carl@contoso.com", f"Conflict with:{NOTE}")],
    ids=["note-alone", "text-then-note"],
)
def test_a_row_whose_message_cell_holds_a_known_pair_note_keeps_its_identity(
    who: str, cell: str
) -> None:
    table = f"<table>{HEADER}{ROW_ANN}<tr><td>{who}</td><td>{cell}</td></tr></table>"
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    result = parse_message(_email(html, AT, "rev59-d2@x"), "x.eml", None)
    assert isinstance(result, Report), result
    identities = {error.identity for error in result.errors}
    # Seen at 7a92dcb: [ann Duplicate, bob@x.com Duplicate], complete True: the row is lost.
    assert who in identities or result.complete is False
