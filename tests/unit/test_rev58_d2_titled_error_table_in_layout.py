"""Hostile review rev58 D2: an error table whose first row is a one-cell title ``Errors``
(colspan 2) above its real header, nested in a layout table (as Microsoft's aadsync layout
nests its error table), is no error table any more: ``table_shape`` takes the title as a
one-cell header (not ``strong``), and nested, only a strong table is an error table of its
own. No table row is read; the plain-text guesser then makes five nameless Unknown rows of
the text, the report incomplete, ann and ben never ticketed under their names.

The author's rule says a one-cell "Errors" header is a title; here it hides the header below.
(At cf9e04c the table was read, though misattributed as D3 shows for a top-level table.)
"""

from __future__ import annotations

from dirsync_bridge.models import Report

from ..reportgen import (
    ANN_DUP,
    BEN_DUP,
    DUPLICATE_KIND,
    HEADER_ROW,
    errors_of,
    html_report,
    parse_html,
)


def test_a_titled_error_table_nested_in_a_layout_table_is_read() -> None:
    titled = (
        f"<table><tr><th colspan=2>Errors</th></tr>{HEADER_ROW}"
        f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>"
        f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr></table>"
    )
    layout = f"<table><tr><td>Microsoft</td></tr><tr><td>{titled}</td></tr></table>"
    html = html_report(layout)
    result = parse_html(html, "rev58-d2@x")
    assert isinstance(result, Report), result
    # Seen at 4054788: five (None, 'Unknown') rows, complete False.
    assert errors_of(result) == [
        ("ann@contoso.com", DUPLICATE_KIND),
        ("ben@contoso.com", DUPLICATE_KIND),
    ]
