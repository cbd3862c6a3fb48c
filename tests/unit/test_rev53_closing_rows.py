"""Hostile review rev53 of e83a84a (closing words with "." ":" ";"; rows after a closing).

Each test is a defect found, kept strict-xfail until fixed:

- D1 (regression of e83a84a): an identity-shaped paragraph after a closing now counts as a
  row unread, so a signature's lone address ("Thanks,\\nAlex" then "alex.wilber@contoso.com",
  the footer rev49 called genuine; Outlook's "alex@contoso.com<mailto:...>") makes every
  such daily report incomplete: nothing ever resolves by absence. At e83a84a^ complete.
- D2: after a closing-like paragraph (a forwarder's note between rows, rev51 D2), a row
  whose identity and error text (one the catalogue does not know) share a paragraph (a line
  break, " | ", a tab) is neither read nor counted: lost, the report complete, its open
  ticket resolved though it still fails. The same row with no note before it makes the
  report incomplete.
- D3 (regression of e83a84a): the word may now end at "." ";" ":", so an identity such as
  ``Cheers.Events@contoso.com`` at the head of a paragraph that also holds its error
  (whose catalogue rule is anchored at the message's start, so the paragraph reads as no
  known error) is taken for a closing: that row and every such row after it are lost, the
  report complete. At e83a84a^ it was a nameless row, the report incomplete.
- D4 (since e5263ea): any tab refuses a closing, so Microsoft's closing with a trailing tab
  or tab-indented (an HTML layout table rendered as text) is an Unknown row naming no
  object: every such daily report is incomplete.
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
        "Thanks,\nAlex\n\nalex.wilber@contoso.com\n",
        "Regards,\nAlex Wilber\n\nalex.wilber@contoso.com<mailto:alex.wilber@contoso.com>\n",
    ],
)
def test_a_signature_address_after_a_closing_leaves_a_genuine_report_complete(
    footer: str,
) -> None:
    result = _report(HEAD + INTRO + ANN + footer)
    assert isinstance(result, Report), result
    # Seen: complete False ("1 paragraph the reader could not pair"), every daily report.
    assert result.complete
    assert _identities(result) == ["ann@contoso.com"]


@pytest.mark.parametrize(
    "row",
    [f"bob@contoso.com\n{UNKNOWN}", f"bob@contoso.com | {UNKNOWN}", f"bob@contoso.com\t{UNKNOWN}"],
)
def test_a_one_paragraph_row_after_a_closing_is_not_lost_complete(row: str) -> None:
    without_note = _report(HEAD + INTRO + ANN + f"{row}\n\n" + CLOSING)
    assert isinstance(without_note, Report), without_note
    assert not without_note.complete  # the same row with no note: incomplete (passes)
    result = _report(HEAD + INTRO + ANN + NOTE + f"{row}\n\n" + CLOSING)
    assert isinstance(result, Report), result
    # Seen: complete True, ann alone: bob's open ticket resolved by absence.
    assert len(result.errors) == 2 or not result.complete


@pytest.mark.parametrize("who", ["Cheers.Events@contoso.com", "Thanks.Giving@contoso.com"])
def test_an_identity_with_a_closing_word_and_a_dot_heading_its_row_is_no_closing(
    who: str,
) -> None:
    body = ANN + f"{who}\n{DUP}\n\nbob@contoso.com\n{DUP}\n\n"
    result = _report(HEAD + INTRO + body + CLOSING)
    assert isinstance(result, Report), result
    # Seen: complete True, ann alone (at e83a84a^: complete False, both rows kept).
    assert len(result.errors) == 3 or not result.complete


@pytest.mark.parametrize(
    "closing",
    [
        "Thank you,\t\nThe Microsoft Online Services Team\n",
        "\tThank you,\n\tThe Microsoft Online Services Team\n",
    ],
)
def test_microsofts_closing_with_a_layout_tab_ends_the_rows_complete(closing: str) -> None:
    body = ANN + f"bob@contoso.com\n\n{NOT_FOUND}\n\n"
    result = _report(HEAD + INTRO + body + closing)
    assert isinstance(result, Report), result
    # Seen: complete False, a third nameless Unknown row 'Thank you, The Microsoft ...'.
    assert result.complete
    assert _identities(result) == ["ann@contoso.com", "bob@contoso.com"]
