"""Hostile review rev47 of 9edccde: the plain-text ``_DN`` identity guess, narrowed to "the
last value one token", and its ``, `` normalisation.

The narrowing only looks at the last value: an error text that starts DN-shaped and ends in
a ``, name=value`` token (a status, a result code) is still a DN to the guess. It is taken
for the next row's identity: the error before it vanishes with no warning, and a report of
only it is a complete report of no errors (it resolves every open problem of the tenant).
The ``, `` normalisation runs on paragraph DNs only: the same DN in a table cell (plain text
or HTML) keys as another object. Fixed: whatever follows an identity paragraph is its error
text, an identity left with no error refuses the report; a paragraph DN keeps its spaces as
typed, as a cell does, only a wrap's line break beside a separator comma undone.
"""

from __future__ import annotations

import logging

import pytest

from dirsync_bridge.fingerprint import object_key
from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.message import parse_message

from .test_dn_identity_guess import DUP, HEAD, HTML, INTRO, NOT_FOUND, PLAIN, SEP, _parsed

ENDS_IN_A_TOKEN = [
    "CN=Ann Akers,OU=Users,DC=contoso,DC=com could not be exported, hr=0x80230703",
    "c=US, st=WA: the object could not be exported, reason=quota",
]


@pytest.mark.parametrize("text", ENDS_IN_A_TOKEN)
def test_an_error_text_ending_in_a_name_value_token_keeps_its_error(text: str) -> None:
    body = INTRO + "ann@contoso.com\n\n" + text + "\n\nben@contoso.com\n\n" + NOT_FOUND + SEP
    errors = _parsed(HEAD + PLAIN + body.encode())
    # Before: [('ben@contoso.com', 'UserIdNotFound')]: ann's error was gone.
    assert not isinstance(errors, Rejected), errors
    assert "ann@contoso.com" in [identity for identity, _kind in errors]


@pytest.mark.parametrize("text", ENDS_IN_A_TOKEN)
def test_a_report_of_one_such_error_is_never_a_report_of_no_errors(text: str) -> None:
    errors = _parsed(HEAD + PLAIN + (INTRO + text + SEP).encode())
    # Before: [] (parsed, complete, no errors).
    assert isinstance(errors, Rejected) or errors, errors


def _key(raw: bytes) -> str:
    result = parse_message(raw, "x.eml", None)
    assert not isinstance(result, Rejected), result
    assert len(result.errors) == 1, result.errors
    return object_key(result.errors[0])


SPACED = "CN=Ann Akers, OU=Users, DC=contoso, DC=com"


def test_a_spaced_dn_keys_alike_in_a_paragraph_and_in_a_plain_text_table() -> None:
    paragraph = _key(HEAD + PLAIN + (INTRO + SPACED + "\n\n" + DUP + SEP).encode())
    table = _key(
        HEAD + PLAIN + (INTRO + "Identity | Error\n" + SPACED + " | " + DUP + SEP).encode()
    )
    assert paragraph == table


def test_a_spaced_dn_keys_alike_in_plain_text_and_in_an_html_table() -> None:
    paragraph = _key(HEAD + PLAIN + (INTRO + SPACED + "\n\n" + DUP + SEP).encode())
    html = (
        "<html><body><p>"
        + INTRO.replace("\n\n", "</p><p>")
        + "</p><table><tr><th>Identity</th><th>Error</th></tr><tr><td>"
        + SPACED
        + "</td><td>"
        + DUP
        + "</td></tr></table></body></html>"
    )
    assert paragraph == _key(HEAD + HTML + html.encode())


@pytest.mark.parametrize(
    "wrapped,whole",
    [
        ("CN=Ann Akers\n,OU=Users,DC=contoso,DC=com", "CN=Ann Akers,OU=Users,DC=contoso,DC=com"),
        ("CN=C:\\\\,\nOU=Users,DC=contoso,DC=com", "CN=C:\\\\,OU=Users,DC=contoso,DC=com"),
    ],
    ids=["before-comma", "after-escaped-backslash"],
)
def test_a_dn_wrapped_elsewhere_keys_as_unwrapped(wrapped: str, whole: str) -> None:
    def key(dn: str) -> str:
        return _key(HEAD + PLAIN + (INTRO + dn + "\n\n" + DUP + SEP).encode())

    assert key(wrapped) == key(whole)


# Neighbours of D1 (the structural rule): in a plain-text report an identity paragraph is
# followed by its error. An identity left with no error after it (replaced by another, a
# table after it, the end of the errors) may be an error's text read as one: never dropped
# silently. The report is refused, or read as incomplete with a warning (review rev49: a
# refusal stopped every daily report whose footer held an address): nothing resolved by it.
TABLE = "Identity | Error\nben@contoso.com | " + NOT_FOUND


@pytest.mark.parametrize(
    "body",
    [
        "ben@contoso.com\n\n" + NOT_FOUND + "\n\n" + ENDS_IN_A_TOKEN[0],
        "ann@contoso.com\n\nben@contoso.com\n\n" + NOT_FOUND,
        ENDS_IN_A_TOKEN[1] + "\n\n" + TABLE,
    ],
    ids=["after-a-named-error", "identity-after-identity", "before-a-table"],
)
def test_an_identity_with_no_error_after_it_never_vanishes_silently(
    body: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        result = parse_message(HEAD + PLAIN + (INTRO + body + SEP).encode(), "x", None)
    # Before: [('ben@contoso.com', 'UserIdNotFound')], a complete report: the error text read
    # as an identity (or ann's identity) dropped with no word.
    if isinstance(result, Rejected):
        assert result.code == "not-a-report" and "\n" not in result.detail
    else:
        assert result.complete is False, result
        assert any("read as incomplete" in r.getMessage() for r in caplog.records)


# Neighbour of D2/D3: a word wrap breaks a spaced DN at the space after a comma (the space
# replaced, not inserted): it keys as the same DN in a table cell, its spaces as typed.
def test_a_spaced_dn_wrapped_at_a_comma_keys_as_in_a_plain_text_table() -> None:
    wrapped = "CN=Ann Akers, OU=Users,\nDC=contoso, DC=com"
    paragraph = _key(HEAD + PLAIN + (INTRO + wrapped + "\n\n" + DUP + SEP).encode())
    table = _key(
        HEAD + PLAIN + (INTRO + "Identity | Error\n" + SPACED + " | " + DUP + SEP).encode()
    )
    assert paragraph == table
