"""Cut-short mail both ways (rev26): whole mail never refused, cut mail never a report.

False positives: a genuine, complete report rejected ``truncated`` is never ticketed.
False negatives: a cut report taken as a complete one makes its missing rows absences, and
the whole message, read later, is "already seen". Only what the format proves is a cut: a
missing closing boundary, a base64 group left incomplete, an HTML document without its
``</body>``/``</html>``, an HTML fragment ending inside a table (``parse/cuts.py``).
"""

from __future__ import annotations

import base64
import quopri
import re

import pytest

from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.parse.trust import TrustPolicy

from ..conftest import REPORTS

EXTRA = (REPORTS / "aadconnect_extra_columns.eml").read_bytes()
ALT = (REPORTS / "aadsync_multipart_alternative.eml").read_bytes()
TH_THEAD = (REPORTS / "aadsync_th_thead.eml").read_bytes()
BASE64_HTML = (REPORTS / "aadconnect_base64_html.eml").read_bytes()
FORWARD = (REPORTS / "forward_attached_rfc822.eml").read_bytes()
HEAD, BODY = re.split(rb"\r?\n\r?\n", EXTRA, maxsplit=1)
FORWARDERS = TrustPolicy(forwarders=("it-admin@contoso.com",))


def _code(raw: bytes, trust: TrustPolicy | None = None) -> str:
    result = parse_message(raw, "x.eml", trust)
    if isinstance(result, Rejected):
        return result.code
    return f"parsed:{len(result.errors)}"


# ---------------------------------------------------------------------------------------
# False positives
# ---------------------------------------------------------------------------------------


def _alt_with_html_unclosed() -> bytes:
    """The multipart/alternative fixture, whole (its closing boundary is there), but its
    HTML part is a sloppy fragment: the table and the document never closed."""
    i = ALT.index(b"</table>")
    j = ALT.index(b"--_000_", i)
    return ALT[:i] + b"\r\n" + ALT[j:]


def test_complete_multipart_whose_html_never_closes_its_table_is_not_truncated() -> None:
    # Was (rev26): the closing boundary proves the message arrived whole, and the
    # text/plain alternative holds every row; still rejected ``truncated`` (was: parsed, the
    # last HTML row dropped). No rerun brings other bytes: the report is never ticketed.
    raw = _alt_with_html_unclosed()
    assert raw.rstrip().endswith(b"--_000_CO2PR05MB6011BEEF0123456789ABCD_--")
    assert _code(ALT) == "parsed:3"
    assert _code(raw) != "truncated"


def test_complete_multipart_whose_plain_alternative_base64_lacks_padding() -> None:
    # Was (rev26): HTML whole, closing boundary there; only the text/plain alternative's
    # base64 was written without its '=' padding (a sender quirk, no byte lost): rejected.
    start = ALT.index(b"Content-Type: text/plain")
    found = re.search(rb"\r?\n\r?\n", ALT[start:])
    assert found is not None
    body = start + found.end()
    end = ALT.index(b"--_000_", body)
    text = quopri.decodestring(ALT[body:end])
    encoded = base64.encodebytes(text).rstrip(b"\n")
    assert encoded.endswith(b"=")
    head = ALT[start:body].replace(b"quoted-printable", b"base64")
    raw = ALT[:start] + head + encoded.rstrip(b"=") + b"\r\n\r\n" + ALT[end:]
    assert _code(raw) == "parsed:3"


def _fragment() -> bytes:
    """The extra-columns report as a fragment (no <html>, no <body>: sent whole so)."""
    head, body = re.split(rb"\r?\n\r?\n", EXTRA, maxsplit=1)
    inner = body[body.index(b"<body>") + len(b"<body>") : body.index(b"</body>")]
    return head + b"\r\n\r\n" + inner


def test_a_fragment_with_a_comment_mentioning_a_table_after_its_table_is_whole() -> None:
    # A comment after the closed table ("<!-- <table> -->", or Outlook's conditional
    # comments "<!--[if mso]><tr>...") opens no table: was taken for a cut.
    fragment = _fragment()
    assert _code(fragment) == "parsed:3"
    assert _code(fragment + b"<!-- <table> layout removed -->\r\n") == "parsed:3"
    assert _code(fragment + b"<!--[if mso]><tr><td></td></tr><![endif]-->\r\n") == "parsed:3"
    # Cut inside a table of a fragment: still seen.
    assert _code(fragment[: fragment.rindex(b"<tr>") + 10]) == "truncated"


