"""Hostile review rev55 D1 of d9217e8 (rows after a plain-text closing, closing.py).

An identity that is the last line of a closing-like paragraph (a forwarder's note glued over
the next pasted row, its blank line missing: the rev48 glued shape) with its error in the
next paragraph is neither read nor counted: ``rows_unread`` scans only the paragraphs after
the closing, and ``closes`` refuses a closing only for text after an identity within the
paragraph. With an error the catalogue does not know (or a short one: "Object Not Found"),
the row is lost, the report complete: that object's open ticket resolves by absence. The
same row without the note is read; with a known error after it the report is incomplete.
Also so at 252afde.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import CLOSING, DUP, HEAD, INTRO, _report

UNKNOWN = "Some brand new error text that Microsoft started sending this week."
ANN = f"ann@contoso.com\n\n{DUP}\n\n"


@pytest.mark.parametrize(
    ("note", "who", "error"),
    [
        ("Thanks - this one is new since Monday:", "bob@contoso.com", UNKNOWN),
        ("Thanks - this one is new since Monday:", "bob@contoso.com", "Object Not Found"),
        ("Regards, Alex - see below", "CONTOSO\\bob", UNKNOWN),
    ],
    ids=["address-unknown-error", "address-short-error", "domain-user-unknown-error"],
)
def test_an_identity_glued_under_a_closing_like_note_is_not_lost_complete(
    note: str, who: str, error: str
) -> None:
    result = _report(HEAD + INTRO + ANN + f"{note}\n{who}\n\n{error}\n\n" + CLOSING)
    assert isinstance(result, Report), result
    # Seen: complete True, ann's row alone: who's open ticket resolved by absence.
    assert len(result.errors) == 2 or not result.complete


def test_after_microsofts_closing_an_identity_glued_under_a_note_is_counted() -> None:
    # A forwarder's note under Microsoft's closing, a pasted row glued to it: inside
    # ``rows_unread`` the note is "another closing" (its pieces dropped), so the identity
    # before the error is forgotten too.
    note = f"Thanks - one more from yesterday's report:\nbob@contoso.com\n\n{UNKNOWN}\n"
    result = _report(HEAD + INTRO + ANN + CLOSING + "\n" + note)
    assert isinstance(result, Report), result
    # Seen: complete True, ann's row alone.
    assert not result.complete
