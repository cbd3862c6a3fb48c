"""Hostile review rev59 D2 (regression at 7a92dcb): a real error table's row whose message cell
holds a note table of one known pair (``bob@x.com | <known error text>``: the other object of a
duplicate, say) makes the note ``plainly`` an error table (an identity with a known error); the
row around it is layout, skipped. The row's own identity is lost and its error filed under
bob@x.com, the report COMPLETE: the row is misattributed (ben) or dropped (carl).

At 7a92dcb^ the row was read under its own identity (Unknown, the cell's text) and the report
marked incomplete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, HEADER_ROW, html_report, parse_html

NOTE = f"<table><tr><td>bob@x.com</td><td>{BEN_DUP}</td></tr></table>"
ROW_ANN = f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>"


@pytest.mark.parametrize(
    ("who", "cell"),
    [("ben@contoso.com", NOTE), ("carl@contoso.com", f"Conflict with:{NOTE}")],
    ids=["note-alone", "text-then-note"],
)
def test_a_row_whose_message_cell_holds_a_known_pair_note_keeps_its_identity(
    who: str, cell: str
) -> None:
    table = f"<table>{HEADER_ROW}{ROW_ANN}<tr><td>{who}</td><td>{cell}</td></tr></table>"
    html = html_report(table)
    result = parse_html(html, "rev59-d2@x")
    assert isinstance(result, Report), result
    identities = {error.identity for error in result.errors}
    # Seen at 7a92dcb: [ann Duplicate, bob@x.com Duplicate], complete True: the row is lost.
    assert who in identities or result.complete is False
