"""Hostile review rev63 D3 (high; at 8493556 the first part's rows were read, the second's
dropped): in a multipart/mixed message with two HTML bodies, the first an error table whose
rows were all left out (``unsure_rows``), the second a table that reads rows, ``read_body``
sets the first aside and returns the second as soon as it reads rows: the report is
COMPLETE without the first part's rows, so their objects' open tickets resolve. Claim (1)
of 1dbf207 lets only a later PLAIN part win; a later HTML part wins too, and the doubt is
dropped.
"""

from __future__ import annotations

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import ANN_DUP, AT, BEN_DUP, CAT_DUP, html_report, multipart_report, report_html

HEADER_3 = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>\n"
SHORT_ROWS = (
    f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
)


def _two_html_bodies() -> bytes:
    unsure = html_report(f"<table>{HEADER_3}{SHORT_ROWS}</table>")
    good = report_html("Contoso", AT, [("cat@contoso.com", CAT_DUP)])
    return multipart_report("mixed", [("html", unsure), ("html", good)], "rev63-d3@x")


def test_an_html_part_of_rows_left_out_is_never_resolved_by_a_later_html_part() -> None:
    result = parse_message(_two_html_bodies(), "x.eml", None)
    assert isinstance(result, Report), result
    identities = {error.identity for error in result.errors}
    # Seen: complete True, cat alone (ann's and ben's open tickets would resolve).
    assert not result.complete or {"ann@contoso.com", "ben@contoso.com"} <= identities, (
        result.complete,
        identities,
    )
