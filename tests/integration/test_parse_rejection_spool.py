"""``parse``, ``replay`` and ``run`` when the temporary directory cannot take the rejections
they spool past 1 MiB (a file-size limit, a full TMPDIR).

Review rev28, 3: "internal error (OSError: [Errno 27] File too large)", exit 70. Then
(rev28 to rev34) one line and exit 75, the output cut: but a pass's ledger had already
recorded every rejection met before the spool failed, and the next pass counted them
already seen, so no pass ever named them (review rev34). Now the command goes on, the
rejections past what the disk took held in memory, said in one warning line: every one is
named after the output, the exit code as without the fault.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, NoReturn

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
    assert done.returncode == 1, (done.returncode, stderr[-500:])
    lines = stderr.splitlines()
    named = [line for line in lines if line.startswith("dirsync-bridge: rejected ")]
    assert len(named) == 20_000
    assert named[-1].endswith("many.mbox#20000: empty: the input is empty")
    (warned,) = [line for line in lines if line not in named]
    assert f"the temporary directory {spool_dir} cannot take the rejections" in warned
    assert "File too large" in warned and "set TMPDIR" in warned


def test_a_replay_whose_temporary_directory_cannot_take_the_spool_names_them_all(
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
    assert done.returncode == 1, (done.returncode, stderr[-500:])
    summary = json.loads(done.stdout)
    sources = [r["source"] for r in summary["rejected"]]
    assert sources == [f"many.mbox#{n}" for n in range(1, 12_001)]
    lines = stderr.splitlines()
    named = [line for line in lines if line.startswith("dirsync-bridge: rejected ")]
    assert [line.split(": ")[1].removeprefix("rejected ") for line in named] == sources
    (warned,) = [line for line in lines if line not in named]
    assert f"the temporary directory {spool_dir} cannot take the rejections" in warned


def test_a_full_temporary_directory_is_one_warning_and_nothing_lost(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # gettempdir() reads TMPDIR again
    monkeypatch.setattr(Rejections, "IN_MEMORY", 1)  # each one to disk
    monkeypatch.setattr("tempfile.TemporaryFile", _on_a_full_disk)
    rejections = Rejections("replay")
    for n in range(3):
        rejections.append(Rejected(source=f"{n}.eml", code="empty", detail="no bytes"))
    assert [r.source for r in rejections] == ["0.eml", "1.eml", "2.eml"]
    assert [r.source for r in rejections] == ["0.eml", "1.eml", "2.eml"]  # as often as asked
    (warned,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned.startswith(f"replay: the temporary directory {tmp_path} cannot take the")
    assert "No space left on device" in warned


def test_rejections_spooled_to_disk_then_held_are_read_back_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Some on disk, the rest held once the disk failed: read back in the order met."""
    monkeypatch.setattr(Rejections, "IN_MEMORY", 150)
    rejections = Rejections()
    for n in range(40):
        rejections.append(Rejected(source=f"{n}.eml", code="empty", detail="x" * n))
        if n == 20:
            monkeypatch.setattr("os.pwrite", _cannot_create)
    assert [(r.source, r.detail) for r in rejections] == [(f"{n}.eml", "x" * n) for n in range(40)]
    assert len(rejections) == 40


def _cannot_create(*_args: object, **_kwargs: object) -> NoReturn:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _on_a_full_disk(*_args: object, **_kwargs: object) -> IO[bytes]:
    return Path("/dev/full").open("w+b", buffering=0)  # every write: ENOSPC


@pytest.mark.parametrize("temporary_file", [_cannot_create, _on_a_full_disk])
def test_rejections_met_before_the_spool_failed_are_named_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, temporary_file: Callable[..., IO[bytes]]
) -> None:
    """The temporary directory full when the spool first goes to disk, after the pass has
    met (and its ledger recorded) several rejections (review rev34): every rejection is
    named once over this pass and the next. Before: the pass stopped 75 naming none, and
    the next counted those the ledger had recorded already seen, named by no pass."""
    archive = tmp_path / "six.mbox"
    archive.write_bytes(b"".join(b"From \nSubject: %d\n\n" % n for n in range(6)))
    config = make_config(tmp_path / "state")
    named: list[str] = []
    with monkeypatch.context() as patched:
        patched.setattr(Rejections, "IN_MEMORY", 300)  # to disk at the third or so
        patched.setattr("tempfile.TemporaryFile", temporary_file)
        try:
            first = replay([archive], config)
            named += [r.source for r in first.problems]
        except Retriable:
            pass
    again = replay([archive], config)
    named += [r.source for r in again.problems]
    assert named == [f"{archive}#{n}" for n in range(1, 7)]


def _no_usable_directory() -> NoReturn:
    raise FileNotFoundError(
        errno.ENOENT, "No usable temporary directory found in ['/nonexistent', '/tmp']"
    )


