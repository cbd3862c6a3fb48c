"""Golden files: every export fixture parses, by content, to the JSON saved beside it.

The expected JSON was written by hand (fixtures/tools/make_exports.py) from the contract
(design.md sections 2 and 9) and the documented export shapes, not copied from the parser's
output. For rejected inputs the wording of the reason may change; its code may not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dirsync_bridge.parse.detect import parse_input

from ..conftest import ROOT
from .test_golden import comparable

EXPORTS = ROOT / "fixtures" / "exports"
CASES = sorted(p for p in EXPORTS.iterdir() if p.suffix in (".xml", ".evtx"))
INDEX = (EXPORTS / "INDEX.md").read_text(encoding="utf-8")


def test_the_corpus_covers_each_export_kind_each_with_its_golden_file() -> None:
    assert [p.name for p in CASES if not p.with_suffix(".json").is_file()] == []
    names = [p.name for p in CASES]
    for prefix in ("csexport_", "eventlog_", "evtx_", "hostile_", "real_"):
        assert any(name.startswith(prefix) for name in names), prefix
    assert len(CASES) >= 20


def test_the_index_lists_every_fixture_with_its_provenance() -> None:
    for path in CASES:
        row = next(
            (line for line in INDEX.splitlines() if line.startswith(f"| `{path.name}`")), None
        )
        assert row is not None, path.name
        assert any(word in row for word in ("reconstructed", "REAL", "derived")), row


def test_every_reconstructed_xml_file_says_so_and_names_its_sample() -> None:
    for path in CASES:
        if path.suffix != ".xml" or not path.name.startswith(("csexport_", "eventlog_")):
            continue
        text = path.read_bytes().decode(
            "utf-16" if path.read_bytes()[:2] == b"\xff\xfe" else "utf-8"
        )
        assert "RECONSTRUCTED" in text and "follows" in text, path.name


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_export_fixture_parses_to_its_golden_json(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    result = parse_input(path.read_bytes(), str(path.relative_to(ROOT)))
    assert comparable(result.to_json_dict()) == comparable(expected)
