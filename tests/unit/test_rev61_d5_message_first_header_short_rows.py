"""Hostile review rev61 D5 (not a regression: as at 8493556): ``html_short_rows`` finds a
short row by the message column's index, so under a message-first header (``Error
Description | Identity``, message at 0) no row is ever short. A row missing its identity
column, ``ben@contoso.com`` alone or ``ben@contoso.com <error>`` in one cell, is read as
an error naming no object whose text is the address: an Unknown ticket of the tenant,
and ben's own duplicate left out with the report complete (his ticket resolves as absent).
The same rows under ``Identity | Error Description`` are listed or left out, unsure.
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

HEADER = "<tr><th>Error Description</th><th>Identity</th></tr>\n"


@pytest.mark.xfail(strict=True, reason="rev61 D5: no short row under a message-first header")
@pytest.mark.parametrize(
    "short",
    ["<tr><td>ben@contoso.com</td></tr>\n", f"<tr><td>ben@contoso.com {BEN_DUP}</td></tr>\n"],
    ids=["identity-alone", "identity-and-error-in-one-cell"],
)
def test_a_row_missing_its_identity_column_is_never_filed_as_the_tenants_complete(
    short: str,
) -> None:
    rows = (
        f"<tr><td>{ANN_DUP}</td><td>ann@contoso.com</td></tr>\n{short}"
        f"<tr><td>{CAT_DUP}</td><td>cat@contoso.com</td></tr>\n"
    )
    result = parse_html(table_report(rows, HEADER), "rev61-d5@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 8d9cbb0: [(ann, dup), (None, Unknown), (cat, dup)], complete True.
    assert result.complete is False or ("ben@contoso.com", DUPLICATE_KIND) in errors, errors
    assert (None, "Unknown") not in errors or result.complete is False, errors
