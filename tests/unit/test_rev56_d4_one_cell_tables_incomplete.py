"""Hostile review rev56 D4: a nested table of one cell is to read like a plain cell, the
report complete; but two of them in one row (identity and message each wrapped), or one cell
wrapped twice, count as "a table of several cells" (``read_table`` counts the filled cells of
every table under the row, nested ones again), so the report is read incomplete: nothing
ever resolves for a sender who wraps cells so.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, DUPLICATE_KIND, errors_of, parse_html, table_report


def _wrap(text: str) -> str:
    return f"<table><tr><td>{text}</td></tr></table>"


@pytest.mark.parametrize(
    "row",
    [
        f"<tr><td>{_wrap('ben@contoso.com')}</td><td>{_wrap(BEN_DUP)}</td></tr>\n",
        f"<tr><td>ben@contoso.com</td><td>{_wrap(_wrap(BEN_DUP))}</td></tr>\n",
    ],
    ids=["both-cells-wrapped", "wrapped-twice"],
)
def test_cells_wrapped_in_one_cell_tables_leave_the_report_complete(row: str) -> None:
    rows = f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n{row}"
    html = table_report(rows)
    result = parse_html(html, "rev56-d4@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    assert errors == [("ann@contoso.com", DUPLICATE_KIND), ("ben@contoso.com", DUPLICATE_KIND)]
    # Seen at 840f0e4: complete False (unsure_rows 1).
    assert result.complete is True
