"""Hostile review rev56 D5: a header-less error table whose message cells each hold a one-cell
table is no error table (only plain rows may show a known pair), so none of its rows is read
as a row: the body falls to the plain-text reading, every error nameless (identity None,
kind Unknown), the objects' own tickets never matched (the report is incomplete).
"""

from __future__ import annotations

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, DUPLICATE_KIND, errors_of, parse_html, table_report


def test_a_headerless_table_of_one_cell_nested_messages_is_read_as_its_rows() -> None:
    rows = "".join(
        f"<tr><td>{who}</td><td><table><tr><td>{message}</td></tr></table></td></tr>\n"
        for who, message in [("ann@contoso.com", ANN_DUP), ("ben@contoso.com", BEN_DUP)]
    )
    html = table_report(rows, header="")
    result = parse_html(html, "rev56-d5@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 840f0e4: [(None, 'Unknown'), (None, 'Unknown')], complete False.
    assert errors == [("ann@contoso.com", DUPLICATE_KIND), ("ben@contoso.com", DUPLICATE_KIND)]
