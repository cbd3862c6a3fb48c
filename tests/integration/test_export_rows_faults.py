"""An export's rows (``parse/export_rows``) when the machine misbehaves under them: the
temporary file they go to past 2,000 fills up mid-write (review rev43).

The spool's file was buffered: a write past a file-size limit (EFBIG, as a full disk gives
ENOSPC) left the rows already counted on disk in the buffer, and the next read (a seek
flushes it) and the file's close raised the same error again: ``parse`` of a valid
csexport ended ``internal error (OSError: [Errno 27] File too large)``, exit 70, its JSON
cut, and a traceback ("Exception ignored in: Spool.__del__") on stderr.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, cast

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import Retriable
from dirsync_bridge.models import Report
from dirsync_bridge.parse.csexport import parse_csexport
from dirsync_bridge.pipeline import replay

from ..exportgen import connector_dn

SRC = Path(__file__).resolve().parents[2] / "src"
TENANT = "contoso.onmicrosoft.com"


def _limit_file_size() -> None:
    # Any file the child writes stops at 256 KiB (EFBIG); its stdout and stderr are pipes.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


def _objects(count: int) -> bytes:
    # One cd-error an object, each naming its own number: some 2 MB of rows on disk.
    return (
        "<cs-objects>"
        + "".join(
            f'<cs-object cs-dn="{connector_dn(f"{n:06d}")}"><export-errordetail>'
            f"<export-status><cd-error><error-name>Err{n}</error-name>"
            f"<error-literal>object {n} failed to export</error-literal>"
            "</cd-error></export-status></export-errordetail></cs-object>"
            for n in range(count)
        )
        + "</cs-objects>"
    ).encode()


def test_a_temporary_file_that_fills_mid_write_loses_no_row_and_is_no_internal_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "many.xml"
    path.write_bytes(_objects(20_000))
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC), "TMPDIR": str(spool_dir)}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "dirsync_bridge", "parse", "--tenant", TENANT),
            *("--format", "json", str(path)),
        ],
        env=env,
        capture_output=True,
        timeout=600,
        preexec_fn=_limit_file_size,
        cwd=tmp_path,
        check=False,
    )
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 0, (done.returncode, stderr[-500:])
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr[-800:]
    assert "File too large" in stderr  # said (once a spool), not silent
    (report,) = json.loads(done.stdout)
    assert report["status"] == "parsed"
    errors = report["errors"]
    assert [e["object_id"] for e in errors] == [f"{n:06d}" for n in range(20_000)]
    assert [e["message"] for e in errors] == [f"object {n} failed to export" for n in range(20_000)]
    assert list(spool_dir.iterdir()) == []  # unnamed: nothing left behind


def test_a_detail_with_its_own_cd_error_after_its_statuses_does_not_spoil_the_rows_after_it() -> (
    None
):
    """Past the first 2,000 ``cd-error``s of a file (on disk), a detail whose statuses list
    errors and which lists one of its own: only the statuses' are read, the spool's file left
    short of its end, and the next rows were written there, over the one not read: the
    file was refused ``malformed-xml ... (EOFError)`` (or read another row's text)."""

    def cd(text: str) -> str:
        return f"<cd-error><error-name>{text}</error-name></cd-error>"

    def cs_object(number: int, inside: str) -> str:
        return (
            f'<cs-object cs-dn="{connector_dn(f"{number:06d}")}">'
            f"<export-errordetail>{inside}</export-errordetail></cs-object>"
        )

    many = "".join(cd(f"First{n}") for n in range(2000))
    objects = [
        cs_object(1, f"<export-status>{many}</export-status>"),
        cs_object(2, f"<export-status>{cd('StatusError')}</export-status>{cd('OwnError')}"),
        cs_object(3, f"<export-status>{cd('ThirdError')}</export-status>"),
        cs_object(4, f"<export-status>{cd('FourthError')}</export-status>"),
    ]
    report = parse_csexport(f"<cs-objects>{''.join(objects)}</cs-objects>".encode(), "t.xml")
    assert isinstance(report, Report), report
    assert [(e.object_id, e.message) for e in report.errors[2000:]] == [
        ("000002", "StatusError"),  # the statuses' errors, as the file is read whole
        ("000003", "ThirdError"),
        ("000004", "FourthError"),
    ]


class _FailingReads:
    """The spool's temporary file on a disk that fails reads (EIO): writes go through."""

    def __init__(self, real: IO[bytes]) -> None:
        self._real = real

    def read(self, *_args: object) -> bytes:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)


def test_rows_that_cannot_be_read_back_are_a_temporary_failure_not_a_rejected_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A csexport of one object's 2,500 ``cd-error``s (read back from the temporary file as
    the object ends), its temporary file unreadable (EIO): the pass fails temporarily and
    the next one reads the file. Before: it was rejected ``malformed-xml`` ("could not be
    read (OSError)") and the ledger recorded it so: no pass ever read it again."""
    path = tmp_path / "one.xml"
    inside = "".join(f"<cd-error><error-name>Err{n}</error-name></cd-error>" for n in range(2500))
    path.write_bytes(
        f'<cs-objects><cs-object cs-dn="{connector_dn("QF5HMK7n80qvdYsUPIHa9Q==")}">'
        f"<export-errordetail><export-status>{inside}</export-status></export-errordetail>"
        "</cs-object></cs-objects>".encode()
    )
    config = Config.model_validate(
        {"state": {"path": str(tmp_path / "state" / "state.db")}, "tenants": {"default": TENANT}}
    )
    real = tempfile.TemporaryFile

    def failing(*args: Any, **kwargs: Any) -> IO[bytes]:
        return cast(IO[bytes], _FailingReads(real(*args, **kwargs)))

    with monkeypatch.context() as patched:
        patched.setattr("tempfile.TemporaryFile", failing)
        with pytest.raises(Retriable, match="Input/output error"):
            replay([path], config, env={})
    again = replay([path], config, env={})
    assert (again.rejected, again.already_seen, again.parsed) == (0, 0, 1)
    assert again.created == 1
