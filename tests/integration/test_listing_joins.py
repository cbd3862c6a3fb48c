"""The listing shortcut after a tenant join (``ledger/joining.py``): the newest report is one
filed under another spelling, re-filed under the established one; the survivors' kept
sightings (``rows_digest``, ``last_*``) are the established spelling's own, not that
report's, so the next report in its rows is not taken as listed as before
(``problems.listed_in``). From the review of the listings: each of these ended otherwise
than the every-sighting path before ``listed_in``."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ..reportgen import LARGE, duplicate
from .digest_histories import Step, diff, phased

A = ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com"))
B = ("u2@contoso.com", "", LARGE)
B_THEN = ("u2@contoso.com", "", LARGE + " Contact your administrator.")
ALIAS = 'Fabrikam = ["Fabrikam Ltd"]\n'
BEFORE = [
    Step(day=1, tenant="Fabrikam", rows=[A, B_THEN]),
    Step(day=2, tenant="Fabrikam Ltd", rows=[A, B]),
]
"""Fabrikam shows B in other words (same details, other texts); Fabrikam Ltd, a separate
tenant until the alias, shows A and B."""


def _after_the_alias(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    then: list[Step],
    before: list[Step] = BEFORE,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(every-sighting tables, digested tables): ``before`` read with no alias, then
    ``then`` with the alias joining the spellings; asserted equal, tickets first."""
    every, digested = phased(tmp_path, monkeypatch, [("", before), (ALIAS, then)])
    tickets = ("local_tickets", "local_comments")
    first = {t: every["state.db"][t] for t in tickets}
    second = {t: digested["state.db"][t] for t in tickets}
    assert first["local_tickets"]
    assert first == second, diff({"t": first}, {"t": second})
    assert every == digested, diff(every, digested)
    return every, digested


def test_join_then_the_other_spellings_rows_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Day 3 shows Fabrikam Ltd's rows again: its listing is the newest report's (day 2's,
    re-filed), but B's survivor kept day 1's words: day 3 is read row by row."""
    _after_the_alias(tmp_path, monkeypatch, [Step(day=3, tenant="Fabrikam Ltd", rows=[A, B])])


def test_join_then_the_other_spellings_rows_again_under_the_established_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _after_the_alias(tmp_path, monkeypatch, [Step(day=3, tenant="Fabrikam", rows=[A, B])])


def test_join_the_newest_history_keeps_the_newest_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a user would see: day 3's sighting of B must not say day 1's words ("Contact
    your administrator"), which day 3's report does not contain."""
    _after_the_alias(tmp_path, monkeypatch, [Step(day=3, tenant="Fabrikam Ltd", rows=[A, B])])
    conn = sqlite3.connect(tmp_path / "digested" / "state" / "state.db")
    said = [
        str(row[0])
        for row in conn.execute(
            "SELECT t.data FROM history h JOIN reports r ON r.rowid = h.report "
            "JOIN history_texts t ON t.id = h.texts WHERE r.key = '<p3-3@x>'"
        )
    ]
    conn.close()
    assert len(said) == 2
    assert not any("Contact your administrator" in t for t in said), said


def test_join_then_late_archives_keep_each_reports_own_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Archives read after the repeat (days 3 to 5, without B) fold B again."""
    then = [Step(day=6, tenant="Fabrikam Ltd", rows=[A, B])]
    then += [Step(day=day, tenant="Fabrikam", rows=[A]) for day in (3, 4, 5)]
    _after_the_alias(tmp_path, monkeypatch, then)


def test_join_then_repeat_copies_no_enrichment_of_the_established_spelling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rows everywhere; the established spelling's reports were read with the
    rules (enriched), the other spelling's and the repeat without: the repeat's sighting
    must not be recorded with rule hits it was never given."""
    before = [
        Step(day=1, tenant="Fabrikam", rows=[A, B], enrich=True),
        Step(day=2, tenant="Fabrikam Ltd", rows=[A, B], enrich=False),
    ]
    then = [Step(day=3, tenant="Fabrikam Ltd", rows=[A, B], enrich=False)]
    _after_the_alias(tmp_path, monkeypatch, then, before)


LONG = "a" * 300 + "@contoso.com"  # too long for mail: an IdFix rule hit
A_LONG = ("u1@contoso.com", "OID1", duplicate("Mail", LONG))


def test_join_then_repeat_copies_no_rule_hits_onto_a_plain_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fabrikam's report read with the rules (a rule hit on the too-long value), Fabrikam
    Ltd's plain (``--no-enrich``), the repeat plain: its sighting must not carry the rule
    hit and holders ``[]`` of the rules read, which that read never made."""
    before = [
        Step(day=1, tenant="Fabrikam", rows=[A_LONG], enrich=True),
        Step(day=2, tenant="Fabrikam Ltd", rows=[A_LONG], enrich=False),
    ]
    then = [Step(day=3, tenant="Fabrikam Ltd", rows=[A_LONG], enrich=False)]
    _after_the_alias(tmp_path, monkeypatch, then, before)


B_OTHER = ("u2@contoso.com", "OID2", LARGE)  # B with an object id: other details


def test_join_then_repeat_then_an_archive_leaves_the_reports_words_on_the_ticket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the join and the repeat (day 4), an archive of day 3 shows B with other
    details: folded again, day 4's sighting changes B's details back, so it describes the
    ticket, which must not say day 1's "Contact your administrator": neither day 2's nor
    day 4's report said it."""
    then = [
        Step(day=4, tenant="Fabrikam Ltd", rows=[A, B]),
        Step(day=3, tenant="Fabrikam", rows=[A, B_OTHER]),
    ]
    _after_the_alias(tmp_path, monkeypatch, then)
