"""A report in the very rows of its tenant's newest is recorded without its rows being read
(``problem_rows.listing_digest``, ``TouchLedger._listed_as_before``); the ledger it leaves
is the one the every-sighting path leaves (``tests/unit/test_row_digests.py``,
``tests/integration/test_row_digest_*``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge import ingest, pipeline
from dirsync_bridge.parse.body import Row
from dirsync_bridge.problem_rows import Listed, listing_digest

from ..reportgen import report_email
from .test_streamed_ingest import T0, _config

ROWS = [(f"u{n}@contoso.com", f"row {n}") for n in range(30)]


def _named_each_day(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, days: list[list[tuple[str, str]]]
) -> list[int]:
    """The problems named from their rows (``listed_in_chunks``) by each day's report."""
    named: list[int] = []
    real = ingest.listed_in_chunks

    def counting(*args: Any, **kwargs: Any) -> Iterator[Listed]:
        for chunk in real(*args, **kwargs):
            named[-1] += len(chunk.digests)
            yield chunk

    monkeypatch.setattr(ingest, "listed_in_chunks", counting)
    config = _config(tmp_path)
    for day, shown in enumerate(days):
        path = tmp_path / f"{day}.eml"
        path.write_bytes(report_email("Contoso", T0 + timedelta(days=day), shown, f"m{day}@x"))
        named.append(0)
        assert pipeline.replay([path], config, env={}).parsed == 1
    return named


def test_a_report_in_the_rows_of_the_newest_names_none_of_its_problems(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    changed = [*ROWS[:7], (ROWS[7][0], "other"), *ROWS[8:]]
    days = [ROWS, ROWS, ROWS, changed, changed, ROWS]
    assert _named_each_day(monkeypatch, tmp_path, days) == [30, 0, 0, 30, 0, 30]


def test_without_digests_every_report_names_its_problems(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Directories looked up (no mark): holders may change while the rows stay."""
    monkeypatch.setattr(ingest, "rows_mark", lambda _enricher: None)
    assert _named_each_day(monkeypatch, tmp_path, [ROWS, ROWS]) == [30, 30]


ROW_SET: list[Row] = [("u1@contoso.com", "OID1", "m1"), ("u2@contoso.com", "", "m2")]


@pytest.mark.parametrize(
    ("mark", "rows", "identities"),
    [
        ("other code/plain", ROW_SET, {}),
        ("code/rules", ROW_SET, {}),
        ("code/plain", ROW_SET[::-1], {}),  # the same rows in another order
        ("code/plain", [ROW_SET[0], ("u2@contoso.com", "", "m2 ")], {}),
        ("code/plain", ROW_SET[:1], {}),
        ("code/plain", [*ROW_SET, ROW_SET[1]], {}),
        ("code/plain", ROW_SET, {"OID9": "u9@contoso.com"}),  # an object id known otherwise
    ],
)
def test_the_listing_digest_changes_with_the_code_any_row_their_order_or_the_identities(
    mark: str, rows: list[Row], identities: dict[str, str]
) -> None:
    base = listing_digest("code/plain", ROW_SET, {})
    assert listing_digest("code/plain", list(ROW_SET), {}) == base
    assert listing_digest(mark, rows, identities) != base


@pytest.mark.parametrize("had_it", [False, True])
def test_a_ledger_that_ran_the_listings_before_listed_in_gains_it(
    tmp_path: Path, had_it: bool
) -> None:
    """Builds of main between releases ran ``0010-listings`` without ``problems.listed_in``,
    then with it: both ledgers open and gain it once (``0011-listed-in``), neither taken
    for damaged (from the second and third reviews of the listings)."""
    config = _config(tmp_path)
    for day in (0, 1):
        path = tmp_path / f"{day}.eml"
        path.write_bytes(report_email("Contoso", T0 + timedelta(days=day), ROWS, f"m{day}@x"))
        if day == 1:  # the ledger as such a 0010-listings left it
            conn = sqlite3.connect(config.state.path)
            if not had_it:
                conn.execute("ALTER TABLE problems DROP COLUMN listed_in")
            conn.execute("DELETE FROM migrations WHERE name = '0011-listed-in'")
            conn.commit()
            conn.close()
        assert pipeline.replay([path], config, env={}).parsed == 1
    conn = sqlite3.connect(config.state.path)
    try:
        listed_in = {row[0] for row in conn.execute("SELECT listed_in FROM problems")}
        newest = conn.execute("SELECT MAX(rowid) FROM reports").fetchone()[0]
    finally:
        conn.close()
    assert listed_in == {newest}  # each found in day 1's rows, read row by row
