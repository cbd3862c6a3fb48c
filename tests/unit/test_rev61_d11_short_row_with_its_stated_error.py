"""Hostile review rev61 D11 (regression from 8493556, loud): under ``Identity | Error Type |
Error Description`` a row of ann's identity and her stated error (``AttributeValueMustBeUnique``)
whose description cell is left off is short of the message column (``html_short_rows``): not
an identity alone, it is left out and counted unsure, ann's error never ticketed. A browser
shows it exactly as the same row with an empty description cell, which is read as ann's
duplicate (its stated kind), complete; at 8493556 both were.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import CAT_DUP, DUPLICATE_KIND, errors_of, parse_html, table_report

HEADER = "<tr><th>Identity</th><th>Error Type</th><th>Error Description</th></tr>\n"


@pytest.mark.xfail(strict=True, reason="rev61 D11: identity + stated error, no message cell")
def test_a_row_without_its_trailing_empty_cell_reads_as_the_row_with_it() -> None:
    def read(ann: str) -> tuple[list[tuple[str | None, str]], bool]:
        rows = (
            f"<tr><td>ann@contoso.com</td><td>{DUPLICATE_KIND}</td>{ann}</tr>\n"
            f"<tr><td>cat@contoso.com</td><td>{DUPLICATE_KIND}</td><td>{CAT_DUP}</td></tr>\n"
        )
        result = parse_html(table_report(rows, HEADER), "rev61-d11@x")
        assert isinstance(result, Report), result
        return errors_of(result), result.complete

    with_cell = read("<td></td>")
    assert with_cell == (
        [("ann@contoso.com", DUPLICATE_KIND), ("cat@contoso.com", DUPLICATE_KIND)],
        True,
    )
    # Seen at 8d9cbb0: ([(cat, dup)], False): ann left out (8493556: as with the cell).
    assert read("") == with_cell
