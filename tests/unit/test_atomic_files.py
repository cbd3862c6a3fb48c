"""``atomic_files``: what a killed write left is swept by the next write of the same file,
and nothing else is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dirsync_bridge.atomic_files import OLD_NAME_AGE, sweep, temporary_beside


def test_only_the_leftovers_of_dead_writers_of_this_file_are_swept(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid now names no process (reaped)
    dead = tmp_path / f".page.html.{child.pid}.k2j4h5g6.tmp"
    alive = tmp_path / f".page.html.{os.getppid()}.a1b2c3d4.tmp"  # a writer still running
    mine = tmp_path / f".page.html.{os.getpid()}.z9y8x7w6.tmp"
    other_target = tmp_path / f".other.html.{child.pid}.k2j4h5g6.tmp"
    recent_old_name = tmp_path / ".page.html.q1w2e3r4.tmp"
    stale_old_name = tmp_path / ".page.html.t5y6u7i8.tmp"
    for path in (dead, alive, mine, other_target, recent_old_name, stale_old_name):
        path.write_text("x")
    an_hour_ago = stale_old_name.stat().st_mtime - OLD_NAME_AGE - 60
    os.utime(stale_old_name, (an_hour_ago, an_hour_ago))
    link = tmp_path / f".page.html.{child.pid}.l1n2k3s4.tmp"
    link.symlink_to(tmp_path / "elsewhere")

    assert sorted(sweep(target)) == sorted([dead, stale_old_name])

    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(p.name for p in (alive, mine, other_target, recent_old_name, link))


def test_the_temporary_file_names_its_writer_and_sits_beside_the_target(tmp_path: Path) -> None:
    fd, name = temporary_beside(tmp_path / "dirsync-bridge.prom")
    os.close(fd)
    assert name.parent == tmp_path
    assert name.name.startswith(f".dirsync-bridge.prom.{os.getpid()}.")
    assert name.name.endswith(".tmp")  # never *.prom: node_exporter does not read it
    assert sweep(tmp_path / "dirsync-bridge.prom") == []  # its own writer is alive