def test_a_document_cut_after_its_table_closed_is_truncated() -> None:
    # The same body as a document (it opened <body>) cut after its table: it never reached
    # </body>, so a later table or row may be missing.
    assert _code(EXTRA[: EXTRA.index(b"</body>")]) == "truncated"


@pytest.mark.parametrize(
    "variant",
    ["epilogue", "closing-whitespace", "crlf", "lf", "no-final-newline", "uppercase-end"],
)
def test_complete_shapes_are_parsed(variant: str) -> None:
    # Found nothing: these complete shapes parse whole.
    lf = ALT.replace(b"\r\n", b"\n")
    raw = {
        "epilogue": ALT + b"\r\nan epilogue holding <table> and <tr>\r\n",
        "closing-whitespace": ALT.rstrip() + b" \t\r\n",
        "crlf": lf.replace(b"\n", b"\r\n"),
        "lf": lf,
        "no-final-newline": ALT.rstrip(),
        "uppercase-end": EXTRA.replace(b"</table>", b"").replace(b"</body>", b"</BODY>"),
    }[variant]
    assert _code(raw).startswith("parsed:")


def test_base64_with_spaces_and_odd_line_lengths_is_parsed() -> None:
    # Found nothing: base64 lines of odd lengths, trailing spaces, a stray character.
    head, body = re.split(rb"\r?\n\r?\n", EXTRA, maxsplit=1)
    head = head.replace(b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: base64")
    flat = base64.b64encode(body)
    lines = [flat[i : i + 57] + b" " for i in range(0, len(flat), 57)]
    assert _code(head + b"\r\n\r\n" + b"\r\n".join(lines) + b"\r\n") == "parsed:3"


def _result(raw: bytes, trust: TrustPolicy | None = None) -> str:
    result = parse_message(raw, "x.eml", trust)
    if isinstance(result, Rejected):
        return f"{result.code}: {result.detail}"
    return f"parsed:{len(result.errors)}"


def _with_body(body: bytes, head: bytes = HEAD) -> bytes:
    return head + b"\n\n" + body


@pytest.mark.parametrize(
    "footer",
    [
        b"\r\n-- \r\nScanned by MailGuard.\r\n",
        b"\r\nThis email has been scanned for viruses.\r\n",  # a group one character long
        b"\r\nDISCLAIMER: confidential\r\n",
    ],
)
def test_a_gateway_footer_appended_after_a_whole_base64_html_body_is_no_cut(footer: bytes) -> None:
    # Review rev28, 1: a single-part base64 text/html report, whole (its HTML reaches
    # </body></html>), and a footer a mail gateway appended as plain text after the base64
    # block. Was: rejected "the text/html part's base64 ends in an incomplete group", every
    # time (no rerun brings other bytes): the report never ticketed. A document that closed
    # lost nothing; the footer's groups decode to junk after </html>.
    assert _result(BASE64_HTML) == "parsed:2"
    assert _result(BASE64_HTML + footer) == "parsed:2"


def test_a_base64_html_body_cut_one_character_into_a_group_is_still_truncated() -> None:
    # The stdlib gives up on such a body (its base64 returned undecoded): its whole groups
    # are read, the document has not closed, so the base64 sign still counts.
    body = re.search(rb"\r?\n\r?\n", BASE64_HTML)
    assert body is not None
    at = body.end() + 4 * 40 + 1
    assert _result(BASE64_HTML[:at]).startswith("truncated: the text/html part's base64")
    # Near the end (before </body> decodes): still cut, whatever the group.
    for at in range(len(BASE64_HTML) - 40, len(BASE64_HTML) - 30):
        assert _result(BASE64_HTML[:at]).startswith("truncated:"), at


def test_an_attached_report_whose_html_omits_its_closing_tags_in_a_whole_multipart() -> None:
    # Review rev28, 4: the outer closing boundary is there, so the attached message arrived
    # whole too. Was: rejected, its HTML document never closed.
    assert _result(FORWARD, FORWARDERS).startswith("parsed:")
    raw = FORWARD.replace(b"</body>\r\n</html>\r\n", b"")
    assert raw != FORWARD
    assert raw.rstrip().endswith(b"--_002_DM6PR05MB5210FWD0123456789_--")
    assert _result(raw, FORWARDERS).startswith("parsed:")
    # Without the outer closing boundary, the same forward is cut.
    assert _result(raw[: raw.rindex(b"--_002_")], FORWARDERS).startswith("truncated:")


def test_a_fragment_whose_head_comment_names_body_parses() -> None:
    # Review rev28, 5: a fragment (no <html>, no <body>: sent whole so) preceded by a
    # comment that names <body>, as HTML editors write. Was: taken for a document that
    # never closed, rejected.
    inner = BODY[BODY.index(b"<body>") + len(b"<body>") : BODY.index(b"</body>")]
    fragment = b"<!-- copied from the <body> of the report -->\n" + inner
    assert _result(_with_body(inner)).startswith("parsed:")
    assert _result(_with_body(fragment)).startswith("parsed:")


def test_a_fragment_with_a_style_or_script_naming_tags_parses() -> None:
    inner = BODY[BODY.index(b"<body>") + len(b"<body>") : BODY.index(b"</body>")]
    style = b"<style><!-- body { margin:0 } --></style>\n"
    script = b'<script>document.write("<body><table><tr>")</script>\n'
    for fragment in (style + inner, script + inner, inner + script):
        assert _result(_with_body(fragment)) == "parsed:3", fragment[:60]


# Closing tags as senders and gateways write them.
@pytest.mark.parametrize(
    "closing",
    [
        b"</BODY >\n</HTML >\n",
        b"</Body\n>\n</Html\n>\n",
        b"</body></html>",  # no final newline
        b"</body>\n</html>\n\n-- \nThis e-mail was scanned by GatewayX. Confidential.\n",
        b"</body>\n</html>\n<html><body><p>Disclaimer</p></body></html>\n",
        b"</body>\n</html>\n<table><tr><td>Disclaimer</td></tr></table>\n",
        b"</body>\n</html>\n<p>Disclaimer appended by a gateway</p>\n",
        b"</body>\n",  # </html> omitted
        b"</html>\n",  # </body> omitted
    ],
)
def test_document_closings_parse(closing: bytes) -> None:
    body = BODY[: BODY.index(b"</body>")] + closing
    assert _result(_with_body(body)).startswith("parsed:"), closing


def test_a_quoted_printable_soft_break_inside_the_closing_tags_parses() -> None:
    body = BODY.replace(b"</body>", b"</bo=\ndy>").replace(b"</html>", b"</ht=\nml>")
    head = HEAD.replace(
        b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: quoted-printable"
    )
    assert b"quoted-printable" in head
    assert _result(_with_body(body, head)).startswith("parsed:")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_html_parses(codec: str) -> None:
    encoded = base64.encodebytes(BODY.decode("utf-8").encode(codec))
    head = HEAD.replace(b'charset="utf-8"', f'charset="{codec}"'.encode()).replace(
        b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: base64"
    )
    assert _result(_with_body(encoded, head)).startswith("parsed:")


def test_a_gateway_footer_after_a_whole_quoted_printable_html_body_parses() -> None:
    qp = (REPORTS / "aadconnect_qp_html_soft_breaks.eml").read_bytes()
    base = _result(qp)
    assert base.startswith("parsed:")
    assert _result(qp + b"\r\n-- \r\nScanned by MailGuard.\r\n") == base


# ---------------------------------------------------------------------------------------
# False negatives
# ---------------------------------------------------------------------------------------


def test_a_cut_just_after_the_lt_of_the_table_tag_is_truncated() -> None:
    # Was (rev26): cut one byte into "<table" (the writer stopped after "<"), the body
    # reads as a complete report holding one error of kind Unknown whose message is "<":
    # a junk ticket, and every other open problem of the tenant an absence.
    at = TH_THEAD.index(b"<table") + 1
    result = parse_message(TH_THEAD[:at], "cut.eml")
    assert isinstance(result, Rejected), [str(e) for e in result.errors]


def test_a_cut_between_two_error_tables_is_truncated() -> None:
    # Was (rev26): tables are found by their header text, so a report may hold several;
    # cut after the first one's </table> (before the second began), it is a complete report
    # of the first table's rows: the second table's problems are absences (resolved), and
    # the whole message, read later, is "already seen".
    t0, t1 = EXTRA.index(b"<table"), EXTRA.index(b"</table>") + len(b"</table>")
    rows = re.findall(rb"<tr>.*?</tr>", EXTRA[t0:t1], re.S)
    first = EXTRA[t0:t1].replace(rows[2], b"").replace(rows[3], b"")
    second = b"<table>" + rows[0] + rows[2] + rows[3] + b"</table>"
    whole = EXTRA[:t0] + first + b"\r\n<p>More errors:</p>\r\n" + second + EXTRA[t1:]
    assert _code(whole) == "parsed:3"
    cut = whole[: whole.index(b"\r\n<p>More errors")]
    assert _code(cut) == "truncated"


def test_a_document_cut_inside_a_cell_longer_than_the_tail_window_is_truncated() -> None:
    # Was (rev26): only the last 64 Ki characters are looked at; cut inside a cell longer
    # than that, the cut row is kept as a whole error (its message cut) in a complete report.
    at = EXTRA.index(b"</td></tr>", EXTRA.index(b"<tr><td>christie.cline"))
    long = EXTRA[:at] + b" x" * 100_000 + EXTRA[at:]
    assert _code(long) == "parsed:3"
    assert _code(long[: at + 150_000]) == "truncated"


@pytest.mark.parametrize("into_the_tag", [0, 3, 5])  # before "<table", at "<ta", at "<tabl"
def test_a_cut_after_the_error_heading_is_truncated(
    into_the_tag: int,
) -> None:
    # Was a documented limit: cut after "The following errors
    # occurred during synchronization:" and before the table: a complete report of zero
    # errors (every open problem of the tenant an absence), though the heading that
    # announces errors with none after it is itself the format's sign of a cut.
    # Cut 3 or 5 bytes into "<table" (its name not yet whole) reads the same: only a tag
    # whose name is complete counts as begun.
    at = TH_THEAD.index(b"<table") + into_the_tag
    result = parse_message(TH_THEAD[:at], "cut.eml")
    assert isinstance(result, Rejected), (len(result.errors), result.complete)


@pytest.mark.parametrize(
    ("name", "trust"),
    [
        ("aadconnect_qp_html_soft_breaks", None),
        ("aadconnect_base64_html", None),
        ("aadsync_nested_layout_table", None),
        ("aadsync_multipart_alternative", None),
        ("forward_attached_rfc822", FORWARDERS),
        ("azurenoreply_iso88591_html", None),
    ],
)
def test_every_cut_from_the_table_to_its_close_is_truncated(
    name: str, trust: TrustPolicy | None
) -> None:
    # Found nothing: every 5th byte from the table's "<table" to just before the HTML's
    # "</table>" (QP soft breaks and base64 groups included) is rejected ``truncated``.
    raw = (REPORTS / f"{name}.eml").read_bytes()
    whole = _code(raw, trust)
    assert whole.startswith("parsed:")
    if name == "aadconnect_base64_html":
        start, end = re.search(rb"\r?\n\r?\n", raw).end() + 1, len(raw) - 1  # type: ignore[union-attr]
        codes = {_code(raw[:at], trust) for at in range(start, end, 5)}
        assert codes - {"truncated", "not-a-report"} <= {"parsed:0", "parsed:1", whole}
        return
    start = raw.index(b"<table") + len(b"<table")  # "<", "<ta": see the tests above
    end = raw.index(b"</table>")  # the error table's (nested: the inner one closes first)
    codes = {_code(raw[:at], trust) for at in range(start, end, 5)}
    assert codes == {"truncated"}, codes


def _nested_multipart() -> bytes:
    """multipart/related { multipart/alternative { text/plain, text/html }, image/png }."""
    from email.mime.image import MIMEImage
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    head, body = re.split(rb"\r?\n\r?\n", EXTRA, maxsplit=1)
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("see the HTML part", "plain"))
    alternative.attach(MIMEText(body.decode(), "html"))
    related = MIMEMultipart("related")
    related.attach(alternative)
    related.attach(MIMEImage(b"\x89PNG\r\n\x1a\n" + bytes(300), "png"))
    keep = [
        line
        for line in head.split(b"\r\n")
        if not line.lower().startswith((b"content-", b"mime-version"))
    ]
    return b"\r\n".join(keep) + b"\r\n" + related.as_bytes()


