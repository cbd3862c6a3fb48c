"""Whole messages through ``parse_message``: envelopes, encodings, trust, bad input."""

from __future__ import annotations

import base64
import gc
import quopri
import threading
from email.message import EmailMessage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import ParseSettings, parse_message
from dirsync_bridge.parse.trust import TrustPolicy

SENDER = "Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>"
SUBJECT = "Directory Synchronization Error Report"
MSG = (
    "Unable to update this object because the following attributes associated with this object "
    "have values that may already be associated with another object in your local directory "
    "services: [ProxyAddresses SMTP:jos\u00e9@contoso.com,"
    "smtp:jose@contoso.mail.onmicrosoft.com;]. "
    "Correct or remove the duplicate values in your local directory."
)
HTML = (
    "<html><body><p>The Directory Synchronization batch run was completed on Tuesday, 24 "
    "November 2015 10:00:00 GMT for tenant Soci\u00e9t\u00e9 G\u00e9n\u00e9rale &amp; Co.</p>"
    "<table><tr><th>Identity</th><th>Error Description</th></tr>"
    f"<tr><td>jos\u00e9@contoso.com</td><td>{MSG}</td></tr></table></body></html>"
)
FORWARDERS = TrustPolicy(forwarders=("it-admin@contoso.com",))


def _headers(msg: EmailMessage | MIMEMultipart | MIMEText, sender: str = SENDER) -> None:
    msg["From"] = sender
    msg["To"] = "admin@contoso.com"
    msg["Subject"] = SUBJECT
    msg["Date"] = "Tue, 24 Nov 2015 11:00:00 +0100"
    msg["Message-ID"] = "<report-1@microsoftonline.com>"


def _report(body: bytes, charset: str, cte: str, subtype: str = "html") -> bytes:
    head = (
        f"From: {SENDER}\r\nTo: admin@contoso.com\r\nSubject: {SUBJECT}\r\n"
        "Date: Tue, 24 Nov 2015 11:00:00 +0100\r\nMessage-ID: <r@x>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/{subtype}; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n"
    )
    return head.encode("ascii") + body


def _ok(raw: bytes, trust: TrustPolicy | None = None) -> Report:
    result = parse_message(raw, "t.eml", trust)
    assert isinstance(result, Report), getattr(result, "reason", None)
    return result


@pytest.mark.parametrize("charset", ["utf-8", "iso-8859-1", "windows-1252"])
@pytest.mark.parametrize("cte", ["8bit", "quoted-printable", "base64"])
def test_transfer_encodings_and_charsets_give_the_same_report(charset: str, cte: str) -> None:
    text = HTML.encode(charset)
    body = {
        "8bit": text,
        "quoted-printable": quopri.encodestring(text),
        "base64": base64.encodebytes(text),
    }[cte]
    report = _ok(_report(body, charset, cte))
    assert report.tenant == "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale & Co"
    [error] = report.errors
    assert error.identity == "jos\u00e9@contoso.com"
    assert error.conflicts[0].values == (
        "SMTP:jos\u00e9@contoso.com",
        "smtp:jose@contoso.mail.onmicrosoft.com",
    )
    assert report.sent_at is not None and report.sent_at.isoformat() == "2015-11-24T10:00:00+00:00"


def test_quoted_printable_soft_break_inside_a_value_is_joined() -> None:
    html = HTML.replace("\u00e9", "e").encode("ascii")
    cut = html.index(b"contoso.mail") + 4
    body = html[:cut] + b"=\r\n" + html[cut:]
    report = _ok(_report(body, "us-ascii", "quoted-printable"))
    assert report.errors[0].conflicts[0].values[1] == "smtp:jose@contoso.mail.onmicrosoft.com"


def test_windows_1252_curly_apostrophe_declared_as_ascii_is_kept() -> None:
    text = (
        "The following errors occurred during synchronization:\n\nSynchronization has been "
        "stopped. The company has exceeded the number of objects that can be synchronized. "
        "Contact Technical Support and ask for an increase in your company\x92s quota..\n"
    ).encode("latin-1")
    report = _ok(_report(text, "us-ascii", "8bit", "plain"))
    assert report.errors[0].message.endswith("company\u2019s quota..")


