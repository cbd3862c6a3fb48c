"""Hostile review rev61 D8 (regression from 8493556, loud): ``html_spans`` leaves out every
row under a rowspan (``plain``: under no rowspan), wherever the spanning cell stands. A
cell merged down a column to the RIGHT of the identity and message (a ``More information``
note over every row) covers nothing a row is read by: a browser shows ben's and cat's rows
whole in their own cells. They are left out, unsure: each report ticketing only its first
row, incomplete every day. At 8493556 all three were read, complete.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th>Identity</th><th>Error Description</th><th>More information</th></tr>\n"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
CAT = duplicate("ProxyAddresses", "smtp:cat@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"


def _report(table: str) -> Report | Rejected:
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    return parse_message(_email(html, AT, "rev61-d8@x"), "x.eml", None)


@pytest.mark.parametrize("rowspan", ["3", "0"])
def test_rows_under_a_note_merged_down_the_last_column_are_read(rowspan: str) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td>"
        f"<td rowspan={rowspan}>See KB 2647098</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BEN}</td></tr>\n"
        f"<tr><td>cat@contoso.com</td><td>{CAT}</td></tr>\n"
    )
    result = _report(f"<table>{HEADER}{rows}</table>")
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 8d9cbb0: [(ann, dup)] alone, complete False (8493556: all three, complete).
    assert errors == [(f"{who}@contoso.com", DUPLICATE) for who in ("ann", "ben", "cat")]
