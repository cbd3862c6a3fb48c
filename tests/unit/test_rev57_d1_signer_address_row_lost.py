"""Hostile review rev57 D1 of ff08aff (closefix, rev55 D4: the signer's own address).

``closing._pieces`` now reads an address whose local part is made of a name line's words
(``alex.wilber`` under "Alex Wilber") as a signature's line, and whatever follows it as the
signature's too. A real row pasted after a closing in the common display-name layout (the
object's name, its address, then its error: an error text the catalogue does not know) has
exactly that shape: the whole row is read as a signature, no row is unread, and the report
is complete with the row dropped, so its open ticket resolves. The error text is prose (no
title or company line): the signature shape D4 means is not what is seen. At 9512f31 each
report was incomplete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import CLOSING, DUP, HEAD, INTRO, _identities, _report

ANN = f"ann@contoso.com\n\n{DUP}\n\n"
NEW = "Some brand new error text that Microsoft started sending this week.\n"


@pytest.mark.parametrize(
    "after",
    [
        CLOSING + "\nAlex Wilber\nalex.wilber@contoso.com\n" + NEW,
        CLOSING + "\nAlex Wilber\nalex.wilber@contoso.com\n\n" + NEW,
        CLOSING + "\nAlex Wilber\nawilber@contoso.com\n" + NEW,
        "Thanks,\nAlex Wilber\nalex.wilber@contoso.com: Some brand new error text.\n",
    ],
    ids=["row-after-closing", "error-next-paragraph", "initial-surname", "error-on-its-line"],
)
def test_a_row_whose_address_matches_its_name_line_is_not_dropped_complete(after: str) -> None:
    result = _report(HEAD + INTRO + ANN + after)
    assert isinstance(result, Report), result
    # Seen: identities ['ann@contoso.com'], complete True: alex.wilber's row dropped.
    assert any(i and "wilber@" in i for i in _identities(result)) or not result.complete
