"""Hostile review rev61 D2 (not a regression: misread at 8493556 too, differently): a header
row with a spanning cell is laid out (rev60 D8) and a role is given the FIRST column under
its cell. A browser shows a role's header over all the columns it spans; when the first of
them holds an icon or nothing (``<th colspan=2>Error Description</th>`` over an empty
status column and the message), the role is read from that one: ann's duplicate is read as
an empty Unknown error, or every error filed under the icon's text as its identity, each
with the report complete (her duplicate's ticket resolves as absent while it is there).
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import (
    ANN_DUP,
    CAT_DUP,
    DUPLICATE_KIND,
    errors_of,
    parse_html,
    table_report,
)

CASES = {
    "message-over-an-empty-column": (
        "<tr><th>Identity</th><th colspan=2>Error Description</th></tr>\n"
        f"<tr><td>ann@contoso.com</td><td></td><td>{ANN_DUP}</td></tr>\n"
        f"<tr><td>cat@contoso.com</td><td></td><td>{CAT_DUP}</td></tr>\n"
    ),
    "identity-over-an-icon-column": (
        "<tr><th colspan=2>Identity</th><th>Error Description</th></tr>\n"
        f"<tr><td>!</td><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
        f"<tr><td>!</td><td>cat@contoso.com</td><td>{CAT_DUP}</td></tr>\n"
    ),
}


@pytest.mark.parametrize("rows", CASES.values(), ids=CASES.keys())
def test_a_role_over_several_columns_is_never_read_from_a_filler_column_complete(
    rows: str,
) -> None:
    result = parse_html(table_report(rows, ""), "rev61-d2@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    wanted = [("ann@contoso.com", DUPLICATE_KIND), ("cat@contoso.com", DUPLICATE_KIND)]
    # Seen at 8d9cbb0: [(ann, Unknown), (cat, Unknown)] or [("!", dup), ("!", dup)], complete.
    assert errors == wanted or result.complete is False, errors
