"""Hostile review rev52 of e5263ea (a closing ends the rows; known errors after it count).

Each test is a defect found, kept strict-xfail until fixed:

- D1: after a closing-like paragraph, ``_errors_in`` counts only errors the catalogue knows:
  an identity followed by an error text the catalogue does not know (a new Microsoft
  message: the very rows the Unknown category exists for) is lost, the report complete, so
  that object's open ticket resolves by absence though it still fails.
- D2: the closing paragraph itself is never counted: a row whose cells start with a closing
  word ("Regards Team | <error>", a display name), or a table glued under a forwarder's
  "Thanks, see also:" line, is lost with the report complete.
- D3: the word must now be followed by " ", ",", "!" or the end: Microsoft-style closings
  "Thanks." / "Regards:" no longer end the rows; the closing is read as a nameless Unknown
  row and every such daily report is incomplete, so nothing ever resolves by absence (at
  e5263ea^ it ended the rows, the report complete).
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import CLOSING, DUP, HEAD, INTRO, NOT_FOUND, _identities, _report

UNKNOWN = "Some brand new error text that Microsoft started sending this week."


def test_a_row_with_an_unknown_error_after_a_closing_is_not_resolved_by_absence() -> None:
    body = (
        f"ann@contoso.com\n\n{DUP}\n\nThanks - this one is new since Monday, Alex\n\n"
        f"bob@contoso.com\n\n{UNKNOWN}\n\n"
    )
    result = _report(HEAD + INTRO + body + CLOSING)
    assert isinstance(result, Report), result
    # Seen: complete=True, ann alone: bob's open (Unknown) ticket resolved though failing.
    assert "bob@contoso.com" in _identities(result) or not result.complete


@pytest.mark.parametrize(
    "para",
    [
        f"Regards Team | {NOT_FOUND}",
        f"Thanks, see also:\nbob@contoso.com | {NOT_FOUND}",
    ],
)
def test_a_closing_paragraph_holding_error_rows_does_not_lose_them(para: str) -> None:
    body = f"ann@contoso.com\n\n{DUP}\n\n{para}\n\n"
    result = _report(HEAD + INTRO + body + CLOSING)
    assert isinstance(result, Report), result
    # Seen: complete=True, ann alone: the row in the closing paragraph lost with no word.
    assert len(result.errors) == 2 or not result.complete


@pytest.mark.parametrize("word", ["Thanks.", "Regards:", "Sincerely."])
def test_a_closing_word_with_a_full_stop_or_colon_still_ends_the_rows_complete(word: str) -> None:
    body = f"ann@contoso.com\n\n{DUP}\n\nbob@contoso.com\n\n{NOT_FOUND}\n\n"
    result = _report(HEAD + INTRO + body + f"{word}\nThe Microsoft Online Services Team\n")
    assert isinstance(result, Report), result
    # Seen: complete=False with a third nameless row 'Thanks. The Microsoft Online ...'.
    assert result.complete
    assert _identities(result) == ["ann@contoso.com", "bob@contoso.com"]
