"""Hostile review rev64 D2 (high, same premise as rev63 D2; a regression from 8493556, which
read the short rows): e17d758 keeps an HTML part's rows left out (``unsure_rows``) only when
the part's text "looks like a report" (errors sentence or batch-run sentence found). That
text is what is left once the error tables are out: a report whose batch-run and errors
sentences sit INSIDE its error table (a ``<caption>``, or spanning title rows above the
header) looks like no report, its rows left out are dropped, and a plain part that reads
rows wins COMPLETE: a row the plain part lacks (ben) resolves as absent. Alone, the same
HTML is refused as not a report (at 8493556 read with both rows).
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import ANN_DUP, BEN_DUP, multipart_report

BATCH = (
    "The Directory Synchronization batch run was completed on Wednesday, 01 January 2020 "
    "00:00:00 GMT for tenant Contoso."
)
ERRORS = "The following errors occurred during synchronization:"
HEADER_3 = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>\n"
SHORT_ROWS = (
    f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
)
PLAIN_WITHOUT_BEN = f"Hello,\n\n{BATCH}\n\n{ERRORS}\n\nann@contoso.com\n\n{ANN_DUP}\n"


def _message(html: str) -> bytes:
    parts = [("plain", PLAIN_WITHOUT_BEN), ("html", html)]
    return multipart_report("alternative", parts, "rev64-d2@x")


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(
            f"<html><body><table><caption>{BATCH} {ERRORS}</caption>{HEADER_3}{SHORT_ROWS}"
            "</table></body></html>",
            id="caption",
        ),
        pytest.param(
            f"<html><body><table><tr><td colspan=3>{BATCH}</td></tr>"
            f"<tr><td colspan=3>{ERRORS}</td></tr>{HEADER_3}{SHORT_ROWS}</table></body></html>",
            id="title-rows",
        ),
    ],
)
def test_rows_left_out_under_report_text_in_the_table_never_resolve(html: str) -> None:
    result = parse_message(_message(html), "x.eml", None)
    assert isinstance(result, Report), result
    identities = {error.identity for error in result.errors}
    # Seen: complete True, ann alone (ben's open ticket would resolve).
    assert not result.complete or "ben@contoso.com" in identities, (result.complete, identities)
