"""Hostile review rev64 D6 (low: no ticket opens or resolves; not a regression from 8493556,
which read the rows as a COMPLETE report): the newsletter guard of e17d758 (rev63 D5) takes
an HTML table of short rows for a report's rows left out once the part's text holds an
errors sentence or a batch-run sentence ANYWHERE. A newsletter whose footer says "If any of
the following errors occurred, ..." (or carries a batch-run sentence) is read again as an
incomplete report of no errors, of no tenant, instead of refused as not a report.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Rejected

from ..reportgen import parse_html

NEWSLETTER = (
    "<html><body><h1>Monthly newsletter</h1><table>"
    "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>"
    "<tr><td>ann@contoso.com</td><td>Team lead</td></tr>"
    "<tr><td>ben@contoso.com</td><td>New hire</td></tr></table>"
    "<p>If any of the following errors occurred on your device, call the helpdesk.</p>"
    "</body></html>"
)


@pytest.mark.xfail(
    strict=True,
    reason="rev64 D6: an errors sentence in a newsletter's footer passes the newsletter guard "
    "(read as an incomplete report of no tenant)",
)
def test_a_footer_sentence_never_makes_a_table_of_short_rows_a_report() -> None:
    result = parse_html(NEWSLETTER, "rev64-d6@x")
    # Seen: Report(tenant=None, complete=False, errors=[]).
    assert isinstance(result, Rejected), result
    assert result.code == "not-a-report"
