"""Hostile review rev59 D1 (regression at 7a92dcb): a real error table's row whose cell holds a
note table headed ``Identity | Error`` (a strong header naming an identity column) makes the
note ``plainly`` an error table of its own, and in a strong table the row around it is layout,
skipped. ben's row (a known error) is lost, the note's row files an Unknown ticket under ann,
and the report is COMPLETE: ben's open problem is resolved as absent.

At 7a92dcb^ (4054788's nest rules) ben was read and the report marked incomplete (one row not
read with confidence).
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, HEADER_ROW, html_report, parse_html

NOTE = (
    "<table><tr><th>Identity</th><th>Error</th></tr>"
    "<tr><td>ann@contoso.com</td><td>see ticket 42</td></tr></table>"
)
ROW_ANN = f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>"
CODE_NOTE = (
    "<table><tr><th>Code</th><th>Description</th></tr>"
    f"<tr><td>0x8023134a</td><td>dup {NOTE}</td></tr></table>"
)
TITLED_NOTE = (
    "<table><tr><td>Errors</td></tr><tr><td>User</td><td>Error</td></tr>"
    "<tr><td>ann@contoso.com</td><td>see ticket 42</td></tr></table>"
)
ERRORS_WITH_NOTE = (
    f"<table>{HEADER_ROW}{ROW_ANN}<tr><td>ben@contoso.com</td><td>{BEN_DUP}{NOTE}</td></tr></table>"
)


@pytest.mark.parametrize(
    "table",
    [
        ERRORS_WITH_NOTE,
        f"<table>{HEADER_ROW}"
        f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}{NOTE}</td></tr>{ROW_ANN}</table>",
        f"<table>{HEADER_ROW}{ROW_ANN}"
        f"<tr><td>ben@contoso.com{NOTE}</td><td>{BEN_DUP}</td></tr></table>",
        "<table><tr><td>logo</td><td>x</td></tr>"
        f"<tr><td colspan=2>{ERRORS_WITH_NOTE}</td></tr></table>",
        f"<table>{HEADER_ROW}{ROW_ANN}"
        f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}{CODE_NOTE}</td></tr></table>",
        f"<table>{HEADER_ROW}{ROW_ANN}"
        f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}{TITLED_NOTE}</td></tr></table>",
        f"<table>{ROW_ANN}<tr><td>ben@contoso.com</td><td>{BEN_DUP}{NOTE}</td></tr></table>",
    ],
    ids=[
        "note-in-message-cell",
        "note-row-first",
        "note-in-identity-cell",
        "inside-a-layout",
        "note-inside-a-code-description-note",
        "titled-note-read-by-the-weak-header-look",
        "headerless-known-pair-table",
    ],
)
def test_a_row_whose_cell_holds_an_identity_error_note_is_not_lost_with_the_report_complete(
    table: str,
) -> None:
    html = html_report(table)
    result = parse_html(html, "rev59-d1@x")
    assert isinstance(result, Report), result
    identities = {error.identity for error in result.errors}
    # Seen at 7a92dcb: [ann Duplicate, ann Unknown 'see ticket 42'], complete True: ben lost.
    assert "ben@contoso.com" in identities or result.complete is False
