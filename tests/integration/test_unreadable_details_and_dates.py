"""Unreadable details and dates cost only themselves, never the file they are in.

A csexport record's extra-error-details nested deeper than ``json`` can recurse, a time or
a Date header that overflows only once converted to UTC: the file still parses, with every
good record in it, the details or the date left out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ..conftest import ROOT
from ..reportgen import _email, duplicate, report_html
from .test_hostile_error_texts import EXPORT, parse_json, with_first

REPORT = ROOT / "fixtures" / "reports" / "aadsync_th_thead.eml"


@pytest.mark.parametrize("depth", [1100, 100_000])
def test_deeply_nested_json_in_one_records_extra_details_loses_only_those_details(
    tmp_path: Path, depth: int
) -> None:
    # Invalid JSON there was always tolerated; JSON past the recursion limit rejected the
    # whole export as malformed-xml (RecursionError), every good record with it.
    broken = with_first("extra-error-details", "[[[{not json", tmp_path, "invalid.xml")
    deep = with_first("extra-error-details", "[" * depth + "]" * depth, tmp_path, "deep.xml")
    ok, _ = parse_json(broken)
    assert ok["status"] == "parsed" and len(ok["errors"]) == 7, ok
    got, done = parse_json(deep)
    assert got["status"] == "parsed", (got["reason"], done.stderr)
    assert [e["kind"] for e in got["errors"]] == [e["kind"] for e in ok["errors"]]


@pytest.mark.parametrize("when", ["9999-12-31 23:59:59.000-01:00", "0001-01-01T00:00:00+01:00"])
def test_an_export_time_past_the_ends_of_time_in_utc_leaves_the_record_undated(
    tmp_path: Path, when: str
) -> None:
    src = EXPORT.read_text()
    path = tmp_path / "when.xml"
    path.write_text(
        src.replace('date-occurred="2026-07-16 03:58:12.000"', f'date-occurred="{when}"', 1)
    )
    got, done = parse_json(path)
    assert got["status"] == "parsed", (got["reason"], done.stderr)
    assert len(got["errors"]) == 7


@pytest.mark.parametrize(
    "date", ["Fri, 31 Dec 9999 23:59:59 -0100", "Sat, 1 Jan 0001 00:00:00 +0100"]
)
def test_a_date_header_past_the_ends_of_time_in_utc_does_not_reject_the_report(
    tmp_path: Path, date: str
) -> None:
    # Other unreadable dates (32 Jan, +9999) leave sent_at null; this one overflowed only
    # in the conversion to UTC and rejected the trusted report as malformed-mime.
    src = REPORT.read_bytes()
    path = tmp_path / "d.eml"
    path.write_bytes(re.sub(rb"(?m)^Date: .*$", f"Date: {date}".encode(), src, count=1))
    got, done = parse_json(path)
    assert got["status"] == "parsed", (got["reason"], done.stderr)
    if date.startswith("Fri"):
        assert got["sent_at"] is None


def test_a_batch_run_sentence_dated_past_the_end_of_time_costs_only_its_date(
    tmp_path: Path,
) -> None:
    # Like the Date header above: "completed on Fri, 31 Dec 9999 23:59:59 -0100 for tenant
    # Contoso." overflowed in the conversion to UTC and rejected the report malformed-mime.
    html = report_html(
        "Contoso",
        datetime(2024, 1, 1, tzinfo=UTC),
        [("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))],
    ).replace("Monday, 01 January 2024 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 -0100")
    path = tmp_path / "end.eml"
    path.write_bytes(_email(html, datetime(2024, 1, 1, tzinfo=UTC), "end@x"))
    got, done = parse_json(path)
    assert got["status"] == "parsed", (got["reason"], done.stderr)
    assert len(got["errors"]) == 1, got
