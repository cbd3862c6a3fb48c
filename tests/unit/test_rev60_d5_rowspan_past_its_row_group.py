"""Hostile review rev60 D5 (regression from 8493556, loud): ``html_spans`` counts a rowspan's
rows by the rows that hold cells, across the whole table. A browser counts every ``<tr>``
(an empty one too) and ends a rowspan at its row group (``<tbody>``); a ``rowspan=0`` runs to
the group's end, not the table's. A whole row after the span's real end (ben's, both cells)
is taken for a continuation row and left out: ben's error is never ticketed, the report
incomplete.
"""

from __future__ import annotations

import pytest

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

BEN_ROW = f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"


@pytest.mark.parametrize(
    "table",
    [
        f"<table>{HEADER_ROW}\n<tr><td rowspan=2>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
        f"<tr></tr>\n{BEN_ROW}</table>",
        f"<table><thead>{HEADER_ROW}\n</thead><tbody><tr><td>ann@contoso.com</td>"
        f"<td rowspan=2>{ANN_DUP}</td></tr></tbody><tbody>{BEN_ROW}</tbody></table>",
        f"<table><thead>{HEADER_ROW}\n</thead><tbody><tr><td>ann@contoso.com</td>"
        f"<td rowspan=0>{ANN_DUP}</td></tr></tbody><tbody>{BEN_ROW}</tbody></table>",
    ],
    ids=["over-an-empty-row", "past-its-tbody", "rowspan-0-past-its-tbody"],
)
def test_a_whole_row_after_a_rowspans_end_is_read(table: str) -> None:
    result = parse_html(html_report(table), "rev60-d5@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 0677149: [ann] alone, complete False (8493556: ann and ben, complete True).
    assert errors == [("ann@contoso.com", DUPLICATE_KIND), ("ben@contoso.com", DUPLICATE_KIND)]
