"""Hostile review rev20, fix 1 (lone surrogates -> U+FFFD): the csexport XML side.

The same lone surrogate is U+FFFD when it sits in ``extra-error-details`` JSON (``\\ud800``), but
as an XML character reference (``&#xD800;``) in an attribute value the whole export is refused
as malformed XML: every other error of the file is never ticketed, on every rerun.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..conftest import ROOT

EXPORT = ROOT / "fixtures" / "exports" / "csexport_several_objects_kinds.xml"


def _parse(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "dirsync_bridge",
            "parse",
            "--tenant",
            "T",
            "--format",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ.copy(),
        timeout=120,
    )


def test_json_details_surrogate_is_replacement_character(tmp_path: Path) -> None:
    text = EXPORT.read_text(encoding="utf-8").replace(
        '["smtp:tax@contoso.com"]', '["smtp:tax\\ud800@contoso.com"]', 1
    )
    (tmp_path / "x.xml").write_text(text, encoding="utf-8")
    done = _parse(tmp_path / "x.xml", tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["status"] == "parsed"
