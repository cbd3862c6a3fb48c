"""Hostile review rev60 D8 (regression from 8493556, high): a header row with a cell that
spans (``<th colspan=2>Error Description</th>`` over the message and a per-row link column)
is an "odd" row to ``html_spans`` and leaves the views the header is looked for in. The
first data row with a cell reading like a header name (a ``Severity`` column's ``Error``, a
``Details`` link) is then taken as the header: that row is lost, every row after it read by
its columns (message: ``Error``), filed as nameless Unknown errors, and the report complete:
ann's, ben's and cat's open tickets resolve as absent. At 8493556 every row was read under its
identity, complete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import DUPLICATE_KIND, duplicate, errors_of, parse_html, table_report

KB = '<a href="https://support.microsoft.com/kb/2647098">Details</a>'


def _rows(severity: bool) -> str:
    return "".join(
        f"<tr><td>{who}@contoso.com</td>{'<td>Error</td>' if severity else ''}"
        f"<td>{duplicate('ProxyAddresses', f'smtp:{who}@contoso.com')}</td><td>{KB}</td></tr>\n"
        for who in ("ann", "ben", "cat")
    )


@pytest.mark.parametrize("severity", [False, True], ids=["details-link", "severity-column"])
def test_a_header_cell_spanning_two_columns_stays_the_header(severity: bool) -> None:
    header = (
        "<tr><th>Identity</th>"
        + ("<th>Severity</th>" if severity else "")
        + "<th colspan=2>Error Description</th></tr>\n"
    )
    result = parse_html(table_report(_rows(severity), header), "rev60-d8@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 0677149: [(None, 'Unknown')] * 2 (ann's row the header; ben's and cat's read
    # with message 'Details' / 'Error'), complete True; at 8493556: ann, ben, cat, complete.
    assert result.complete is False or errors == [
        (f"{who}@contoso.com", DUPLICATE_KIND) for who in ("ann", "ben", "cat")
    ], errors
    assert all(identity is not None for identity, _ in errors), errors