def test_nested_multipart_cut_after_the_inner_close_or_inside_the_image() -> None:
    # Found nothing: cut after the inner multipart's closing boundary (the HTML whole),
    # inside the image's base64, or before the outer closing boundary: ``truncated``.
    raw = _nested_multipart()
    assert _code(raw) == "parsed:3"
    inner_close = re.search(rb"\n--=+\d+==--\n", raw)
    assert inner_close is not None
    image = raw.index(b"Content-Type: image/png")
    outer_close = raw.rstrip().rindex(b"\n--")
    for at in (inner_close.end(), image + 200, outer_close):
        assert _code(raw[:at]) == "truncated", at
    # A whole image attachment with odd base64 (not the report) leaves the report alone.
    odd = raw[:image] + raw[image:].replace(b"AAAA\n", b"AAA\n", 1)
    assert odd != raw
    assert _code(odd) == "parsed:3"


def gmail_html_forward() -> bytes:
    """A Gmail inline forward (HTML fragment, as Gmail sends it) of the extra-columns report,
    from the trusted forwarder of fixtures/trust.toml."""
    body = re.split(rb"\r?\n\r?\n", EXTRA, maxsplit=1)[1]
    inner = body[body.index(b"<body>") + len(b"<body>") : body.index(b"</body>")]
    gmail = (REPORTS / "forward_inline_gmail.eml").read_bytes()
    head = re.split(rb"\r?\n\r?\n", gmail, maxsplit=1)[0].replace(b"text/plain", b"text/html")
    fragment = (
        b'<div dir="ltr">FYI<br><br><div class="gmail_quote"><div dir="ltr" '
        b'class="gmail_attr">---------- Forwarded message ---------<br>From: <strong '
        b'class="gmail_sendername" dir="auto">Microsoft Online Services Team</strong> '
        b'<span dir="auto">&lt;<a href="mailto:MSOnlineServicesTeam@MicrosoftOnline.com">'
        b"MSOnlineServicesTeam@MicrosoftOnline.com</a>&gt;</span><br>Date: Tue, Jan 3, 2012 "
        b"at 3:55 PM<br>Subject: Directory Synchronization Error Report<br>To: "
        b"&lt;sara.davis@contoso.com&gt;<br></div><br><br>" + inner + b"</div></div>\r\n"
    )
    return head + b"\r\n\r\n" + fragment


