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

from datetime import UTC, datetime

import pytest

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th>Identity</th><th>Error Description</th><th>Object Id</th></tr>\n"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
CAT = duplicate("ProxyAddresses", "smtp:cat@contoso.com")
NOTE = "<table><tr><td>See the KB article</td></tr></table>"
ANNS = "0c1d7f1e-1111-4a2b-9c3d-000000000001"
BENS = "0c1d7f1e-1111-4a2b-9c3d-000000000002"


def _report(table: str) -> Report | Rejected:
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    return parse_message(_email(html, AT, "rev61-d4@x"), "x.eml", None)


@pytest.mark.parametrize(
    "spanning",
    [
        f"<tr><td rowspan=2>ann@contoso.com</td><td>{ANN}</td><td>{ANNS}</td></tr>\n"
        f"<tr><td>{BEN}</td><td>{BENS}</td></tr>\n",
        f"<tr><td>ann@contoso.com</td><td rowspan=2>{ANN}</td><td>{ANNS}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BENS}</td></tr>\n",
    ],
    ids=["identity-spans-two-rows", "message-spans-two-rows"],
)
def test_a_rowspan_in_a_wide_error_table_with_a_note_table_is_never_misread_complete(
    spanning: str,
) -> None:
    rows = f"{spanning}<tr><td>cat@contoso.com</td><td>{CAT}{NOTE}</td><td>x</td></tr>\n"
    result = _report(f"<table>{HEADER}{rows}</table>")
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 8d9cbb0: ben's row as (<ben's error text>, Unknown) or (ben, Unknown), complete.
    assert result.complete is False, errors
