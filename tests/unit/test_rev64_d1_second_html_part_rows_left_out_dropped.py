"""Hostile review rev64 D1 (medium; not a regression: at 8493556 the second part was dropped
too, its rows read or not): ``read_body`` returns the FIRST HTML part that reads rows, and
only the ``unsure_rows`` of HTML parts before it go with it. A message whose first HTML body
is a good error table and whose second is an error table of rows all left out (short rows)
reads as a COMPLETE report of the first part's rows: the second part's objects' open tickets
resolve. e17d758 added the doubt of earlier parts only (rev63 noticed this order). The same
holds for a second part's rows read well (a body split in two HTML parts, as Apple Mail
splits one around an inline image): dan's row is dropped and the report is complete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import ANN_DUP, AT, BEN_DUP, CAT_DUP, html_report, multipart_report, report_html

HEADER_3 = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>\n"
SHORT_ROWS = (
    f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
)


CONTINUATION = (
    "<html><body><table><tr><th>Identity</th><th>Error Description</th></tr>"
    f"<tr><td>dan@contoso.com</td><td>{BEN_DUP}</td></tr></table></body></html>"
)


def _good_then(second: str) -> bytes:
    good = report_html("Contoso", AT, [("cat@contoso.com", CAT_DUP)])
    return multipart_report("mixed", [("html", good), ("html", second)], "rev64-d1@x")


@pytest.mark.xfail(
    strict=True,
    reason="rev64 D1: a later HTML part's rows (left out, or read) are dropped when an earlier "
    "HTML part reads rows (the report complete)",
)
@pytest.mark.parametrize(
    ("second", "listed"),
    [
        pytest.param(
            html_report(f"<table>{HEADER_3}{SHORT_ROWS}</table>"),
            {"ann@contoso.com", "ben@contoso.com"},
            id="rows-left-out",
        ),
        pytest.param(CONTINUATION, {"dan@contoso.com"}, id="rows-read"),
    ],
)
def test_rows_of_a_later_html_part_never_resolve_as_absent(second: str, listed: set[str]) -> None:
    result = parse_message(_good_then(second), "x.eml", None)
    assert isinstance(result, Report), result
    identities = {error.identity for error in result.errors}
    # Seen: complete True, cat alone (the second part's objects' open tickets would resolve).
    assert not result.complete or listed <= identities, (
        result.complete,
        identities,
    )
