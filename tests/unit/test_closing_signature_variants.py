"""Hostile variants of the rev53 rule for what follows a plain-text closing (``closing``).

After a closing an identity is a row unread only with text after it that is no signature
line (rev53 D1; rev52 kept). These try the rule from both sides: a signature's two
addresses or its phone line must leave a genuine daily report complete (else nothing ever
resolves), and the same shapes followed by an error's text, or a forwarded report quoted
after the closing, must not drop rows with the report complete (else real tickets resolve).
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import CLOSING, DUP, HEAD, INTRO, NOT_FOUND, _identities, _report

UNKNOWN = "Some brand new error text that Microsoft started sending this week."
ANN = f"ann@contoso.com\n\n{DUP}\n\n"
NOTE = "Thanks - this one is new since Monday, Alex\n\n"


@pytest.mark.parametrize(
    "footer",
    [
        # Two addresses: one a line, in one paragraph, or in two.
        "Thanks,\nAlex Wilber\n\nalex.wilber@contoso.com\nalex@fabrikam.com\n",
        "Regards,\nAlex\n\nalex.wilber@contoso.com | alex@fabrikam.com\n",
        "Thanks,\nAlex\n\nalex.wilber@contoso.com\n\nalex@fabrikam.com\n",
        "Thanks,\nAlex\n\nalex.wilber@contoso.com <mailto:alex.wilber@contoso.com>\n",
        # A phone line: under the address, beside it, labelled, or a paragraph of its own.
        "Regards,\nAlex\n\nalex.wilber@contoso.com\n+1 (425) 555-0100\n",
        "Regards,\nAlex\n\nalex.wilber@contoso.com | +1 425 555 0100\n",
        "Thanks,\nAlex\n\nalex.wilber@contoso.com\nTel: +1 425 555 0100 | Mobile: 425.555.0199\n",
        "Thanks,\nAlex\n\nalex.wilber@contoso.com\n\n+44 20 7946 0958 ext. 12\n",
        # Name, title and company lines before the address, web and phone lines after it.
        "Kind regards,\n\nAlex Wilber\nIT Administrator\nContoso Ltd.\n"
        "alex.wilber@contoso.com\nwww.contoso.com | +1 425 555 0100\n",
        "-- \nAlex Wilber\nHead of IT\nalex.wilber@contoso.com\n",
        "Thanks,\nAlex\n\nalex.wilber@contoso.com\n\nSent from my iPhone\n",
    ],
)
def test_a_signatures_addresses_and_phone_lines_leave_a_genuine_report_complete(
    footer: str,
) -> None:
    result = _report(HEAD + INTRO + ANN + footer)
    assert isinstance(result, Report), result
    assert result.complete
    assert _identities(result) == ["ann@contoso.com"]


@pytest.mark.parametrize(
    "after",
    [
        # Two identities (a signature's shape), then an error's text: rows.
        f"bob@contoso.com\ncarol@contoso.com\n{UNKNOWN}\n\n",
        f"bob@contoso.com\n\ncarol@contoso.com\n\n{UNKNOWN}\n\n",
        # A phone line between an identity and its error: no signature's end.
        f"bob@contoso.com\n+1 425 555 0100\n\n{UNKNOWN}\n\n",
        f"bob@contoso.com: {UNKNOWN}\n\n",
        # Short error texts a signature's name or address rule could take for its own: a
        # name directly after an identity, or an identity of no address's shape, is text.
        "bob@contoso.com\nInvalidSoftMatch\n\n",
        "bob@contoso.com\nObject Not Found\n\n",
        "bob@contoso.com\n\nhr=0x80230703\n\n",
    ],
)
def test_signature_shapes_followed_by_an_errors_text_after_a_closing_are_rows_unread(
    after: str,
) -> None:
    result = _report(HEAD + INTRO + ANN + NOTE + after + CLOSING)
    assert isinstance(result, Report), result
    # Rows after the note are not read: they must make the report incomplete.
    assert not result.complete
    assert "ann@contoso.com" in _identities(result)


@pytest.mark.parametrize(
    "quote",
    [
        # A reply quoting a report under Microsoft's closing, ">"-marked.
        f"> bob@contoso.com\n>\n> {UNKNOWN}\n",
        f"> bob@contoso.com\n> \n> {NOT_FOUND}\n",
        f">> bob@contoso.com\n>>\n>> {UNKNOWN}\n",
        # Forwarded below an "Original Message" header, unquoted.
        "-----Original Message-----\n"
        "From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
        "Subject: Directory Synchronization Error Report\n\n"
        f"bob@contoso.com\n\n{UNKNOWN}\n",
    ],
)
def test_a_forwarded_report_quoted_after_a_closing_makes_the_report_incomplete(
    quote: str,
) -> None:
    result = _report(HEAD + INTRO + ANN + CLOSING + "\n" + quote)
    assert isinstance(result, Report), result
    # bob's row, quoted after the closing, is not read: the report must not be complete.
    assert not result.complete
    assert _identities(result) == ["ann@contoso.com"]


def test_a_quoted_signature_after_a_closing_leaves_the_report_complete() -> None:
    footer = "Thanks,\nAlex\n\n> alex.wilber@contoso.com\n> +1 425 555 0100\n"
    result = _report(HEAD + INTRO + ANN + footer)
    assert isinstance(result, Report), result
    assert result.complete
