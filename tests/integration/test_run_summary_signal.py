"""A signal while a pass's ``run-summary`` line is written (from the rev25 review).

fixops moved the line to ``exits.run_command``, after ``interrupt.done()``: SIGINT and
SIGTERM were ignored by then. A stderr that stalls right then (a log pipe whose reader hung:
``2>&1 | logger``, a stuck journald stream) left a process whose pass had ended blocked in
write(2) for good: ``systemctl stop`` or a cron wrapper's ``timeout`` could not end it. Now
the line is written before ``done``, and a signal bounds it by the grace of every closing
line (``interrupt.DEFER_GRACE``): the process ends 130. A signal while a stderr that reads
takes the line changes nothing: the line is whole, last, and its exit code stands.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..conftest import REPORTS
from .test_run_summary_closing import MAIL, STATE, closing, run

SRC = Path(__file__).resolve().parents[2] / "src"
F_SETPIPE_SZ = 1031
HANG = 60
"""Seconds after which a process still running is taken for stuck (it ends in about 2)."""


def _stalled_pipe() -> tuple[int, int]:
    """A pipe whose reader stopped reading: 16 bytes of room left, less than any log line."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, F_SETPIPE_SZ, 4096)
    os.write(write_end, b"x" * (4096 - 16))
    return read_end, write_end


@contextmanager
def _replay_on_a_stalled_stderr(
    tmp_path: Path, report: str, **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``replay`` of ``report`` into a new local store, JSON logs on a ``_stalled_pipe``, in a
    process of its own with ``env`` added (killed on the way out if it still runs)."""
    (tmp_path / "state").mkdir()
    config = tmp_path / "c.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    read_end, write_end = _stalled_pipe()
    child = subprocess.Popen(
        [
            *(sys.executable, "-m", "dirsync_bridge", "--config", str(config)),
            *("--log-format", "json", "replay", "--sink", "local", report),
        ],
        stdout=subprocess.DEVNULL,
        stderr=write_end,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC")},
            "PYTHONPATH": str(SRC),
            **env,
        },
    )
    os.close(write_end)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(read_end)


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_ends_a_pass_whose_summary_line_is_stuck_on_a_stalled_stderr(
    tmp_path: Path, signal_name: str
) -> None:
    """The signal comes as the line is about to be written (a crash point sends it): the
    write then blocks, and the process must still end, 130."""
    report = str(sorted(REPORTS.glob("*.eml"))[0])
    crash_at = f"run-summary:1:{signal_name}"
    with _replay_on_a_stalled_stderr(tmp_path, report, DIRSYNC_BRIDGE_CRASH_AT=crash_at) as child:
        try:
            code = child.wait(timeout=HANG)
        except subprocess.TimeoutExpired:
            wchan = Path(f"/proc/{child.pid}/wchan").read_text()
            raise AssertionError(
                f"{signal_name} ignored: still running, blocked in {wchan!r} (its pass "
                "ended; the run-summary write on stderr never returns)"
            ) from None
        assert code == 130


@pytest.mark.slow
def test_sigterm_ends_a_pass_whose_summary_line_is_already_blocked_on_a_stalled_stderr(
    tmp_path: Path,
) -> None:
    """The review's case: SIGTERM comes while the write is blocked (no crash point). The
    pass writes no other line before its summary (JSON, warnings only): the first write
    that blocks is the summary's."""
    with _replay_on_a_stalled_stderr(tmp_path, MAIL) as child:
        wchan = Path(f"/proc/{child.pid}/wchan")
        for _ in range(HANG * 20):  # until it blocks writing to the pipe (a guard, not a pace)
            if child.poll() is not None or "pipe_write" in wchan.read_text():
                break
            time.sleep(0.05)
        assert child.poll() is None, "not blocked: the set-up did not reach the summary"
        child.send_signal(signal.SIGTERM)
        try:
            code = child.wait(timeout=HANG)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"SIGTERM ignored: still running, blocked in {wchan.read_text()!r}"
            ) from None
        assert code == 130


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_while_the_summary_line_is_written_changes_nothing(
    tmp_path: Path, signal_name: str
) -> None:
    """stderr reads: the line is written whole, it is the last, and the pass's code stands."""
    done = run(
        tmp_path, STATE, "replay", MAIL, DIRSYNC_BRIDGE_CRASH_AT=f"run-summary:1:{signal_name}"
    )
    last = closing(done, 0)
    assert last["counts"]["tickets"]["created"] == 3
    assert "interrupted" not in done.stderr
