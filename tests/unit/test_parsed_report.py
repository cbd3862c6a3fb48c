"""A report's errors made a batch at a time: the same report, the same JSON, byte for byte."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.models import Report
from dirsync_bridge.parse import catalog
from dirsync_bridge.parse.message import parse_message, read_message
from dirsync_bridge.parse.parsed_report import ParsedReport

from ..conftest import REPORTS, ROOT
from ..reportgen import LARGE, duplicate, report_email

FIXTURES = sorted(p for p in REPORTS.glob("*.eml") if p.stat().st_size)


def _big(rows: int) -> bytes:
    return report_email(
        "Contoso",
        datetime(2016, 1, 4, tzinfo=UTC),
        [
            (f"u{n}@contoso.com", LARGE if n % 2 else duplicate("Mail", f"u{n}@contoso.com"))
            for n in range(rows)
        ],
        "big@contoso.com",
    )


@pytest.mark.parametrize("eml", FIXTURES, ids=lambda p: p.stem)
def test_every_fixture_in_batches_is_the_report_and_json_made_whole(
    eml: Path, fixture_config: Config
) -> None:
    raw, source = eml.read_bytes(), str(eml.relative_to(ROOT))
    parsed = read_message(raw, source, fixture_config.trust, fixture_config.parse)
    whole = parse_message(raw, source, fixture_config.trust, fixture_config.parse)
    if not isinstance(parsed, ParsedReport):
        assert parsed == whole
        return
    assert isinstance(whole, Report)
    assert parsed.report() == whole
    assert tuple(parsed.errors()) == whole.errors
    assert b"".join(parsed.json_chunks()) == whole.to_json()


def test_a_large_reports_errors_are_made_a_batch_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed = read_message(_big(1234), "big.eml")
    assert isinstance(parsed, ParsedReport)
    whole = parsed.report()
    made: list[int] = []
    validate = Report.model_validate

    def counting(data: Any, **kwargs: Any) -> Report:
        made.append(len(data.get("errors", ())))
        return validate(data, **kwargs)

    monkeypatch.setattr(Report, "model_validate", counting)
    chunks = parsed.json_chunks()
    first = next(chunks)
    assert made == []  # the report's opening is written before any error is made
    rest = list(chunks)
    assert made == [500, 500, 234]
    assert first + b"".join(rest) == whole.to_json()


def test_a_repeated_message_is_kept_once_and_classified_once() -> None:
    catalog.remembered.cache_clear()
    parsed = read_message(_big(40), "big.eml")
    assert isinstance(parsed, ParsedReport)
    large = [row.message for row in parsed.rows if row.message.startswith("The provisioned")]
    assert len(large) == 20
    assert all(text is large[0] for text in large)
    parsed.report()
    assert catalog.remembered.cache_info().hits >= 19


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of each collection the cyclic collector runs meanwhile."""
    ran: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            ran.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield ran
    finally:
        gc.callbacks.remove(note)


def test_a_large_reports_json_is_made_without_the_collector_scanning_it(
    collections: list[int],
) -> None:
    # Each batch's models are freed before the next by reference counting: the collector
    # re-scanning them (and every other object) was a tenth of the JSON output's time. At
    # most one young collection a batch, as the collector is turned on again after it.
    parsed = read_message(_big(1234), "big.eml")
    assert isinstance(parsed, ParsedReport)
    whole = parsed.report().to_json()
    gc.collect()
    collections.clear()
    assert b"".join(parsed.json_chunks()) == whole
    assert len(collections) <= 3, collections  # 3 batches: 500, 500, 234
    assert gc.isenabled()


def test_a_reports_json_leaves_the_collector_alone_while_other_threads_run(
    collections: list[int],
) -> None:
    # The switch is process-wide: a thread working meanwhile keeps its collector.
    parsed = read_message(_big(1234), "big.eml")
    assert isinstance(parsed, ParsedReport)
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        collections.clear()
        chunks = list(parsed.json_chunks())
    finally:
        release.set()
        worker.join()
    assert chunks and collections != []
    assert gc.isenabled()
