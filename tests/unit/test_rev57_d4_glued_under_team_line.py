"""Hostile review rev57 D4 of ff08aff (closefix, rev55 D1 fix incomplete).

rev55 D1: an identity glued under a closing (a blank line missing) is read with the
paragraphs after it. But ``_named_tail`` takes the closing's pieces through ``_pieces``,
where rev55 D4's signer test also runs against the closing's own name line: under
Microsoft's "The Microsoft Online Services Team", an address sharing any of its words
(``services.desk@``, ``team@``, ``online.sales@``) is a signature line, no identity ends
the closing, and its row (error in the next paragraph) is dropped with the report complete.
``bob@`` in the same place is read (incomplete). Also lost at 9512f31 (the D1 hole).
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import DUP, HEAD, INTRO, _identities, _report

ANN = f"ann@contoso.com\n\n{DUP}\n\n"
NEW = "Some brand new error text that Microsoft started sending this week.\n"


@pytest.mark.parametrize("address", ["services.desk@contoso.com", "team@contoso.com"])
def test_an_identity_glued_under_microsofts_closing_is_read(address: str) -> None:
    closing = f"Thank you,\nThe Microsoft Online Services Team\n{address}\n\n"
    result = _report(HEAD + INTRO + ANN + closing + NEW)
    assert isinstance(result, Report), result
    # Seen: identities ['ann@contoso.com'], complete True.
    assert address in _identities(result) or not result.complete