@pytest.mark.parametrize("where", ["inside-last-row", "between-rows", "after-header-row"])
def test_an_inline_html_forward_cut_inside_its_table_is_truncated(
    where: str,
) -> None:
    # Was (rev26): forwards.inline_forward builds BodyFacts(rows, rest, True) and drops
    # ``cut``: an HTML inline forward (Gmail, Outlook) cut inside its table is parsed as a
    # complete report of the rows before the cut (exit 0), exactly the rev21 bug the
    # ``truncated`` check fixed for direct and attached reports. Single-part text/html
    # forwards only: a multipart forward cut the same way loses its closing boundary and is
    # rejected (parts.cut, checked in message._parse before the inline forward is read).
    whole = gmail_html_forward()
    assert _code(whole, FORWARDERS) == "parsed:3"
    last_row = whole.rindex(b"<tr>")
    at = {
        "inside-last-row": last_row + 30,
        "between-rows": last_row,
        "after-header-row": whole.index(b"</tr>") + len(b"</tr>"),
    }[where]
    assert _code(whole[:at], FORWARDERS) == "truncated"


def _two_tables() -> bytes:
    """The report with a second error table after the first (two tables, 3 + 3 rows)."""
    start = BODY.index(b"<table")
    end = BODY.index(b"</table>") + len(b"</table>")
    second = BODY[start:end].replace(b"contoso.com", b"fabrikam.com")
    return BODY[:end] + b"\r\n<p>More errors:</p>\r\n" + second + BODY[end:]


