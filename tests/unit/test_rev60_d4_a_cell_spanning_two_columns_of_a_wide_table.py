"""Hostile review rev60 D4 (regression from 8493556, loud): in a table of three columns
(Identity | Error Description | Object ID), a row whose message cell spans the last two
(``<td colspan=2>``, its object id not given) is read plainly by its cells' places: identity
then message. Since 76f2c18 any row with a cell that spans is left out, the report
incomplete: ann's error is never ticketed, in every report of that shape. Read by the
columns each cell covers (a cell of colspan n takes n places), it is read whole.
"""

from __future__ import annotations

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, CAT_DUP, DUPLICATE_KIND, errors_of, parse_html, table_report

HEADER = "<tr><th>Identity</th><th>Error Description</th><th>Object ID</th></tr>\n"


def test_a_message_cell_spanning_the_last_columns_is_read() -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td colspan=2>{ANN_DUP}</td></tr>\n"
        f"<tr><td>cat@contoso.com</td><td>{CAT_DUP}</td><td>2</td></tr>\n"
    )
    result = parse_html(table_report(rows, HEADER), "rev60-d4@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 0677149: [cat] alone, complete False (8493556: ann and cat, complete True).
    assert errors == [("ann@contoso.com", DUPLICATE_KIND), ("cat@contoso.com", DUPLICATE_KIND)]
