"""Hostile review rev60 D3 (not a regression: as at 8493556): spans are looked at only in a
table with no table inside it (``html_nest._own``). An error table with a note table in one
message cell reads a rowspan's continuation row as before: ben's duplicate filed as an
Unknown error of an object named by the error's text, and a cell spanning the identity and
message columns as an identity; the report complete (the rev56 D6/D7 defects, there still).
The stream reads such a table whole too, so both readers agree on the misreading.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, CAT_DUP, parse_html, table_report

NOTE = "<table><tr><td>See the KB article</td></tr></table>"


@pytest.mark.parametrize(
    "spanning",
    [
        f"<tr><td rowspan=2>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
        f"<tr><td>{BEN_DUP}</td></tr>\n",
        "<tr><td colspan=2>ben@contoso.com Unable to sync this object</td></tr>\n",
    ],
    ids=["rowspan-continuation", "identity-and-message-in-one-cell"],
)
def test_spans_in_an_error_table_with_a_note_table_are_never_misread_complete(
    spanning: str,
) -> None:
    rows = f"{spanning}<tr><td>cat@contoso.com</td><td>{CAT_DUP}{NOTE}</td></tr>\n"
    result = parse_html(table_report(rows), "rev60-d3@x")
    assert isinstance(result, Report), result
    identities = [error.identity or "" for error in result.errors]
    # Seen at 0677149 (and 8493556): an identity that is the error's text, complete True.
    assert result.complete is False, identities
    assert not any(" " in identity for identity in identities), identities
