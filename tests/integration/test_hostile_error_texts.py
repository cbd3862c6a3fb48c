"""An error text of one phrase repeated to megabytes parses, through an export and an email.

The catalogue's searches were quadratic in how often their opening phrase repeated: a 272 KB
export took 54 s, 1 MB about 12 minutes. No timing here: 2 MB, which the quadratic searches
would read for well over an hour, parses in about a second (tests/unit/test_catalog_linear.py
has the pure cases and the oracles).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ..conftest import ROOT
from ..reportgen import duplicate, report_email

CLI = [sys.executable, "-m", "dirsync_bridge"]
EXPORT = ROOT / "fixtures" / "exports" / "csexport_several_objects_kinds.xml"


def parse_json(path: Path) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    done = subprocess.run(
        [*CLI, "parse", "--tenant", "Contoso", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    (got,) = json.loads(done.stdout)
    return got, done


def with_first(tag: str, value: str, tmp_path: Path, name: str) -> Path:
    """The csexport fixture with the first ``<tag>``'s text replaced by ``value``."""
    src = EXPORT.read_text()
    m = re.search(rf"<{tag}>(.*?)</{tag}>", src, re.S)
    assert m is not None
    path = tmp_path / name
    path.write_text(src[: m.start(1)] + value + src[m.end(1) :])
    return path


@pytest.mark.parametrize("phrase", ["because the attribute ", "already exists in "])
def test_an_export_error_text_of_a_phrase_repeated_to_2_mb_parses(
    tmp_path: Path, phrase: str
) -> None:
    path = with_first("error-literal", phrase * (2_000_000 // len(phrase)), tmp_path, "big.xml")
    got, done = parse_json(path)
    assert got["status"] == "parsed", (got["reason"], done.stderr)
    assert len(got["errors"]) == 7  # the record names its kind: the text is only kept


def test_an_email_row_of_a_phrase_repeated_to_2_mb_parses(tmp_path: Path) -> None:
    # The mailbox path: such a message would hold every pass for as long as it parses.
    rows = [
        ("ann@contoso.com", duplicate("Mail", "ann@contoso.com")),
        ("bob@contoso.com", "because the attribute " * (2_000_000 // 22)),
    ]
    path = tmp_path / "big.eml"
    path.write_bytes(report_email("Contoso", datetime(2024, 1, 2, tzinfo=UTC), rows, "big@t"))
    got, done = parse_json(path)
    assert got["status"] == "parsed", (got["reason"], done.stderr)
    assert [e["kind"] for e in got["errors"]] == ["AttributeValueMustBeUnique", "Unknown"]
