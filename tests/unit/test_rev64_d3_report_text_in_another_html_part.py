"""Hostile review rev64 D3 (medium; at 8493556 the first part's short rows were read, under
no tenant): the newsletter guard of e17d758 asks each HTML part alone whether it looks like
a report. A message whose first HTML part is an error table of rows all left out with no
text of its own, and whose second is the report (batch-run sentence, errors sentence, a
good row), drops the first part's doubt: the report is COMPLETE with cat alone, and ann's
and ben's open tickets resolve.
"""

from __future__ import annotations

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import ANN_DUP, AT, BEN_DUP, CAT_DUP, multipart_report, report_html

HEADER_3 = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>\n"
SHORT_ROWS = (
    f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
)


def _split_report() -> bytes:
    bare = f"<html><body><table>{HEADER_3}{SHORT_ROWS}</table></body></html>"
    good = report_html("Contoso", AT, [("cat@contoso.com", CAT_DUP)])
    return multipart_report("mixed", [("html", bare), ("html", good)], "rev64-d3@x")


def test_rows_left_out_beside_another_parts_report_text_never_resolve() -> None:
    result = parse_message(_split_report(), "x.eml", None)
    assert isinstance(result, Report), result
    identities = {error.identity for error in result.errors}
    # Seen: complete True, cat alone.
    assert not result.complete or {"ann@contoso.com", "ben@contoso.com"} <= identities, (
        result.complete,
        identities,
    )
