"""``parse`` when the temporary directory cannot take the rejections it spools past 1 MiB
(review rev28, 3): one line naming the directory, exit 75, never an internal error.

Before: "internal error (OSError: [Errno 27] File too large)", exit 70 (a full TMPDIR:
Errno 28), the table stopped part-way and no rejection named.

A pass (``replay``, ``run``) spools its rejections the same way (rev25, left over): the same
line, and the rejection it could not keep is not recorded in the ledger, so that the next
pass, with room, names it.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from dirsync_bridge.errors import Retriable
from dirsync_bridge.models import Rejected
from dirsync_bridge.pipeline import replay
from dirsync_bridge.rejections import Rejections

from .conftest import make_config

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


def test_a_replay_whose_temporary_directory_cannot_take_the_spool_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    """12,000 distinct rejected messages (1.1 MiB of spool, past what is held in memory),
    a dry run (its ledger is in memory: the spool is the only file that grows)."""
    archive = tmp_path / "many.mbox"
    with archive.open("wb") as out:
        for number in range(12_000):
            out.write(b"From \nSubject: %d\n\n" % number)
    (tmp_path / "config.toml").write_text('[state]\npath = "state/state.db"\n')
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC), "TMPDIR": str(spool_dir)}
    command = ["--config", "config.toml", "replay", "--dry-run", "--format", "json", "many.mbox"]
    done = subprocess.run(
        [sys.executable, "-m", "dirsync_bridge", *command],
        env=env,
        capture_output=True,
        timeout=600,
        preexec_fn=_limit_file_size,
        cwd=tmp_path,
        check=False,
    )
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 75, (done.returncode, stderr[-500:])
    assert stderr.count("\n") == 1, stderr[-500:]
    assert "cannot keep the " in stderr, stderr
    assert "rejections met so far (to name them after the output) in the temporary " in stderr
    assert f"directory {spool_dir}: the file is too large for it" in stderr
    assert "set TMPDIR" in stderr
    assert done.stdout == b""  # no summary that would name only some


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


def test_a_rejection_a_pass_could_not_keep_is_named_by_the_next_pass(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The temporary directory full as the first rejection is spooled: the pass stops
    (``Retriable``, 75) before its ledger records that message as rejected, so the next
    pass, with room, rejects and names it rather than counting it already seen."""
    archive = tmp_path / "three.mbox"
    archive.write_bytes(b"".join(b"From \nSubject: %d\n\n" % n for n in range(3)))
    config = make_config(tmp_path / "state")

    def full(*_args: object, **_kwargs: object) -> NoReturn:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patched:
        patched.setattr(Rejections, "IN_MEMORY", 1)  # the first line goes to disk
        patched.setattr("tempfile.TemporaryFile", full)
        with pytest.raises(Retriable) as raised:
            replay([archive], config)
    assert "cannot keep the 1 rejections met so far" in str(raised.value)
    again = replay([archive], config)
    assert (again.rejected, again.already_seen) == (3, 0)
    assert [r.source for r in again.problems] == [f"{archive}#{n}" for n in (1, 2, 3)]
