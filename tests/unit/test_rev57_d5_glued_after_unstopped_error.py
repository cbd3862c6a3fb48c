"""Hostile review rev57 D5 of ff08aff (closefix, rev55 D3: ``glued.identity_ending``).

A glued identity is now taken only under a line ending ``. ! ? ) ] " ' :``. An error text
the catalogue does not know that ends otherwise (no stop, a comma, a hex code) with the next
row's identity glued under it keeps that identity as its last words: the next row's known
error is then nameless and that object (carol) is never ticketed, every day the layout
lasts. The report is incomplete (nothing resolves), but the row is lost. At 9512f31 carol's
row was read.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import CLOSING, DUP, HEAD, INTRO, NOT_FOUND, _identities, _report

ANN = f"ann@contoso.com\n\n{DUP}\n\n"


@pytest.mark.xfail(strict=True, reason="rev57 D5: a row glued under an unstopped error is lost")
@pytest.mark.parametrize(
    "error",
    ["Some brand new error text without a stop", "Some brand new error text, code 0x80230703"],
    ids=["no-stop", "hex-code"],
)
def test_an_identity_glued_under_an_unstopped_error_keeps_its_row(error: str) -> None:
    rows = f"bob@contoso.com\n\n{error}\ncarol@contoso.com\n\n{NOT_FOUND}\n\n"
    result = _report(HEAD + INTRO + ANN + rows + CLOSING)
    assert isinstance(result, Report), result
    # Seen: identities ['ann@...', 'bob@...'], carol's UserIdNotFound row absent.
    assert "carol@contoso.com" in _identities(result)
