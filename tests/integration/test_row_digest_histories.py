"""Targeted histories: the digested path must end as the every-sighting path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..reportgen import LARGE, duplicate
from .digest_histories import Step, both, diff, play

A = ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com"))
B = ("u2@contoso.com", "", LARGE)
C = ("", "OID3", duplicate("ProxyAddresses", "smtp:u3@contoso.com"))
C_NAMED = ("u3@contoso.com", "OID3", LARGE)


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, steps: list[Step]) -> None:
    every, digested = both(tmp_path, monkeypatch, steps)
    assert every["state.db"]["problems"]
    assert every == digested, diff(every, digested)


def test_sanity_same_rows_daily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path, monkeypatch, [Step(day=d, rows=[A, B, C]) for d in range(4)])


def test_an_upgrade_that_reads_rows_otherwise_makes_the_sightings_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release whose catalogue reads the same rows otherwise (here: the conflicting values
    of a duplicate found as a new parser would) makes the sightings again, as the
    every-sighting path does: digests kept by other code are not trusted. (The review's
    version of this test kept the mark, the package's version, 0.1.0 at every commit.)"""
    from dirsync_bridge import code_mark, ingest
    from dirsync_bridge.parse import catalog, parsed_report

    real = catalog.classify

    def upgraded(raw: str, stated: Any = None) -> Any:
        found = real(raw, stated)
        if found.conflicts:
            extra = {"attribute": "ProxyAddresses", "values": ("smtp:alias@contoso.com",)}
            return found._replace(conflicts=(*found.conflicts, extra))
        return found

    def run(folder: str, digests: bool) -> dict[str, Any]:
        with monkeypatch.context() as m:
            if not digests:
                m.setattr(ingest, "rows_mark", lambda _enricher: None)
            play(tmp_path / folder, [Step(day=0, rows=[A, B])])  # the old release
            m.setattr(parsed_report, "classify", upgraded)  # the new release: other code
            m.setattr(code_mark, "_this_code", lambda: "the new release")
            return play(tmp_path / folder, [Step(day=1, rows=[A, B])])

    every = run("every", False)
    digested = run("digested", True)
    assert every == digested, diff(every, digested)


def test_a_report_of_more_problems_than_a_chunk_ends_as_every_sighting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,200 problems (three chunks of 500, ``?NNN`` parameters past 500): the same rows
    on later days, some changed, one late archive."""
    rows = [(f"u{n}@contoso.com", f"OID{n}", LARGE) for n in range(1200)]
    changed = [
        *rows[:600],
        *((i, o, duplicate("Mail", i)) for i, o, _m in rows[600:610]),
        *rows[610:],
    ]
    steps = [
        Step(day=0, rows=rows),
        Step(day=1, rows=rows),
        Step(day=2, rows=changed),
        Step(day=3, rows=changed),
        Step(day=1, rows=rows[:900], msgid="late@x"),
        Step(day=4, rows=rows),
    ]
    check(tmp_path, monkeypatch, steps)


def test_the_newest_reports_rows_again_after_an_archive_in_other_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The newest report's rows again, after an archive that showed a problem in other words
    (the same details, other texts): the archive kept the digest of its own rows, so the
    next report is not taken as listing its problems as the newest did, and its history
    keeps the newest words (``TouchLedger._listed_as_before``)."""
    b_then = (B[0], B[1], LARGE + " Contact your administrator.")
    steps = [Step(day=10, rows=[A, B]), Step(day=9, rows=[A, b_then]), Step(day=11, rows=[A, B])]
    every, digested = both(tmp_path, monkeypatch, steps)
    texts = {row[1] for row in every["state.db"]["history_texts"]}
    assert any("Contact your administrator" in t for t in texts)  # other words, kept apart
    assert every == digested, diff(every, digested)
