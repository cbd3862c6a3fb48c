"""Hostile review rev47 of 9edccde: the plain-text ``_DN`` identity guess, narrowed to "the
last value one token", and its ``, `` normalisation.

The narrowing only looks at the last value: an error text that starts DN-shaped and ends in
a ``, name=value`` token (a status, a result code) is still a DN to the guess. It is taken
for the next row's identity: the error before it vanishes with no warning, and a report of
only it is a complete report of no errors (it resolves every open problem of the tenant).
The ``, `` normalisation runs on paragraph DNs only: the same DN in a table cell (plain text
or HTML) keys as another object. Each test is xfail (strict) until fixed; no product code is
changed on this branch.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.fingerprint import object_key
from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.message import parse_message

from .test_dn_identity_guess import DUP, HEAD, HTML, INTRO, NOT_FOUND, PLAIN, SEP, _parsed

ENDS_IN_A_TOKEN = [
    "CN=Ann Akers,OU=Users,DC=contoso,DC=com could not be exported, hr=0x80230703",
    "c=US, st=WA: the object could not be exported, reason=quota",
]


@pytest.mark.xfail(
    strict=True,
    reason="rev47: an error text starting DN-shaped and ending ', name=value' is still read "
    "as the next identity: the error before it is lost with no warning",
)
@pytest.mark.parametrize("text", ENDS_IN_A_TOKEN)
def test_an_error_text_ending_in_a_name_value_token_keeps_its_error(text: str) -> None:
    body = INTRO + "ann@contoso.com\n\n" + text + "\n\nben@contoso.com\n\n" + NOT_FOUND + SEP
    errors = _parsed(HEAD + PLAIN + body.encode())
    # Today: [('ben@contoso.com', 'UserIdNotFound')]: ann's error is gone.
    assert not isinstance(errors, Rejected), errors
    assert "ann@contoso.com" in [identity for identity, _kind in errors]


@pytest.mark.parametrize("text", ENDS_IN_A_TOKEN)
def test_a_report_of_one_such_error_is_never_a_report_of_no_errors(text: str) -> None:
    errors = _parsed(HEAD + PLAIN + (INTRO + text + SEP).encode())
    # Today: [] (parsed, complete, no errors).
    assert isinstance(errors, Rejected) or errors, errors


def _key(raw: bytes) -> str:
    result = parse_message(raw, "x.eml", None)
    assert not isinstance(result, Rejected), result
    assert len(result.errors) == 1, result.errors
    return object_key(result.errors[0])


SPACED = "CN=Ann Akers, OU=Users, DC=contoso, DC=com"


@pytest.mark.xfail(
    strict=True,
    reason="rev47: ', ' is read as ',' in a paragraph DN only: the same DN in a plain-text "
    "table cell keys as another object (a second ticket, the first resolved as absent)",
)
def test_a_spaced_dn_keys_alike_in_a_paragraph_and_in_a_plain_text_table() -> None:
    paragraph = _key(HEAD + PLAIN + (INTRO + SPACED + "\n\n" + DUP + SEP).encode())
    table = _key(
        HEAD + PLAIN + (INTRO + "Identity | Error\n" + SPACED + " | " + DUP + SEP).encode()
    )
    assert paragraph == table


@pytest.mark.xfail(
    strict=True,
    reason="rev47: ', ' is read as ',' in a plain-text paragraph DN only: the same DN in an "
    "HTML report's table keys as another object",
)
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


@pytest.mark.xfail(
    strict=True,
    reason="rev47: a DN wrapped before its comma (or after an escaped backslash) keys as "
    "another object than unwrapped: only ', ' not after a backslash is normalised",
)
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
