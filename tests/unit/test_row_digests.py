"""A problem listed in the rows its last sighting was made of is recorded without its
sighting being made again (``problem_rows``, ``StateLedger._unchanged``), and the ledger ends
exactly as if every sighting had been made."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge import code_mark, ingest, pipeline
from dirsync_bridge.config.settings import Config
from dirsync_bridge.enrich.enricher import Enricher
from dirsync_bridge.parse.message import read_message
from dirsync_bridge.parse.parsed_report import ParsedReport
from dirsync_bridge.problem import sightings
from dirsync_bridge.problem_rows import listed_in_chunks

from ..conftest import REPORTS, ROOT
from ..integration.digest_histories import PROBLEM_DIGEST_COLUMNS as DIGEST_COLUMNS
from ..reportgen import report_email
from .test_streamed_ingest import T0, _config, _replayed, _rows, counting_sightings

# Days as read: late archives among them, then the same rows again on later days (a stable
# tenant's daily report), some problems changed, some back in the rows they had before.
READS = [
    (0, 0),
    (2, 2),
    (3, 3),
    (1, 1),
    (5, 5),
    (4, 4),
    (10, 5),
    (11, 5),
    (12, 3),
    (13, 3),
    (14, 5),
    (9, 0),  # an archive, late, in rows seen before
    (15, 5),
]


def _replay(state: Path, mail: Path) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """The tables after the reads, but what only the shortcuts keep (the problems' last
    columns, added by migrations 0009-row-digests and 0011-listed-in, and the reports' digest
    of their rows, by 0010-listings: NULL without digests)."""
    for day, rows in READS:
        email = report_email("Contoso", T0 + timedelta(days=day), _rows(rows, 80), f"r{day}@x")
        (mail / f"{day}.eml").write_bytes(email)
    dumps = _replayed(mail, state, [day for day, _rows_shown in READS])
    problems = dumps["state.db"]["problems"]
    dumps["state.db"]["problems"] = [row[: -len(DIGEST_COLUMNS)] for row in problems]
    dumps["state.db"]["reports"] = [row[:-1] for row in dumps["state.db"]["reports"]]
    return dumps


def test_a_replay_with_rows_digests_ends_as_one_that_makes_every_sighting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "mail").mkdir()
    made = counting_sightings(monkeypatch)
    monkeypatch.setattr(ingest, "rows_mark", lambda _enricher: None)
    every = _replay(tmp_path / "every", tmp_path / "mail")
    all_made = sum(made)
    monkeypatch.undo()
    made = counting_sightings(monkeypatch)
    digested = _replay(tmp_path / "digested", tmp_path / "mail")
    assert every["state.db"]["problems"] and every["state.db"]["local_tickets"]
    assert digested == every
    # The shortcut was taken: far fewer sightings made (each report's new and changed ones).
    assert sum(made) < all_made * 2 // 3


def test_a_report_in_the_same_rows_makes_no_sighting_and_a_changed_row_makes_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    changed = [*ROWS[:7], (ROWS[7][0], "other"), *ROWS[8:]]
    assert _made_each_day(monkeypatch, tmp_path, [ROWS, ROWS, changed]) == [30, 0, 1]


def test_directories_looked_up_make_every_sighting() -> None:
    class Looking(Enricher):
        @property
        def active(self) -> bool:
            return True

    assert ingest.rows_mark(Looking()) is None  # holders may change while the rows stay
    assert ingest.rows_mark(None) != ingest.rows_mark(Enricher())  # rules add facts
    assert ingest.rows_mark(Enricher()) is not None


@pytest.mark.parametrize("eml", sorted(REPORTS.glob("*.eml")), ids=lambda p: p.stem)
def test_every_fixtures_problems_are_named_from_plain_rows_as_from_their_errors(
    eml: Path,
) -> None:
    found = read_message(eml.read_bytes(), str(eml.relative_to(ROOT)))
    if not isinstance(found, ParsedReport):
        return
    listed = list(listed_in_chunks(found, "k", 1, mark="m"))
    whole = sightings(found.report(), "k")
    assert [fp for chunk in listed for fp in chunk.digests] == [
        s.problem.fingerprint for s in whole
    ]
    assert all(digest is not None for chunk in listed for digest in chunk.digests.values())


def test_a_ledger_from_before_digests_makes_every_sighting_once_then_keeps_digests(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Migration 0009-row-digests adds the columns empty (NULL): as a ledger written before."""

    def forget_digests(config: Config) -> None:
        conn = sqlite3.connect(config.state.path)
        conn.execute(f"UPDATE problems SET {', '.join(f'{c} = NULL' for c in DIGEST_COLUMNS)}")
        conn.commit()
        conn.close()

    made = _made_each_day(monkeypatch, tmp_path, [ROWS] * 3, after_first=forget_digests)
    assert made == [30, 30, 0]


ROWS = [(f"u{n}@contoso.com", f"row {n}") for n in range(30)]


def _made_each_day(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    days: list[list[tuple[str, str]]],
    after_first: Callable[[Config], None] | None = None,
) -> list[int]:
    """The sightings made by each day's report of these rows, replayed one a day."""
    made = counting_sightings(monkeypatch)
    config = _config(tmp_path)
    counts = []
    for day, shown in enumerate(days):
        path = tmp_path / f"{day}.eml"
        path.write_bytes(report_email("Contoso", T0 + timedelta(days=day), shown, f"m{day}@x"))
        made.clear()
        assert pipeline.replay([path], config, env={}).parsed == 1
        counts.append(sum(made))
        if day == 0 and after_first is not None:
            after_first(config)
    return counts


def test_the_code_digest_changes_with_any_source_and_is_none_when_one_cannot_be_read(
    tmp_path: Path,
) -> None:
    """Digests kept by one release are not trusted by another (nor by an edited source
    tree): the package's version stayed 0.1.0 through every change of the parser."""
    package = tmp_path / "dirsync_bridge"
    (package / "parse").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "parse" / "catalog.py").write_text("RULE = 'a'\n")
    before = code_mark.code_digest(package)
    assert before is not None and before == code_mark.code_digest(package)
    (package / "parse" / "catalog.py").write_text("RULE = 'b'\n")
    assert code_mark.code_digest(package) not in (None, before)
    (package / "parse" / "broken.py").mkdir()  # unreadable as a file
    assert code_mark.code_digest(package) is None
    assert ingest.rows_mark(None) is not None  # this tree's own sources are read
