"""Report emails whose text repeats something a megabyte over parse at once.

Each of these held a parse for minutes (over 120 s each, measured before the fix; hours at
the 25 MiB ``max_message_bytes`` allows), every pass that read the message again: a folded
Date header of 1 MB of spaces, "completed on " repeated without a tenant after it, a table
line of runs of spaces and tabs, 100,000 forward markers, a forwarded From of 1 MB of one
letter. No timing: at these sizes the quadratic scans do not end within the test run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..conftest import FIXTURE_CONFIG, REPORTS

CLI = [sys.executable, "-m", "dirsync_bridge"]
PLAIN = (REPORTS / "aadsync_plaintext_only.eml").read_text()
FORWARD = (REPORTS / "forward_inline_gmail.eml").read_text()
MICROSOFT = "Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>"

HOSTILE = {
    "folded-date": re.sub(
        r"(?m)^Date: .*$", "Date: \n" + (" " * 76 + "\n") * 13_000 + " x", PLAIN, count=1
    ),
    "completed-on": PLAIN.replace(
        "Hello Grady Archie,", "Hello, for tenant\n\n" + "completed on " * 80_000 + "\n", 1
    ),
    "table-line": PLAIN.replace(
        "grady.archie@contoso.com\n\nUnable",
        "grady.archie@contoso.com |" + " " * 3000 + "x" + " \t" * 200_000 + "y\n\nUnable",
        1,
    ),
    "forward-markers": FORWARD.replace("FYI, errors", "__________\n" * 100_000 + "FYI", 1),
    "forwarded-from": FORWARD.replace(f"From: {MICROSOFT}", "From: " + "a" * 1_000_000, 1),
}


def parse_json(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [*CLI, "--config", str(FIXTURE_CONFIG), "parse", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    (got,) = json.loads(done.stdout)
    assert isinstance(got, dict)
    return got


@pytest.mark.parametrize("name", ["folded-date", "completed-on", "table-line", "forward-markers"])
def test_a_report_repeating_something_a_megabyte_over_parses(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.eml"
    path.write_text(HOSTILE[name])
    got = parse_json(path)
    assert got["status"] == "parsed", got["reason"]
    assert got["errors"]
    if name == "folded-date":
        assert got["sent_at"] is None
    if name == "forward-markers":
        assert (got["sender"], got["tenant"]) == (
            "msonlineservicesteam@microsoftonline.com",
            "Contoso",
        )


def test_a_forwarded_from_of_a_megabyte_of_one_letter_is_no_sender(tmp_path: Path) -> None:
    path = tmp_path / "forwarded-from.eml"
    path.write_text(HOSTILE["forwarded-from"])
    got = parse_json(path)
    assert got["status"] == "rejected"
    assert got["reason"].startswith("untrusted-sender: forwarded report's original sender (none)")
