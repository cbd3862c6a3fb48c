"""``parse --format json`` stopped by a signal: what it wrote is still one JSON document.

The array is streamed a message at a time (memory follows the largest message, not the
run), so a signal used to leave it cut in the middle (no closing ``]``), which a script
reading standard output cannot parse. Now the message being written is finished and the
array closed over what was written; the exit code (130) and the one line stay.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..reportgen import duplicate, report_email

CLI = [sys.executable, "-m", "dirsync_bridge"]
MESSAGES = 3000


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_parse_json_interrupted_mid_array_leaves_valid_json_of_what_was_parsed(
    tmp_path: Path, signum: signal.Signals
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(MESSAGES):
        rows = [(f"u{n}@contoso.com", duplicate("Mail", f"u{n}@contoso.com"))]
        (folder / f"{n:05}.eml").write_bytes(
            report_email("Contoso", start + timedelta(hours=n), rows, f"{n}@t")
        )
    out = tmp_path / "out.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
    with (
        out.open("wb") as sink,
        subprocess.Popen(
            [*CLI, "parse", "--format", "json", str(folder)],
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        ) as process,
    ):
        deadline = time.monotonic() + 60  # a guard against a hang, not a measure
        while out.stat().st_size < 20_000:
            assert process.poll() is None, "parse ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    parsed = json.loads(out.read_text())
    assert isinstance(parsed, list) and 0 < len(parsed) < MESSAGES
    assert all(isinstance(report, dict) and report.get("errors") for report in parsed)
