"""Hostile review rev62 D2 (regression from 8493556, medium): in an error table that holds a
table (a message cell wrapping its text in a one-cell table, read with confidence),
``html_nest._own`` counts every row with a spanning cell unsure (``doubtful_row``), wherever
it stands: a title spanning the table above its header, a section title under it (the plain
reader skips it, not counted), a title over a header-less table's pairs. The rule of
f52158a counts rows above the header only as before and a header-less table's spanning rows
only when two cells wide, and never a title: the same table without the inner table reads
complete. Here the report is incomplete every day, so none of the tenant's fixed problems
ever resolves. At 8493556 the report was complete, every error read.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Rejected, Report

from ..reportgen import ANN_DUP, BEN_DUP, HEADER_ROW, html_report, parse_html

ROWS = (
    f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
)
CAT_DUP = ANN_DUP.replace("ann@", "cat@")
# The message cell of cat's row wraps its text in a one-cell table (read as its message).
WRAPPED = f"<tr><td>cat@contoso.com</td><td><table><tr><td>{CAT_DUP}</td></tr></table></td></tr>\n"
TITLE = "<tr><td colspan=2>Directory synchronization errors</td></tr>\n"
USERS = "<tr><td colspan=2>Users</td></tr>\n"


def _result(table: str) -> Report | Rejected:
    return parse_html(html_report(table), "rev62-d2@x")


@pytest.mark.parametrize(
    "table",
    [
        pytest.param(f"<table>{TITLE}{HEADER_ROW}\n{ROWS}{WRAPPED}</table>", id="above-header"),
        pytest.param(
            f"<table>{HEADER_ROW}\n{USERS}{ROWS}{WRAPPED}</table>",
            id="under-header",
            marks=pytest.mark.xfail(
                strict=True,
                reason="rev62 D2: a title under the header of a table holding a table is "
                "read as a short row, unsure",
            ),
        ),
        pytest.param(f"<table>{TITLE}{ROWS}{WRAPPED}</table>", id="header-less"),
    ],
)
def test_a_title_row_reads_alike_with_or_without_a_table_inside(table: str) -> None:
    plain = _result(table.replace(WRAPPED, ""))
    assert isinstance(plain, Report) and plain.complete  # the rule's reading: a title
    result = _result(table)
    assert isinstance(result, Report), result
    assert {error.identity for error in result.errors} == {
        "ann@contoso.com",
        "ben@contoso.com",
        "cat@contoso.com",
    }
    # Seen at f52158a: complete False (8493556: True, the same three errors).
    assert result.complete
