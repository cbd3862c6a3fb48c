"""Guards of the rev48 pairing of identities glued to an error's paragraph (``parse.glued``).

A glued identity is paired with the error next to it, the report incomplete; a line that may
be a name in a shape not known leaves a nameless object error after it out, the report
incomplete. These hold the genuine layouts either rule could take for such a shape: each
must read as before, complete, every row under its own identity.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import NOT_FOUND, parse_plain
from ..reportgen import PLAIN_INTRO as INTRO
from ..reportgen import PROXY_DUP as DUP


def _read(body: str) -> Report:
    result = parse_plain(body, "rev48-para@x.test")
    assert isinstance(result, Report), result
    return result


@pytest.mark.parametrize(
    "errors",
    [
        # An error whose text ends in an address, then the next row's identity paragraph:
        # the address is the error's, not the next row's identity.
        f"ben@contoso.com\n\n{NOT_FOUND}\nbob@contoso.com\n\ncarol@contoso.com\n\n{DUP}\n",
        # An error wrapped so its last line is a few words with no full stop, then a row.
        f"ben@contoso.com\n\n{NOT_FOUND}\nContact Support\n\ncarol@contoso.com\n\n{DUP}\n",
        # An error with its Tracking Id line, then a row.
        f"ben@contoso.com\n\n{NOT_FOUND}\nTracking Id: 0b5e3c1a-7d2f-4e8a-9c6b-1f2e3d4c5b6a"
        f"\n\ncarol@contoso.com\n\n{DUP}\n",
    ],
    ids=["address-ending-an-error", "words-ending-an-error", "tracking-id-line"],
)
def test_rows_each_named_by_their_own_paragraph_stay_complete(errors: str) -> None:
    report = _read(INTRO + errors)
    assert [e.identity for e in report.errors] == ["ben@contoso.com", "carol@contoso.com"]
    assert report.complete


def test_an_identity_glued_under_the_errors_sentence_before_an_identity_is_not_taken() -> None:
    # The sentence's paragraph ends in an address, but an identity paragraph follows: that
    # identity is the first row's, and the address is left as the sentence's.
    body = INTRO.removesuffix("\n\n") + "\nadmin@contoso.com\n\n"
    report = _read(body + f"ann@contoso.com\n\n{DUP}\n")
    assert [e.identity for e in report.errors] == ["ann@contoso.com"]
    assert report.complete


def test_a_glued_identity_is_paired_and_the_report_read_incomplete() -> None:
    report = _read(INTRO + f"ann@contoso.com\n{DUP}\n\nben@contoso.com\n\n{NOT_FOUND}\n")
    assert [(e.identity, e.kind) for e in report.errors] == [
        ("ann@contoso.com", "AttributeValueMustBeUnique"),
        ("ben@contoso.com", "UserIdNotFound"),
    ]
    assert not report.complete  # the pairing is a guess: nothing resolved by this report
