"""The cut check reads tags as the HTML5 tokenizer does (review rev29, 2 and 3).

Each message here is whole: it reaches ``</body>`` and ``</html>``, or is a fragment whose
tables all closed. Before, ``cuts`` took any ``<!--`` as a comment start (inside a quoted
attribute value, a ``<textarea>``, an ``<xmp>``), did not end ``<!-->``, ``<!--->`` or
``--!>`` comments, and counted an ``alt="<table>"`` as a table begun: the comment ran on
over ``</body></html>``, or the table never closed, and the whole report was refused
``truncated``, never ticketed.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.cuts import Document
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.parse.trust import TrustPolicy

HEAD = (
    b"Date: Tue, 4 Sep 2018 16:30:12 -0400\n"
    b"From: Microsoft Online Services Team <MSOnlineServicesTeam@AzureADNotifications.US>\n"
    b"To: j.doe@agency.example.gov\n"
    b"Subject: Directory Synchronization Error Report\n"
    b"Message-ID: <BN3P110MB0292AB12CD34EF56AB78@BN3P110MB0292.NAMP110.PROD.OUTLOOK.COM>\n"
    b"MIME-Version: 1.0\n"
    b'Content-Type: text/html; charset="utf-8"\n'
    b"Content-Transfer-Encoding: 7bit\n"
    b"\n"
)

# fixtures/reports/aadconnect_sender_case_usgov.eml's body; MARK is where a variant adds
# its bytes, right after <body>.
BODY = (
    b"<html>\n"
    b"<head>\n"
    b'<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
    b"</head>\n"
    b"<body>MARK\n"
    b"<p>Hello John Doe,</p>\n"
    b"<p>The Directory Synchronization batch run was completed on\n"
    b"Tuesday, 04 September 2018 20:27:50 GMT for tenant Example Agency.</p>\n"
    b"<p>The following errors occurred during synchronization:</p>\n"
    b'<table class="errors">\n'
    b"<tr><th>Identity</th><th>Error Description</th></tr>\n"
    b"<tr><td>j.doe@agency.example.gov</td><td>Unable to update this object becaus"
    b"e the following attributes associated with this object have values that may "
    b"already be associated with another object in your local directory services: "
    b"[UserPrincipalName j.doe@agency.example.gov;]. Correct or remove the duplica"
    b"te values in your local directory.</td></tr>\n"
    b"<tr><td>records@agency.example.gov</td><td>An object with the same proxy add"
    b"ress already exists in Azure Active Directory but is of an incompatible obje"
    b"ct type (object classes: contact, group, or user). Correct this issue in the"
    b" local directory services or in Azure Active Directory and try again.</td></"
    b"tr>\n"
    b"</table>\n"
    b"<p>Thank you,<br>\n"
    b"The Microsoft Online Services Team</p>\n"
    b"</body>\n"
    b"</html>\n"
)


def _outcome(raw: bytes) -> str:
    result = parse_message(raw, "x.eml", None)
    if isinstance(result, Rejected):
        return f"{result.code}: {result.reason}"
    return f"parsed:{len(result.errors)}"


def test_baseline_is_parsed() -> None:
    assert _outcome(HEAD + BODY.replace(b"MARK", b"")) == "parsed:2"


# Each inserted right after <body>: the document still reaches </body></html>.
WHOLE_HTML = {
    # Fully valid HTML: "<!--" inside a quoted attribute value is text, not a comment.
    "comment_opener_in_img_alt": b'<img src="cid:logo" alt="<!--logo">',
    # Valid HTML: RCDATA/raw text elements; "<!--" inside them is text.
    "comment_opener_in_textarea": b"<textarea readonly><!--</textarea>",
    "comment_opener_in_title_like_xmp": b"<xmp><!--</xmp>",
    # Browser-accepted (HTML5 parse-error-but-closed) comments: every browser and
    # html.parser-based readers end these comments where they stand.
    "empty_comment_abrupt": b"<!-->",
    "empty_comment_abrupt_dash": b"<!--->",
    "comment_closed_with_bang": b"<!-- gateway tag --!>",
}


@pytest.mark.parametrize("name", sorted(WHOLE_HTML))
def test_whole_html_document_is_not_truncated(name: str) -> None:
    raw = HEAD + BODY.replace(b"MARK", WHOLE_HTML[name])
    assert _outcome(raw) == "parsed:2"


FWD_HEAD = b"""Date: Wed, 4 Jan 2012 09:15:02 -0800
From: Alex Wilber <it-admin@contoso.com>
To: dirsync-reports@contoso.com
Subject: Fwd: Directory Synchronization Error Report
Message-ID: <CAJ8mXz1kQp0r9sT2uV3wX4yZ5a6B7c8D9e0F1g2H3i4J5k6L7m@mail.gmail.com>
MIME-Version: 1.0
Content-Type: text/html; charset="UTF-8"

