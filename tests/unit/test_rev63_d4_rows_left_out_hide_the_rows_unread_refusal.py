"""Hostile review rev63 D4 (regression from 1dbf207^, medium; at 8493556 the HTML rows were
read): ``read_body`` returns an HTML part whose rows were all left out before it looks at
the other parts' readings, so the rev54 rule ("any reading whose errors' sentence is
followed by no row read is refused") no longer runs: a message whose plain part is a
">"-quoted copy (the sentence, no row read) and whose HTML rows are all left out, refused
at 1dbf207^, is now taken as an incomplete report of NO errors. Nothing is ticketed, the
message is consumed (a later whole copy is "already seen"), and no refusal names it: the
errors it lists are lost with a log warning.
"""

from __future__ import annotations

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import ANN_DUP, AT, BEN_DUP, html_report, multipart_report

HEADER_3 = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>\n"
SHORT_ROWS = (
    f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
)
PLAIN = (
    "Hello,\n\nThe Directory Synchronization batch run was\ncompleted on "
    f"{AT.strftime('%A, %d %B %Y %H:%M:%S GMT')} for tenant Contoso.\n\n"
    "The following errors occurred during synchronization:\n\n"
    f"ann@contoso.com\n\n{ANN_DUP}\n"
)
QUOTED = "> " + PLAIN.replace("\n", "\n> ")


def _message() -> bytes:
    html = html_report(f"<table>{HEADER_3}{SHORT_ROWS}</table>")
    return multipart_report("alternative", [("plain", QUOTED), ("html", html)], "rev63-d4@x")


def test_a_quoted_plain_part_is_still_refused_beside_html_rows_all_left_out() -> None:
    result = parse_message(_message(), "x.eml", None)
    # Seen: Report(complete=False, errors=()); 1dbf207^ refused it (not-a-report), 8493556
    # read both HTML rows. Either is fine; a report of no errors, taken, is not.
    if isinstance(result, Report):
        identities = {error.identity for error in result.errors}
        assert {"ann@contoso.com", "ben@contoso.com"} <= identities, result
    else:
        assert result.code == "not-a-report", result
