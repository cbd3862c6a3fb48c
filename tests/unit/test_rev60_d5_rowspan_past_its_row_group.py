"""Hostile review rev60 D5 (regression from 8493556, loud): ``html_spans`` counts a rowspan's
rows by the rows that hold cells, across the whole table. A browser counts every ``<tr>``
(an empty one too) and ends a rowspan at its row group (``<tbody>``); a ``rowspan=0`` runs to
the group's end, not the table's. A whole row after the span's real end (ben's, both cells)
is taken for a continuation row and left out: ben's error is never ticketed, the report
incomplete.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>\n"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"
BEN_ROW = f"<tr><td>ben@contoso.com</td><td>{BEN}</td></tr>\n"


def _report(table: str) -> Report | Rejected:
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    return parse_message(_email(html, AT, "rev60-d5@x"), "x.eml", None)


@pytest.mark.parametrize(
    "table",
    [
        f"<table>{HEADER}<tr><td rowspan=2>ann@contoso.com</td><td>{ANN}</td></tr>\n"
        f"<tr></tr>\n{BEN_ROW}</table>",
        f"<table><thead>{HEADER}</thead><tbody><tr><td>ann@contoso.com</td>"
        f"<td rowspan=2>{ANN}</td></tr></tbody><tbody>{BEN_ROW}</tbody></table>",
        f"<table><thead>{HEADER}</thead><tbody><tr><td>ann@contoso.com</td>"
        f"<td rowspan=0>{ANN}</td></tr></tbody><tbody>{BEN_ROW}</tbody></table>",
    ],
    ids=["over-an-empty-row", "past-its-tbody", "rowspan-0-past-its-tbody"],
)
def test_a_whole_row_after_a_rowspans_end_is_read(table: str) -> None:
    result = _report(table)
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 0677149: [ann] alone, complete False (8493556: ann and ben, complete True).
    assert errors == [("ann@contoso.com", DUPLICATE), ("ben@contoso.com", DUPLICATE)]
