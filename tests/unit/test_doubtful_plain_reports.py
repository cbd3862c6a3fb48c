"""A plain-text report with a row whose object went unread is read as incomplete.

Review rev48 found plain-text shapes whose object error ends up naming no object (an identity
and its message in one paragraph, a blank line missing, an identity of a shape the guess does
not know after another). Read as complete, such a report resolved the object's own open
ticket as absent. Now any such row makes the report incomplete: its named rows are ticketed,
nothing is resolved by what it leaves out. (That the row was filed "(tenant-level)" is
rev48's other finding, fixed: ``test_rev48_plain_paragraphs.py``.)
"""

from __future__ import annotations

from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import (
    AT,
    NOT_FOUND,
    QUOTA,
    _email,
    duplicate,
    parse_plain,
    plain_head,
    report_email,
    report_html,
)
from ..reportgen import PLAIN_INTRO as INTRO
from ..reportgen import PROXY_DUP as DUP


def _report(body: str) -> Report:
    result = parse_plain(body, "doubt@x.test")
    assert isinstance(result, Report), result
    return result


@pytest.mark.parametrize(
    "body",
    [
        INTRO + "ann@contoso.com\n" + DUP + "\n",
        INTRO + "ann@contoso.com\n\t" + DUP + "\n",
        INTRO.removesuffix("\n\n") + "\n" + "ann@contoso.com\n\n" + DUP + "\n\nben@contoso.com"
        "\n\n" + NOT_FOUND + "\n",
        INTRO + "ben@contoso.com\n\n" + NOT_FOUND + "\nann@contoso.com\n\n" + DUP + "\n",
        INTRO + "ben@contoso.com\n\nAnn Akers\n\n" + DUP + "\n",
    ],
    ids=[
        "identity-and-message-in-one-paragraph",
        "message-tab-indented-under-its-identity",
        "glued-to-the-errors-sentence",
        "glued-to-the-error-before",
        "unknown-shape-after-an-identity",
    ],
)
def test_a_report_with_a_row_whose_object_went_unread_resolves_nothing(body: str) -> None:
    report = _report(body)
    # Was: complete, so the object's own open ticket resolved as absent (rev48).
    assert report.complete is False, [(e.identity, e.kind) for e in report.errors]


def test_its_named_rows_are_still_read() -> None:
    report = _report(INTRO + "ben@contoso.com\n\n" + NOT_FOUND + "\nann@contoso.com\n\n" + DUP)
    assert ("ben@contoso.com", "UserIdNotFound") in [(e.identity, e.kind) for e in report.errors]


@pytest.mark.parametrize(
    "body",
    [
        INTRO + "ann@contoso.com\n\n" + DUP + "\n\nben@contoso.com\n\n" + NOT_FOUND + "\n",
        INTRO + QUOTA + "\n",
        INTRO + "Identity\tError Description\nann@contoso.com\t" + DUP + "\n",
    ],
    ids=["named-paragraphs", "the-quota-alone", "a-tab-table"],
)
def test_a_report_whose_every_row_names_its_object_stays_complete(body: str) -> None:
    assert _report(body).complete is True


def test_the_errors_sentence_followed_by_no_row_is_refused() -> None:
    result = parse_message(
        plain_head("doubt@x.test") + (INTRO + "Thank you,\n").encode().replace(b"\n\n", b"\n"),
        "x",
        None,
    )
    assert isinstance(result, Rejected), result
    assert result.code == "not-a-report" and "followed by no error row" in result.detail


def test_an_html_report_with_an_empty_error_table_is_a_complete_report_of_no_errors() -> None:
    raw = report_email("Contoso", AT, [], "empty@x")
    result = parse_message(raw, "x.eml", None)
    # Since 7232bbb: refused, its text's errors sentence "followed by no error row read";
    # a tenant's report of no errors then resolved nothing (test_replay's superseded ticket).
    assert isinstance(result, Report), result
    assert result.complete is True and not result.errors


def _empty_table_html() -> str:
    return report_html("Contoso", AT, [])


def test_an_error_table_whose_row_holds_a_nested_table_is_not_a_report_of_no_errors() -> None:
    err = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
    html = _empty_table_html().replace(
        "</tr>\n</table>",
        f"</tr>\n<tr><td>ann@contoso.com</td><td><table><tr><td>{err}</td></tr></table></td>"
        "</tr></table>",
    )
    result = parse_message(_email(html, AT, "g@x"), "x", None)
    # At fb25cf0 (review rev54): a complete report of no errors, resolving every problem;
    # at 252afde refused. Since rev54 G6 the row is read, its message the nested cell's text.
    assert isinstance(result, Report), result
    assert [(e.identity, e.kind) for e in result.errors] == [
        ("ann@contoso.com", "AttributeValueMustBeUnique")
    ]


def test_an_empty_html_table_beside_a_quoted_plain_part_is_not_a_report_of_no_errors() -> None:
    plain = (
        "> The Directory Synchronization batch run was completed on Wednesday, 01 January 2020 "
        "00:00:00 GMT for tenant Contoso.\n> \n"
        "> The following errors occurred during synchronization:\n> \n> ann@contoso.com\n> \n> "
        + DUP
        + "\n"
    )
    message = MIMEMultipart("alternative")
    message.attach(MIMEText(plain, "plain"))
    message.attach(MIMEText(_empty_table_html(), "html"))
    message["From"] = "Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>"
    message["To"] = "admin@contoso.com"
    message["Subject"] = "Directory Synchronization Error Report"
    message["Date"] = "Wed, 01 Jan 2020 00:00:00 +0000"
    message["Message-ID"] = "<c3@x>"
    result = parse_message(message.as_bytes(), "x", None)
    # At fb25cf0 (review rev54): the HTML part's empty table won, a report of no errors.
    assert isinstance(result, Rejected), result
