"""From a hostile review: SIGINT while ``parse --format json`` writes one large report (a 20 MB
report within the default max_message_bytes, some 30 MB of JSON) to a reader that IS
reading, only slower than the tool (8 MB/s: gzip over a slow disk, ssh, a log shipper).
Before b471b0a the item being written was finished and the array closed ("what was written
is still one JSON document"); now the deferred part is cut after DEFER_GRACE (2 s) and the
flush dropped after 2 s more, so a reader that never stalled gets a document cut in a
string. Should: a reader that keeps reading gets a whole JSON document (exit 130).
Now each pipe's worth taken gives the reader another grace: the item is finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ..reportgen import duplicate, report_email

CLI = [sys.executable, "-m", "dirsync_bridge"]


@pytest.fixture(scope="module")
def big_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [(f"u{n}@contoso.com", duplicate("Mail", f"u{n}@contoso.com")) for n in range(42000)]
    path = tmp_path_factory.mktemp("big") / "big.eml"
    path.write_bytes(report_email("Contoso", datetime(2024, 1, 1, tzinfo=UTC), rows, "big@t"))
    assert path.stat().st_size < 26214400
    return path


@pytest.mark.slow
@pytest.mark.parametrize("rate_mb_s", [8, 40, 0])
def test_sigint_with_a_reader_that_keeps_reading_leaves_one_json_document(
    tmp_path: Path, big_report: Path, rate_mb_s: int
) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text(f'[state]\npath = "{tmp_path / "state.db"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
    chunk = 256 * 1024
    pause = chunk / (rate_mb_s * 1024 * 1024) if rate_mb_s else 0.0
    with subprocess.Popen(
        [*CLI, "--config", str(conf), "parse", "--format", "json", str(big_report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as p:
        assert p.stdout is not None and p.stderr is not None
        got: list[bytes] = []
        total = 0
        signalled = False
        while True:
            data = p.stdout.read1(chunk)
            if not data:
                break
            got.append(data)
            total += len(data)
            if not signalled and total > 4 * 1024 * 1024:
                p.send_signal(signal.SIGINT)
                signalled = True
            time.sleep(pause)
        err = p.stderr.read().decode()
        p.wait(timeout=60)
    out = b"".join(got)
    assert p.returncode in (0, 130), err
    json.loads(out)  # one JSON document, whole