def test_no_usable_temporary_directory_is_one_warning_not_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """TMPDIR, /tmp, /var/tmp and the working directory all read-only (a hardened service:
    systemd's ProtectSystem=strict without PrivateTmp) (review rev34): Python's tempfile
    finds no directory at all, and naming the directory raised the same error again:
    ``internal error (FileNotFoundError: No usable temporary directory found in ...)``,
    exit 70, from parse and every pass past 1 MiB of rejections."""
    monkeypatch.setattr(Rejections, "IN_MEMORY", 1)
    monkeypatch.setattr("tempfile.tempdir", None)
    monkeypatch.setattr("tempfile.gettempdir", _no_usable_directory)
    rejections = Rejections("parse")
    for n in range(3):
        rejections.append(Rejected(source=f"{n}.eml", code="empty", detail="no bytes"))
    assert [r.source for r in rejections] == ["0.eml", "1.eml", "2.eml"]
    (warned,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "No usable temporary directory found in ['/nonexistent', '/tmp']" in warned
    assert "the rest are held in memory" in warned


def test_a_spool_write_that_takes_nothing_is_a_full_disk_not_a_loop(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A write to the spool that takes no byte and says no error (review rev34): taken as a
    full disk (the rest held in memory, one warning), never retried for ever."""
    calls = {"n": 0}

    def takes_nothing(_fd: int, _data: object, _offset: int) -> int:
        calls["n"] += 1
        if calls["n"] > 100:  # the test's own bound: the loop before never ended
            raise RuntimeError("written again and again")
        return 0

    monkeypatch.setattr(Rejections, "IN_MEMORY", 1)
    monkeypatch.setattr("os.pwrite", takes_nothing)
    rejections = Rejections()
    for n in range(3):
        rejections.append(Rejected(source=f"{n}.eml", code="empty", detail="no bytes"))
    assert [r.source for r in rejections] == ["0.eml", "1.eml", "2.eml"]
    assert calls["n"] == 1
    assert "No space left on device" in caplog.text


# The child: the real command line, its spool unreadable from BAD bytes on (a bad sector
# under TMPDIR: every read there fails with EIO, the first time and every time after).
_BAD_SECTOR_CHILD = """
import errno, os, sys
real, bad = os.pread, int(os.environ["SPOOL_BAD_FROM"])
def pread(fd, size, offset):
    if offset + size > bad:
        raise OSError(errno.EIO, os.strerror(errno.EIO))
    return real(fd, size, offset)
os.pread = pread
sys.argv[0] = "dirsync-bridge"
from dirsync_bridge.__main__ import main
main()
"""


@pytest.mark.parametrize("command", ["parse", "replay"])
def test_a_spool_that_cannot_be_read_back_names_what_it_can_and_says_the_rest_once(
    tmp_path: Path, command: str
) -> None:
    """An I/O error reading the spool back (left by reviews): the command ended 75 naming
    none of those after it, yet a pass had recorded them in its ledger, so the next pass,
    counting them already seen, named none either. Now every rejection that can be read is
    named, one line says how many could not be and how to list them, exit 1."""
    archive = tmp_path / "many.mbox"
    with archive.open("wb") as out:
        for number in range(12_000):  # 1.1 MiB of spool: past what is held in memory
            out.write(b"From \nSubject: %d\n\n" % number)
    (tmp_path / "config.toml").write_text('[state]\npath = "state/state.db"\n')
    args = ["parse", "many.mbox"]
    if command == "replay":
        args = ["--config", "config.toml", "replay", "--dry-run", "--format", "json", "many.mbox"]
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC), "TMPDIR": str(spool_dir)}
    env["SPOOL_BAD_FROM"] = str(3 * Rejections.READ_BATCH)
    done = subprocess.run(
        [sys.executable, "-c", _BAD_SECTOR_CHILD, *args],
        env=env,
        capture_output=True,
        timeout=600,
        cwd=tmp_path,
        check=False,
    )
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 1, (done.returncode, stderr[-500:])
    assert "Traceback" not in stderr, stderr[-2000:]
    lines = stderr.splitlines()
    named = [
        line.split(": ")[1].removeprefix("rejected ") for line in lines if " rejected " in line
    ]
    everyone = [f"many.mbox#{n}" for n in range(1, 12_001)]
    assert 0 < len(named) < len(everyone) and named[-1] == everyone[-1], len(named)
    assert named == [source for source in everyone if source in set(named)]  # in order
    (said,) = [line for line in lines if "could not be read back" in line]
    assert f"{len(everyone) - len(named)} of the {len(everyone)} rejections" in said, said
    assert "Input/output error" in said and "parse" in said, said
    if command == "parse":  # not "run parse on the same inputs": this is parse (review rev38)
        assert "TMPDIR" in said and "dirsync-bridge parse" not in said, said
    if command == "replay":
        listed = [r["source"] for r in json.loads(done.stdout)["rejected"]]
        assert listed == named


def test_rejections_a_pass_could_not_read_back_are_named_by_the_next_pass(
    tmp_path: Path,
) -> None:
    """A pass whose spool could not be read back named only some of its rejections, yet
    marked them all named: the rest were named by no pass (review rev41, as rev39's lost
    stderr). Now none is marked: the next pass names every one, those unnamed included."""
    archive = tmp_path / "many.mbox"
    with archive.open("wb") as out:
        for number in range(12_000):  # 1.1 MiB of spool: past what is held in memory
            out.write(b"From \nSubject: %d\n\n" % number)
    (tmp_path / "config.toml").write_text('[state]\npath = "state/state.db"\n')
    args = ["--config", "config.toml", "replay", "many.mbox"]
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC), "TMPDIR": str(spool_dir)}

    def named_by(bad_from: int) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", _BAD_SECTOR_CHILD, *args],
            env={**env, "SPOOL_BAD_FROM": str(bad_from)},
            capture_output=True,
            timeout=600,
            cwd=tmp_path,
            check=False,
        )
        stderr = done.stderr.decode(errors="replace")
        assert done.returncode == 1, (done.returncode, stderr[-500:])
        return [line.split(" rejected ")[1] for line in stderr.splitlines() if " rejected " in line]

    first = named_by(3 * Rejections.READ_BATCH)
    everyone = {f"many.mbox#{n}" for n in range(1, 12_001)}
    unnamed = everyone - {line.partition(": ")[0] for line in first}
    assert unnamed, len(first)
    again = {line.partition(": ")[0] for line in named_by(1 << 40)}  # the spool read whole
    assert unnamed <= again, len(unnamed - again)
