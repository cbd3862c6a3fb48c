"""Hostile review rev57 D2 of ff08aff (closefix, rev55 D4: ``closing._signers``).

``_signers`` takes an address for the signer's own when its local part shares ANY one word
with one of the two nearest name lines (``parts.isdisjoint``), not when it is made of the
name. Under a forwarder's "Alex Wilber", a different object's address (``alex.smith@``,
``wilber.j@``, ``it.helpdesk@`` under "IT Administrator") heading its row is read as a
signature line, its error as the signature's title: the row is dropped with the report
complete and its ticket resolves. At 9512f31 the report was incomplete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import DUP, HEAD, INTRO, _report

ANN = f"ann@contoso.com\n\n{DUP}\n\n"


@pytest.mark.parametrize(
    "address", ["alex.smith@contoso.com", "j.wilber@contoso.com"], ids=["first-name", "surname"]
)
def test_another_persons_address_under_a_name_line_keeps_its_row(address: str) -> None:
    after = f"Thanks,\nAlex Wilber\n{address}\nObject Not Found\n"
    result = _report(HEAD + INTRO + ANN + after)
    assert isinstance(result, Report), result
    # Seen: identities ['ann@contoso.com'], complete True (with bob@ instead: incomplete).
    assert address in [e.identity for e in result.errors] or not result.complete
