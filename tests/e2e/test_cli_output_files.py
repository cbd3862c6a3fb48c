"""The files the tool replaces whole (`report --html FILE`, `[metrics] textfile`): a temporary
file renamed over FILE. Found by a review: renaming over whatever FILE was replaced a FIFO, a
symbolic link and, run as root, a device such as /dev/null by a regular file; a FIFO as the
textfile hung the run when the last success was read back from it. FIFOs and links in
tmp_path only, never a real device.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import REPORTS

CLI = [sys.executable, "-m", "dirsync_bridge"]


def run(tmp_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=tmp_path, capture_output=True, text=True, timeout=timeout, check=False
    )


def ledger(tmp_path: Path) -> None:
    done = run(tmp_path, "replay", str(REPORTS / "aadsync_th_thead.eml"))
    assert done.returncode == 0, done.stderr


def metrics_config(tmp_path: Path, textfile: Path) -> None:
    (tmp_path / "dirsync-bridge.toml").write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n[metrics]\ntextfile = "{textfile}"\n'
    )


def test_report_html_refuses_a_fifo_in_one_line_and_leaves_it(tmp_path: Path) -> None:
    ledger(tmp_path)
    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    done = run(tmp_path, "report", "--html", str(fifo))
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced by a regular file"
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.strip().endswith("it is a named pipe (FIFO), not a file to replace")


def test_report_html_through_a_symbolic_link_writes_the_file_it_names(tmp_path: Path) -> None:
    ledger(tmp_path)
    target = tmp_path / "www" / "report.html"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "report.html"
    link.symlink_to(target)
    done = run(tmp_path, "report", "--html", str(link))
    assert done.returncode == 0, done.stderr
    assert link.is_symlink(), "the link was replaced by a regular file"
    assert target.read_text().startswith("<!DOCTYPE html>")


def test_a_metrics_textfile_that_is_a_fifo_is_one_line_never_a_hang(tmp_path: Path) -> None:
    textfile = tmp_path / "textfile" / "dirsync-bridge.prom"
    textfile.parent.mkdir()
    os.mkfifo(textfile)
    metrics_config(tmp_path, textfile)
    done = run(tmp_path, "replay", str(REPORTS / "aadsync_th_thead.eml"), timeout=60)
    assert done.returncode == 2, done.stderr
    assert "metrics.textfile" in done.stderr and "named pipe (FIFO)" in done.stderr
    assert "Traceback" not in done.stderr
    assert stat.S_ISFIFO(textfile.lstat().st_mode)


def test_a_metrics_textfile_through_a_symbolic_link_writes_the_file_it_names(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real" / "dirsync-bridge.prom"
    real.parent.mkdir()
    real.write_text("# old\n")
    textfile = tmp_path / "textfile" / "dirsync-bridge.prom"
    textfile.parent.mkdir()
    textfile.symlink_to(real)
    metrics_config(tmp_path, textfile)
    done = run(tmp_path, "replay", str(REPORTS / "aadsync_th_thead.eml"))
    assert done.returncode == 0, done.stderr
    assert textfile.is_symlink(), "the link was replaced by a regular file"
    assert "dirsync_bridge_last_exit_code" in real.read_text()


# Review rev14b: an OSError other than "no such file" when resolving FILE (a symbolic link
# that names itself, a name too long, a file used as a folder) ended as an internal error.
BAD_TARGETS = ["loop", "too-long", "file-as-folder"]


def bad_target(tmp_path: Path, case: str, suffix: str) -> Path:
    if case == "loop":
        loop = tmp_path / f"loop{suffix}"
        loop.symlink_to(loop.name)  # ln -s loop.html loop.html: ELOOP
        return loop
    if case == "too-long":
        return tmp_path / ("x" * 300 + suffix)  # ENAMETOOLONG
    (tmp_path / "plain.txt").write_text("a file")
    return tmp_path / "plain.txt" / f"page{suffix}"  # ENOTDIR


@pytest.mark.parametrize("case", BAD_TARGETS)
def test_report_html_onto_an_unusable_name_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    target = bad_target(tmp_path, case, ".html")
    done = run(tmp_path, "report", "--html", str(target))
    assert done.returncode == 2, (done.returncode, done.stderr)
    (line,) = done.stderr.splitlines()
    assert target.name in line and "internal error" not in line, line


@pytest.mark.parametrize("case", BAD_TARGETS)
def test_metrics_textfile_onto_an_unusable_name_names_the_key(tmp_path: Path, case: str) -> None:
    target = bad_target(tmp_path, case, ".prom")
    metrics_config(tmp_path, target)
    (tmp_path / "empty").mkdir()
    done = run(tmp_path, "replay", str(tmp_path / "empty"))
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    (line,) = [x for x in done.stderr.splitlines() if "metrics.textfile" in x]
    # A file used as a folder is refused when the configuration is read, naming that file.
    assert target.name in line or target.parent.name in line, line
