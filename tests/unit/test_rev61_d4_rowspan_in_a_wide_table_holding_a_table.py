"""Hostile review rev61 D4 (not a regression: as at 8493556; rev60 D3 only masked): spans
are still not looked at in a table that holds a table (``html_nest._rows_read``). rev60 D3's
test passes since ``html_short_rows`` because its table is two columns wide: the
continuation row is short. Three columns wide (``Object Id`` after the message), a
rowspan's continuation row reaches the message column and is read as a whole row: ben's
duplicate filed as an Unknown error of an object named by its text (its object id read as
the message), or ben filed with his object id as an Unknown error; the report complete, so
ben's own duplicate ticket resolves as absent. Without the note table the same rows are
left out and the report incomplete (``html_spans``).
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, CAT_DUP, errors_of, parse_html, table_report

HEADER = "<tr><th>Identity</th><th>Error Description</th><th>Object Id</th></tr>\n"
NOTE = "<table><tr><td>See the KB article</td></tr></table>"
ANNS = "0c1d7f1e-1111-4a2b-9c3d-000000000001"
BENS = "0c1d7f1e-1111-4a2b-9c3d-000000000002"


@pytest.mark.parametrize(
    "spanning",
    [
        f"<tr><td rowspan=2>ann@contoso.com</td><td>{ANN_DUP}</td><td>{ANNS}</td></tr>\n"
        f"<tr><td>{BEN_DUP}</td><td>{BENS}</td></tr>\n",
        f"<tr><td>ann@contoso.com</td><td rowspan=2>{ANN_DUP}</td><td>{ANNS}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BENS}</td></tr>\n",
    ],
    ids=["identity-spans-two-rows", "message-spans-two-rows"],
)
def test_a_rowspan_in_a_wide_error_table_with_a_note_table_is_never_misread_complete(
    spanning: str,
) -> None:
    rows = f"{spanning}<tr><td>cat@contoso.com</td><td>{CAT_DUP}{NOTE}</td><td>x</td></tr>\n"
    result = parse_html(table_report(rows, HEADER), "rev61-d4@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 8d9cbb0: ben's row as (<ben's error text>, Unknown) or (ben, Unknown), complete.
    assert result.complete is False, errors
