"""Golden files: every fixture report parses to the JSON saved beside it.

The expected JSON was written by hand from the contract (design.md section 2), not copied
from the parser's output. For rejected mail the wording of the reason may change; its code
(the part before the first colon) may not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.parse.message import parse_message

from ..conftest import REPORTS, ROOT

CASES = sorted(REPORTS.glob("*.eml"))


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """The record with a rejection reason reduced to its code."""
    if data.get("reason"):
        return {**data, "reason": data["reason"].split(":", 1)[0]}
    return data


def test_the_corpus_has_at_least_30_reports_each_with_its_golden_file() -> None:
    assert len(CASES) >= 30
    assert [p.name for p in CASES if not p.with_suffix(".json").is_file()] == []


@pytest.mark.parametrize("eml", CASES, ids=lambda p: p.stem)
def test_fixture_parses_to_its_golden_json(eml: Path, fixture_config: Config) -> None:
    expected = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
    source = str(eml.relative_to(ROOT))
    result = parse_message(eml.read_bytes(), source, fixture_config.trust, fixture_config.parse)
    assert comparable(result.to_json_dict()) == comparable(expected)


ERROR_KEYS = [
    "kind",
    "kind_stated",
    "identity",
    "object_id",
    "conflicts",
    "invalid_attribute",
    "tracking_id",
    "message",
]


@pytest.mark.parametrize("eml", CASES, ids=lambda p: p.stem)
def test_the_printed_json_is_the_golden_object_with_keys_in_contract_order(
    eml: Path, fixture_config: Config
) -> None:
    expected = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
    source = str(eml.relative_to(ROOT))
    result = parse_message(eml.read_bytes(), source, fixture_config.trust, fixture_config.parse)
    printed = json.loads(result.to_json())
    assert comparable(printed) == comparable(expected)
    assert list(printed) == list(result.to_json_dict())
    assert all(list(error) == ERROR_KEYS for error in printed["errors"])
