"""Hostile review rev55 D5 of 3e9c1c2 (an identity after a closing with text after it).

After a closing, ``_line_pieces`` reads any line that starts with an address as an identity
heading its error's text ("bob@contoso.com: <error>"). A mail gateway's disclaimer appended
under Microsoft's own closing is prose wrapped at some width: where a line break falls just
before its address ("...please notify\\npostmaster@contoso.com and delete it."), that line
is an identity with text after it, counted as a row unread. The disclaimer is the same every
day, so every report is incomplete and nothing ever resolves (the rev53 D1 harm, from a
footer Microsoft's layout does not control). At 252afde complete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import CLOSING, DUP, HEAD, INTRO, _identities, _report

ANN = f"ann@contoso.com\n\n{DUP}\n\n"


@pytest.mark.xfail(
    strict=True,
    reason=(
        "rev55 D5, left: a disclaimer run on into an address reads incomplete (an address "
        "always counts: the run-on rule dropped real rows complete, rev57 D3)"
    ),
)
@pytest.mark.parametrize(
    "disclaimer",
    [
        "This e-mail and any attachments are confidential. If you are not the intended\n"
        "recipient, please notify\npostmaster@contoso.com and delete it.\n",
        "This e-mail and any attachments are confidential. If you received it in error, notify\n"
        "postmaster@contoso.com immediately and delete it.\n",
    ],
    ids=["notify-line", "wrapped-at-width"],
)
def test_a_gateway_disclaimer_under_microsofts_closing_leaves_the_report_complete(
    disclaimer: str,
) -> None:
    result = _report(HEAD + INTRO + ANN + CLOSING + "\n" + disclaimer)
    assert isinstance(result, Report), result
    assert _identities(result) == ["ann@contoso.com"]
    # Seen: complete False ("1 paragraph the reader could not pair"), every daily report.
    assert result.complete


def test_a_row_under_a_line_ending_its_sentence_is_still_counted() -> None:
    # The line above the identity ends ("...this week:"): the address heads a pasted row.
    note = "Two more from this week:\nbob@contoso.com: Some brand new error text.\n"
    result = _report(HEAD + INTRO + ANN + CLOSING + "\n" + note)
    assert isinstance(result, Report), result
    assert not result.complete
