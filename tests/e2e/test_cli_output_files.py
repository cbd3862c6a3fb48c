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
