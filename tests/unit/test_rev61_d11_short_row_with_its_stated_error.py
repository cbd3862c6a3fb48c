"""Hostile review rev61 D11 (regression from 8493556, loud): under ``Identity | Error Type |
Error Description`` a row of ann's identity and her stated error (``AttributeValueMustBeUnique``)
whose description cell is left off is short of the message column (``html_short_rows``): not
an identity alone, it is left out and counted unsure, ann's error never ticketed. A browser
shows it exactly as the same row with an empty description cell, which is read as ann's
duplicate (its stated kind), complete; at 8493556 both were.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th>Identity</th><th>Error Type</th><th>Error Description</th></tr>\n"
CAT = duplicate("ProxyAddresses", "smtp:cat@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"


def _report(table: str) -> Report | Rejected:
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    return parse_message(_email(html, AT, "rev61-d11@x"), "x.eml", None)


@pytest.mark.xfail(strict=True, reason="rev61 D11: identity + stated error, no message cell")
def test_a_row_without_its_trailing_empty_cell_reads_as_the_row_with_it() -> None:
    def read(ann: str) -> tuple[list[tuple[str | None, str]], bool]:
        rows = (
            f"<tr><td>ann@contoso.com</td><td>{DUPLICATE}</td>{ann}</tr>\n"
            f"<tr><td>cat@contoso.com</td><td>{DUPLICATE}</td><td>{CAT}</td></tr>\n"
        )
        result = _report(f"<table>{HEADER}{rows}</table>")
        assert isinstance(result, Report), result
        return [(error.identity, error.kind) for error in result.errors], result.complete

    with_cell = read("<td></td>")
    assert with_cell == ([("ann@contoso.com", DUPLICATE), ("cat@contoso.com", DUPLICATE)], True)
    # Seen at 8d9cbb0: ([(cat, dup)], False): ann left out (8493556: as with the cell).
    assert read("") == with_cell
