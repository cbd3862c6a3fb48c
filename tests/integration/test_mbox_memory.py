"""Memory for an mbox of many tiny messages (rev25, 6): bounded by the largest message,
never by how many the archive holds (issue 12).

Before: the mbox was indexed into a list of ``(start, stop)`` tuples before its first
message was read (200,000 messages of 7 bytes, a 1.4 MB file: a 24 MB peak), and ``parse``
kept every rejection in a list until the end (1,000,000 empty messages, 6.7 MB: 826 MB
RSS). Now the messages are found as they are read, and the rejections waiting to be named
after the output are spooled to a temporary file past a fixed amount.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

from dirsync_bridge.sources import mbox

SRC = Path(__file__).resolve().parents[2] / "src"
TINY = b"From \n\n"
"""An envelope line and an empty message: the most messages a byte of archive can hold."""
_SMALL_PARENT = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Starts the command from a small process and writes its peak RSS (KiB). A child's
``ru_maxrss`` also counts the pages of its parent it held between fork and exec: started
from the test's own process, some 290 MiB once a whole suite has run, far above the bound."""


def test_finding_the_messages_of_an_mbox_keeps_none_of_them(tmp_path: Path) -> None:
    """200,000 messages: the scan's peak is a small constant (it was 24 MB, ~17x the
    file, and grew with every message)."""
    path = tmp_path / "tiny.mbox"
    path.write_bytes(TINY * 200_000)
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            found = sum(1 for _ in mbox.spans(handle))
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == 200_000
    assert peak < 256 * 1024, f"scan peak {peak / 2**20:.1f} MiB"
    with path.open("rb") as handle:
        assert mbox.count(handle) == 200_000  # a progress bar's total, counted the same way


def test_the_spans_of_an_mbox_are_found_while_it_is_read_between_them(tmp_path: Path) -> None:
    """The reader moves the file between two spans (to read a message): the scan goes on
    from where it was, and finds what a scan on its own finds."""
    path = tmp_path / "mixed.mbox"
    path.write_bytes(b"From a\nx\n\nFrom b\n\nFrom c\nyy\nFrom d long" + b"e" * 70_000 + b"\nz\n")
    with path.open("rb") as handle:
        alone = list(mbox.spans(handle))
        read: list[tuple[int, int]] = []
        for start, stop in mbox.spans(handle):
            handle.seek(0)
            handle.read(3)
            read.append((start, stop))
    assert read == alone
    data = path.read_bytes()
    assert [data[a:b] for a, b in alone] == [b"x\n", b"", b"yy\n", b"z\n"]


def test_parse_of_an_mbox_of_tiny_messages_stays_within_bounded_memory(tmp_path: Path) -> None:
    """150,000 empty messages (1 MB), each rejected and named on stderr: the child's peak
    RSS stays under 100 MiB (a bare ``parse`` of one message takes some 40 MiB; this one
    took ~160 MiB before, growing ~0.8 KB a message). Measured for that child alone, started
    from a small parent (``_SMALL_PARENT``)."""
    (tmp_path / "tiny.mbox").write_bytes(TINY * 150_000)
    env = {**os.environ, "PYTHONPATH": str(SRC), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    with (tmp_path / "out").open("wb") as out, (tmp_path / "err").open("wb") as err:
        command = [sys.executable, "-m", "dirsync_bridge", "parse", "tiny.mbox"]
        child = subprocess.run(
            [sys.executable, "-c", _SMALL_PARENT, str(tmp_path / "peak"), *command],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=err,
            check=False,
        )
    errors = (tmp_path / "err").read_text().splitlines()
    assert child.returncode == 1, errors[-3:]
    assert len(errors) == 150_000  # each still named, after the output
    assert errors[-1] == "dirsync-bridge: rejected tiny.mbox#150000: empty: the input is empty"
    assert (tmp_path / "out").read_text().splitlines()[-1] == (
        "150000 messages: 0 parsed (0 errors), 150000 rejected"
    )
    peak_kib = int((tmp_path / "peak").read_text())
    assert peak_kib < 100 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"
