"""Hostile review rev55 D4 of 3e9c1c2 (a closing with an identity and text after it).

``closes`` refuses a closing paragraph holding an identity with text after it (rev53 D2),
and a short capitalised line after an identity counts as such text. So the commonest
signature block, closing, name, address, title or company in one paragraph ("Thanks,\\n
Alex Wilber\\nalex.wilber@contoso.com\\nIT Administrator", or "-- " with " | " cells) is no
closing: it is read as an error row, filed as an "Unknown" error naming no object whose
text is the signature (a ticket), and the report is incomplete, every daily report that
carries it (nothing resolves). The same block with a blank line before the title is
complete, and so was this one at 252afde.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import DUP, HEAD, INTRO, _identities, _report

ANN = f"ann@contoso.com\n\n{DUP}\n\n"


@pytest.mark.xfail(
    strict=True,
    reason=(
        "rev55 D4, left: a title after the signer's address reads incomplete (an address "
        "always counts: telling the signer's own apart dropped rows complete, rev57 D1-D2)"
    ),
)
@pytest.mark.parametrize(
    "signature",
    [
        "Thanks,\nAlex Wilber\nalex.wilber@contoso.com\nIT Administrator\n",
        "Regards,\nAlex Wilber\nalex.wilber@contoso.com\nContoso Ltd.\n",
        "-- \nAlex Wilber | IT Administrator\nalex.wilber@contoso.com | Contoso Ltd.\n",
    ],
    ids=["title-line", "company-line", "dash-dash-cells"],
)
def test_a_signature_block_with_a_title_after_the_address_ends_the_rows_complete(
    signature: str,
) -> None:
    result = _report(HEAD + INTRO + ANN + signature)
    assert isinstance(result, Report), result
    # Seen: complete False, a second row (None, 'Unknown') whose text is the signature.
    assert _identities(result) == ["ann@contoso.com"]
    assert result.complete


@pytest.mark.parametrize(
    "after",
    [
        # An address that is not the signer's, its error's short text under it.
        "Thanks,\nAlex Wilber\nbob@contoso.com\nObject Not Found\n",
        # A signer's address, then a pasted row: an identity and its unknown error.
        "Thanks,\nAlex Wilber\nalex.wilber@contoso.com\n\nbob@contoso.com\n\n"
        "Some brand new error text that Microsoft started sending this week.\n",
    ],
    ids=["another-address-then-text", "signature-then-a-pasted-row"],
)
def test_a_row_beside_a_signature_is_not_taken_for_the_signature(after: str) -> None:
    result = _report(HEAD + INTRO + ANN + after)
    assert isinstance(result, Report), result
    # bob's error is either read or the report incomplete: bob's ticket never resolves.
    assert "bob@contoso.com" in _identities(result) or not result.complete