def test_encoded_subject_and_date_suffix() -> None:
    raw = _report(HTML.encode(), "utf-8", "8bit").replace(
        f"Subject: {SUBJECT}".encode(),
        b"Subject: =?utf-8?B?"
        + base64.b64encode(f"{SUBJECT}: Tuesday, 24 November 2015 10:00:00 GMT".encode())
        + b"?=",
    )
    assert _ok(raw).subject == f"{SUBJECT}: Tuesday, 24 November 2015 10:00:00 GMT"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "empty"),
        (b"\r\n  \n", "empty"),
        (bytes(range(256)) * 4, "not-email"),
        (b"\x00\xff\xfe binary \x89PNG\r\n\x1a\n", "not-email"),
    ],
)
def test_bad_input_is_rejected_with_a_code(raw: bytes, code: str) -> None:
    result = parse_message(raw, "bad.eml")
    assert isinstance(result, Rejected)
    assert result.code == code
    assert "\n" not in result.reason


def test_oversized_message_is_rejected_before_parsing() -> None:
    raw = _report(HTML.encode(), "utf-8", "8bit")
    result = parse_message(raw, "big.eml", settings=ParseSettings(max_message_bytes=len(raw) - 1))
    assert isinstance(result, Rejected) and result.code == "too-large"


def test_spoofed_display_name_is_not_trusted() -> None:
    raw = _report(HTML.encode(), "utf-8", "8bit").replace(
        b"<MSOnlineServicesTeam@MicrosoftOnline.com>", b"<msonlineservicesteam@micros0ftonline.com>"
    )
    result = parse_message(raw, "spoof.eml")
    assert isinstance(result, Rejected) and result.code == "untrusted-sender"
    assert result.sender == "msonlineservicesteam@micros0ftonline.com"


def test_report_from_trusted_sender_with_other_subject_is_not_a_report() -> None:
    raw = _report(HTML.encode(), "utf-8", "8bit").replace(SUBJECT.encode(), b"Your subscription")
    result = parse_message(raw, "x.eml")
    assert isinstance(result, Rejected) and result.code == "not-a-report"


def test_trusted_sender_without_report_content_is_not_a_report() -> None:
    result = parse_message(_report(b"<p>Welcome!</p>", "utf-8", "8bit"), "x.eml")
    assert isinstance(result, Rejected) and result.code == "not-a-report"


def test_missing_and_multiple_from_are_rejected() -> None:
    raw = _report(HTML.encode(), "utf-8", "8bit")
    no_from = raw.replace(f"From: {SENDER}\r\n".encode(), b"")
    both = raw.replace(b"To:", b"From: other@example.com\r\nTo:", 1)
    for variant in (no_from, both):
        result = parse_message(variant, "x.eml")
        assert isinstance(result, Rejected) and result.code == "untrusted-sender"


def _attached_forward(forwarder: str) -> bytes:
    inner = MIMEText(HTML, "html", "utf-8")
    _headers(inner)
    outer = MIMEMultipart("mixed")
    outer["From"] = forwarder
    outer["To"] = "dirsync@contoso.com"
    outer["Subject"] = "FW: " + SUBJECT
    outer["Date"] = "Wed, 25 Nov 2015 09:00:00 +0000"
    outer["Message-ID"] = "<fw-1@contoso.com>"
    outer.attach(MIMEText("See attached.", "plain"))
    outer.attach(MIMEMessage(inner))
    return outer.as_bytes()


def test_attached_forward_from_a_configured_forwarder_is_the_inner_report() -> None:
    report = _ok(_attached_forward("IT Admin <it-admin@contoso.com>"), FORWARDERS)
    assert report.message_id == "<report-1@microsoftonline.com>"
    assert report.sender == "msonlineservicesteam@microsoftonline.com"
    assert report.sent_at is not None and report.sent_at.hour == 10
    assert len(report.errors) == 1


def test_attached_forward_from_a_stranger_is_rejected() -> None:
    result = parse_message(_attached_forward("stranger@example.net"), "fw.eml", FORWARDERS)
    assert isinstance(result, Rejected) and result.code == "untrusted-forwarder"


