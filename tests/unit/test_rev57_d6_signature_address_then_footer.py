"""Hostile review rev57 D6 of ff08aff (closefix, rev55 D1: an identity ending a closing).

``rows_unread`` now reads an identity that ends the closing paragraph with the paragraphs
after it: prose after it counts as that identity's error, a row unread. The commonest
forwarder's signature ends with an address that is not made of the signer's name (a shared
mailbox, "helpdesk@", or Microsoft's own team address), and a mail gateway appends its
disclaimer or a privacy footer after it. The same every day: every report is incomplete and
nothing ever resolves (the rev53 D1 harm). At 9512f31 each was complete. (Note: rev55 D1's
note line "Thanks - ...:" is also a signature piece for ``_kind``, so the fix must tell a
signature block's last address from a note's glued row some other way, e.g. a name line
directly above it.)
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import DUP, HEAD, INTRO, _identities, _report

ANN = f"ann@contoso.com\n\n{DUP}\n\n"


@pytest.mark.xfail(strict=True, reason="rev57 D6: a signature's last address + footer: incomplete")
@pytest.mark.parametrize(
    ("closing", "footer"),
    [
        (
            "Thanks,\nPat Coleman\nhelpdesk@contoso.com\n",
            "This e-mail and any attachments are confidential.\n",
        ),
        (
            "Thank you,\nThe Microsoft Online Services Team\n"
            "MSOnlineServicesTeam@MicrosoftOnline.com\n",
            "Microsoft respects your privacy. To learn more, please read our Privacy Statement.\n",
        ),
    ],
    ids=["shared-mailbox-disclaimer", "team-address-privacy-footer"],
)
def test_a_signature_ending_in_an_address_then_a_footer_is_complete(
    closing: str, footer: str
) -> None:
    result = _report(HEAD + INTRO + ANN + closing + "\n" + footer)
    assert isinstance(result, Report), result
    assert _identities(result) == ["ann@contoso.com"]
    # Seen: complete False ("1 paragraph the reader could not pair"), every daily report.
    assert result.complete
