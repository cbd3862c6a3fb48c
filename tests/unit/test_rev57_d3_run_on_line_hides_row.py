"""Hostile review rev57 D3 of ff08aff (closefix, rev55 D5: an identity a line runs on into).

``closing._pieces`` reads an identity at a line's start as text whenever the line above is
text ending in a letter. A forwarder's note without a final stop ("Two more from this
week", "please also check this one") above a pasted row (``bob@contoso.com: <error>``),
after or inside a closing, hides the row: nothing is unread, the report is complete and
bob's ticket resolves. A 16 MB body of such lines hid every one of its ~190k rows complete.
Only the disclaimer's "notify" line was meant. At 9512f31 each report was incomplete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import CLOSING, DUP, HEAD, INTRO, _identities, _report

ANN = f"ann@contoso.com\n\n{DUP}\n\n"
ROW = "bob@contoso.com: Some brand new error text.\n"


@pytest.mark.parametrize(
    "after",
    [
        CLOSING + "\nTwo more from this week\n" + ROW,
        "Thanks,\nplease also check this one\n" + ROW,
    ],
    ids=["note-after-closing", "note-inside-closing"],
)
def test_a_row_under_a_note_without_a_full_stop_is_counted(after: str) -> None:
    result = _report(HEAD + INTRO + ANN + after)
    assert isinstance(result, Report), result
    # Seen: identities ['ann@contoso.com'], complete True.
    assert "bob@contoso.com" in _identities(result) or not result.complete