def test_attached_forward_of_a_spoofed_report_is_rejected() -> None:
    raw = _attached_forward("it-admin@contoso.com").replace(
        b"MSOnlineServicesTeam@MicrosoftOnline.com", b"evil@example.net"
    )
    result = parse_message(raw, "fw.eml", FORWARDERS)
    assert isinstance(result, Rejected) and result.code == "untrusted-sender"


def test_inline_forward_from_a_configured_forwarder() -> None:
    text = (
        "FYI, please look.\n\n---------- Forwarded message ---------\n"
        f"From: {SENDER}\nDate: Tue, Nov 24, 2015 at 10:00 AM\nSubject: {SUBJECT}\n"
        "To: <admin@contoso.com>\n\nThe following errors occurred during synchronization:\n\n"
        f"jose@contoso.com\n\n{MSG}\n"
    )
    msg = MIMEText(text, "plain", "utf-8")
    _headers(msg, "it-admin@contoso.com")
    del msg["Subject"]
    msg["Subject"] = "Fwd: " + SUBJECT
    report = _ok(msg.as_bytes(), FORWARDERS)
    assert report.subject == SUBJECT
    assert report.sender == "msonlineservicesteam@microsoftonline.com"
    assert [e.identity for e in report.errors] == ["jose@contoso.com"]
    result = parse_message(msg.as_bytes(), "fw.eml")
    assert isinstance(result, Rejected) and result.code == "untrusted-forwarder"


def test_dmarc_fail_rejects_a_report_from_a_trusted_address() -> None:
    raw = b"Authentication-Results: mx.contoso.com; dmarc=fail header.from=microsoftonline.com\r\n"
    result = parse_message(raw + _report(HTML.encode(), "utf-8", "8bit"), "x.eml")
    assert isinstance(result, Rejected) and result.code == "authentication-failed"


def test_require_authenticated_rejects_a_report_without_results() -> None:
    result = parse_message(
        _report(HTML.encode(), "utf-8", "8bit"), "x.eml", TrustPolicy(require_authenticated=True)
    )
    assert isinstance(result, Rejected) and result.code == "unauthenticated"


def test_plain_text_alternative_is_used_when_html_has_no_table() -> None:
    msg = MIMEMultipart("alternative")
    _headers(msg)
    msg.attach(
        MIMEText(f"The following errors occurred during synchronization:\n\na@x.com\n\n{MSG}\n")
    )
    msg.attach(MIMEText("<p>See the text part.</p>", "html"))
    assert [e.identity for e in _ok(msg.as_bytes()).errors] == ["a@x.com"]


def test_the_collector_is_left_on_while_other_threads_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # The mailbox downloads ahead in worker threads while a message is parsed: a process-wide
    # collector switch thrown then would stop their collector too.
    switched: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: switched.append("disable"))
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        _ok(_report(HTML.encode(), "utf-8", "8bit"))
    finally:
        release.set()
        worker.join()
    assert switched == []
    assert gc.isenabled()


def test_an_xhtml_report_with_an_xml_declaration_naming_its_encoding_is_parsed() -> None:
    # Was read as an empty body (lxml refuses an encoding declaration in a str): not-a-report.
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n' + HTML.replace(
        "<html>", '<html xmlns="http://www.w3.org/1999/xhtml">'
    )
    report = _ok(_report(quopri.encodestring(xhtml.encode()), "utf-8", "quoted-printable"))
    assert [e.identity for e in report.errors] == ["jos\u00e9@contoso.com"]
    assert report.tenant == "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale & Co"


def test_a_charset_that_fails_past_the_first_piece_reads_the_whole_body_in_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Declared UTF-8, but a windows-1252 apostrophe sits past the first piece decoded: the
    # whole body is read again as windows-1252, as when it was decoded whole.
    monkeypatch.setattr("dirsync_bridge.parse.mime._PIECE_BYTES", 64)
    body = HTML.replace("</table>", "</table><p>the company\u2019s quota</p>")
    report = _ok(_report(body.encode("windows-1252"), "utf-8", "8bit"))
    assert report.tenant == "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale & Co"
    assert [e.identity for e in report.errors] == ["jos\u00e9@contoso.com"]
