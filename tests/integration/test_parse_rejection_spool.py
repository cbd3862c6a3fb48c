"""``parse`` when the temporary directory cannot take the rejections it spools past 1 MiB
(review rev28, 3): one line naming the directory, exit 75, never an internal error.

Before: "internal error (OSError: [Errno 27] File too large)", exit 70 (a full TMPDIR:
Errno 28), the table stopped part-way and no rejection named.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dirsync_bridge.errors import Retriable
from dirsync_bridge.models import Rejected
from dirsync_bridge.rejections import Rejections

SRC = Path(__file__).resolve().parents[2] / "src"


def _limit_file_size() -> None:
    # Any file the child writes stops at 256 KiB (EFBIG, as a full disk gives ENOSPC);
    # its stdout and stderr are pipes, not files.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


def test_a_temporary_directory_that_cannot_take_the_spool_is_not_an_internal_error(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "many.mbox"
    archive.write_bytes(b"From x@y Mon Jan  1 00:00:00 2018\n\n" * 20000)  # 20,000 empty
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC), "TMPDIR": str(spool_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "dirsync_bridge", "parse", str(archive)],
        env=env,
        capture_output=True,
        timeout=600,
        preexec_fn=_limit_file_size,
        cwd=tmp_path,
        check=False,
    )
    stderr = done.stderr.decode(errors="replace")
    assert "internal error" not in stderr, stderr[-500:]
    assert done.returncode == 75, (done.returncode, stderr[-500:])
    assert stderr.count("\n") == 1, stderr[-500:]
    assert f"in the temporary directory {spool_dir}" in stderr
    assert "set TMPDIR" in stderr


class _FullSpool:
    """A spool whose directory is full (the in-memory part has rolled over)."""

    def write(self, _text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_temporary_directory_is_a_retriable_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # gettempdir() reads TMPDIR again
    rejections = Rejections()
    rejections._spool.close()
    monkeypatch.setattr(rejections, "_spool", _FullSpool())
    with pytest.raises(Retriable) as raised:
        rejections.append(Rejected(source="a.eml", code="empty", detail="no bytes"))
    assert f"in the temporary directory {tmp_path}: the disk is full" in str(raised.value)
