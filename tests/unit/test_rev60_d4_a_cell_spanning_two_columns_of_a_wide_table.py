"""Hostile review rev60 D4 (regression from 8493556, loud): in a table of three columns
(Identity | Error Description | Object ID), a row whose message cell spans the last two
(``<td colspan=2>``, its object id not given) is read plainly by its cells' places: identity
then message. Since 76f2c18 any row with a cell that spans is left out, the report
incomplete: ann's error is never ticketed, in every report of that shape. Read by the
columns each cell covers (a cell of colspan n takes n places), it is read whole.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th>Identity</th><th>Error Description</th><th>Object ID</th></tr>\n"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
CAT = duplicate("ProxyAddresses", "smtp:cat@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"


def _report(table: str) -> Report | Rejected:
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    return parse_message(_email(html, AT, "rev60-d4@x"), "x.eml", None)


def test_a_message_cell_spanning_the_last_columns_is_read() -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td colspan=2>{ANN}</td></tr>\n"
        f"<tr><td>cat@contoso.com</td><td>{CAT}</td><td>2</td></tr>\n"
    )
    result = _report(f"<table>{HEADER}{rows}</table>")
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 0677149: [cat] alone, complete False (8493556: ann and cat, complete True).
    assert errors == [("ann@contoso.com", DUPLICATE), ("cat@contoso.com", DUPLICATE)]
