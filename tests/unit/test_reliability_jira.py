"""docs/reliability.md, Jira section: every test a row names exists."""

from __future__ import annotations

import re

from ..conftest import ROOT

NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def test_every_test_named_in_the_jira_rows_exists() -> None:
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    section = text.split("\n## Jira\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`tests/" in line]
    assert len(rows) >= 20
    for row in rows:
        nodes = NODE.findall(row)
        assert nodes, row
        for path, name in nodes:
            source = (ROOT / path).read_text(encoding="utf-8")
            assert f"def {name}(" in source, f"{path}::{name}"
