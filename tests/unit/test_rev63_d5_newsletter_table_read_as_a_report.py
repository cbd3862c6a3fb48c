"""Hostile review rev63 D5 (regression from 1dbf207^, low; at 8493556 worse: read as a
complete report of two junk errors): an HTML body that is no report (no batch-run sentence,
no tenant, no errors sentence) but whose table has a header the reader takes for an error
table and rows short of it is now returned by ``read_body`` with ``has_error_section`` set,
so ``_report`` takes it for an incomplete report of no errors with no tenant, where
1dbf207^ refused it as not a report ("the body holds no error table or report text").
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Rejected

from ..reportgen import parse_html

NEWSLETTER = (
    "<html><body><h1>Monthly newsletter</h1><table>"
    "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>"
    "<tr><td>ann@contoso.com</td><td>Team lead</td></tr>"
    "<tr><td>ben@contoso.com</td><td>New hire</td></tr></table></body></html>"
)


@pytest.mark.xfail(
    strict=True,
    reason="rev63 D5: a table of rows left out is doubt whatever the text around it says "
    "(rev64 D2, D3: report text inside the table or in another part): read as an incomplete "
    "report of no errors, not refused",
)
def test_a_table_of_short_rows_with_no_report_text_is_not_a_report() -> None:
    result = parse_html(NEWSLETTER, "rev63-d5@x")
    # Seen: Report(tenant=None, complete=False, errors=[]).
    assert isinstance(result, Rejected), result
    assert result.code == "not-a-report"