"""

# A Gmail-style inline forward (a single text/html fragment: no <html>, no <body>) of a
# whole report; MARK is in the forwarder's own line.
FWD_BODY = (
    b'<div dir="ltr">FYI MARK<br><br><div class="gmail_quote"><div dir="ltr" class'
    b'="gmail_attr">---------- Forwarded message ---------<br>From: <strong class='
    b'"gmail_sendername" dir="auto">Microsoft Online Services Team</strong> <span '
    b'dir="auto">&lt;<a href="mailto:MSOnlineServicesTeam@MicrosoftOnline.com">MSO'
    b"nlineServicesTeam@MicrosoftOnline.com</a>&gt;</span><br>Date: Tue, Jan 3, 20"
    b"12 at 3:55 PM<br>Subject: Directory Synchronization Error Report<br>To: &lt;"
    b'<a href="mailto:sara.davis@contoso.com">sara.davis@contoso.com</a>&gt;<br></'
    b"div><br><br>\n"
    b"<p>Hello Sara Davis,</p><p>The Directory Synchronization batch run was compl"
    b"eted on Tuesday, 03 January 2012 23:54:02 GMT for tenant Contoso.</p>\n"
    b"<p>The following errors occurred during synchronization:</p>\n"
    b'<table class="errors"><tr><th>Identity</th><th>Error Description</th></tr>\n'
    b"<tr><td>sara.davis@contoso.com</td><td>Unable to update this object because "
    b"the following attributes associated with this object have values that may al"
    b"ready be associated with another object in your local directory services: [U"
    b"serPrincipalName sara.davis@contoso.com;]. Correct or remove the duplicate v"
    b"alues in your local directory.</td></tr>\n"
    b"</table>\n"
    b"<p>Thank you,</p></div></div>\n"
)


def test_fragment_forward_with_table_tag_in_attribute_text_is_not_truncated() -> None:
    """Valid HTML: "<table>" inside a quoted attribute value is text, no table begun."""
    trust = TrustPolicy(forwarders=("it-admin@contoso.com",))
    marked = FWD_BODY.replace(b"MARK", b'<img alt="<table>">')
    assert _outcome_with(FWD_HEAD + marked, trust) == "parsed:1"
    # control: the same forward without it is parsed by both
    assert _outcome_with(FWD_HEAD + FWD_BODY.replace(b"MARK", b""), trust) == "parsed:1"


def _outcome_with(raw: bytes, trust: TrustPolicy) -> str:
    result = parse_message(raw, "x.eml", trust)
    if isinstance(result, Rejected):
        return f"{result.code}: {result.reason}"
    return f"parsed:{len(result.errors)}"


# Still no markup for the cut check, and still cut: what the tokenizer must not overlook.
STILL_CUT = {
    "cut_inside_a_comment": b"<!-- a comment the cut left open",
    "cut_inside_a_quoted_value": b'<img alt="a value the cut left open',
    "cut_inside_a_textarea": b"<textarea>text the cut left open",
}


@pytest.mark.parametrize("name", sorted(STILL_CUT))
def test_a_document_cut_inside_a_comment_a_value_or_raw_text_is_cut(name: str) -> None:
    raw = HEAD + BODY.split(b"MARK")[0] + STILL_CUT[name]
    assert _outcome(raw).startswith("truncated")


@pytest.mark.parametrize("name", sorted(WHOLE_HTML))
def test_the_reading_is_the_same_a_character_at_a_time(name: str) -> None:
    """The tokenizer's state (in a comment, a tag, a quoted value, a textarea) carries
    from one piece to the next: fed one character at a time, the document still closes."""
    text = BODY.replace(b"MARK", WHOLE_HTML[name]).decode()
    whole, piecewise = Document(), Document()
    whole.see(text)
    whole.end()
    for char in text:
        piecewise.see(char)
    piecewise.end()
    assert (whole.closed, whole.cut()) == (piecewise.closed, piecewise.cut()) == (True, None)


def test_end_tags_inside_raw_text_and_values_close_nothing() -> None:
    document = Document()
    document.see(
        '<html><body><title></body></title><img alt="</html>">'
        "<script>if (a<b) { x = '</body>'; }</script><textarea></html></textarea>"
    )
    document.end()
    assert document.cut() == "the HTML document ends before its </body> and </html>"
