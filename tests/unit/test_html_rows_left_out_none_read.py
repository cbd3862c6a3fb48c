"""An HTML error table whose every row is left out though it may hold an error (rows short of
the message column, a lone spanning row) is never a report of no errors: the report is
incomplete, so nothing resolves (review rev62 D1: it read complete with no errors, resolving
every open problem of the tenant). A plain-text part of the same email that lists the rows is
still read instead, as when the HTML part has no table.
"""

from __future__ import annotations

from email.message import EmailMessage

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import ANN_DUP, AT, BEN_DUP, errors_of, html_report, parse_html

HEADER_3 = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>\n"
SHORT_ROWS = (
    f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
)
PLAIN = (
    "Hello,\n\nThe Directory Synchronization batch run was\ncompleted on "
    f"{AT.strftime('%A, %d %B %Y %H:%M:%S GMT')} for tenant Contoso.\n\n"
    "The following errors occurred during synchronization:\n\n"
    f"ann@contoso.com\n{ANN_DUP}\n\nben@contoso.com\n{BEN_DUP}\n"
)


def _alternative(plain: str, html: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>"
    message["To"] = "admin@contoso.com"
    message["Subject"] = "Directory Synchronization Error Report"
    message["Date"] = AT.strftime("%a, %d %b %Y %H:%M:%S +0000")
    message["Message-ID"] = "<left-out-none-read@x>"
    message.set_content(plain)
    message.add_alternative(html, subtype="html")
    return message.as_bytes()


def test_an_html_table_of_rows_all_left_out_is_an_incomplete_report() -> None:
    result = parse_html(html_report(f"<table>{HEADER_3}{SHORT_ROWS}</table>"), "none-read@x")
    assert isinstance(result, Report), result
    assert result.complete is False


def test_a_plain_part_listing_the_rows_is_read_when_the_html_rows_are_all_left_out() -> None:
    html = html_report(f"<table>{HEADER_3}{SHORT_ROWS}</table>")
    result = parse_message(_alternative(PLAIN, html), "x.eml", None)
    assert isinstance(result, Report), result
    kinds = errors_of(result)
    assert [identity for identity, _ in kinds] == ["ann@contoso.com", "ben@contoso.com"], kinds
