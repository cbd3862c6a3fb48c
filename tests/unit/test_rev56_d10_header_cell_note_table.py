"""Hostile review rev56 D10 (a regression of htmlrows): a header cell holding a small note
table (``<th>Error Description<table>...see the KB article...</table></th>``) makes the header
row a "nested" row: not looked at for the header, the table is read header-less by its known
pairs, and the header row itself becomes an error row: an Unknown ticket for an object named
"Identity" in every such report (252afde skipped the row as layout: no such ticket).
"""

from __future__ import annotations

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, DUPLICATE_KIND, errors_of, parse_html, table_report

NOTE = "<table><tr><td>see the KB article linked in each error for what to do</td></tr></table>"


def test_a_header_cell_holding_a_note_table_is_no_error_row() -> None:
    header = f"<tr><th>Identity</th><th>Error Description{NOTE}</th></tr>\n"
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
    )
    html = table_report(rows, header)
    result = parse_html(html, "rev56-d10@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 840f0e4: [('Identity', 'Unknown'), (ann, DUPLICATE), (ben, DUPLICATE)].
    assert errors == [("ann@contoso.com", DUPLICATE_KIND), ("ben@contoso.com", DUPLICATE_KIND)]