def test_a_document_whose_head_comment_holds_a_closing_tag_cut_between_tables() -> None:
    # Review rev28, 6: an HTML editor's comment in the head holds </body></html>. Was:
    # parsed:3, the comment's </body> taken for the document's.
    body = _two_tables().replace(
        b"</head>", b"<!-- template ends with </body></html> -->\r\n</head>"
    )
    assert _result(_with_body(body)) == "parsed:6"
    cut = body[: body.index(b"<p>More errors")]
    assert _result(_with_body(cut)).startswith("truncated: the HTML document ends")


def test_a_fragment_in_a_layout_table_cut_between_its_error_tables() -> None:
    # Review rev28, 7: the layout table around the fragment is still open at the cut (a
    # table begun and never closed). Was: parsed:3.
    inner = _two_tables()
    inner = inner[inner.index(b"<body>") + len(b"<body>") : inner.index(b"</body>")]
    fragment = b'<table width="100%"><tr><td>\r\n' + inner + b"\r\n</td></tr></table>\r\n"
    assert _result(_with_body(fragment)) == "parsed:6"
    cut = fragment[: fragment.index(b"<p>More errors")]
    assert _result(_with_body(cut)).startswith("truncated: the HTML ends inside a table")


def test_a_fragment_cut_inside_a_cell_longer_than_the_old_tail_window_is_truncated() -> None:
    # Was: only the last 64 Ki characters were looked at; a fragment cut inside a longer
    # cell showed no table begun there. The whole body is read for its tags now.
    inner = BODY[BODY.index(b"<body>") + len(b"<body>") : BODY.index(b"</body>")]
    at = inner.index(b"</td></tr>", inner.index(b"<tr><td>christie.cline"))
    long = inner[:at] + b" x" * 100_000 + inner[at:]
    assert _result(_with_body(long)) == "parsed:3"
    assert _result(_with_body(long[: at + 150_000])).startswith("truncated: the HTML ends inside")
