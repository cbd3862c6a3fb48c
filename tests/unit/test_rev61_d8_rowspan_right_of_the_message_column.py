"""Hostile review rev61 D8 (regression from 8493556, loud): ``html_spans`` leaves out every
row under a rowspan (``plain``: under no rowspan), wherever the spanning cell stands. A
cell merged down a column to the RIGHT of the identity and message (a ``More information``
note over every row) covers nothing a row is read by: a browser shows ben's and cat's rows
whole in their own cells. They are left out, unsure: each report ticketing only its first
row, incomplete every day. At 8493556 all three were read, complete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import (
    ANN_DUP,
    BEN_DUP,
    CAT_DUP,
    DUPLICATE_KIND,
    errors_of,
    parse_html,
    table_report,
)

HEADER = "<tr><th>Identity</th><th>Error Description</th><th>More information</th></tr>\n"


@pytest.mark.parametrize("rowspan", ["3", "0"])
def test_rows_under_a_note_merged_down_the_last_column_are_read(rowspan: str) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td>"
        f"<td rowspan={rowspan}>See KB 2647098</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
        f"<tr><td>cat@contoso.com</td><td>{CAT_DUP}</td></tr>\n"
    )
    result = parse_html(table_report(rows, HEADER), "rev61-d8@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 8d9cbb0: [(ann, dup)] alone, complete False (8493556: all three, complete).
    assert errors == [(f"{who}@contoso.com", DUPLICATE_KIND) for who in ("ann", "ben", "cat")]
