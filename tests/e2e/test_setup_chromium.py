"""``.ci/setup-chromium`` (run by ``make test``): installs Debian's Chromium and its
chromedriver, or says in one line why not. Fake package tools, as for ``setup-samba``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .test_setup_samba import INSTALLED, MISSING, _bin

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "setup-chromium"


def _run(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={"PATH": str(folder), "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_no_op_when_chromium_and_its_driver_are_installed(tmp_path: Path) -> None:
    folder = _bin(tmp_path, {"dpkg-query": INSTALLED, "apt-get": "echo called >&2; exit 9"})
    done = _run(folder)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_installs_chromium_and_chromedriver_when_missing(tmp_path: Path) -> None:
    log = tmp_path / "apt.log"
    folder = _bin(
        tmp_path, {"dpkg-query": MISSING, "id": "echo 0", "apt-get": f'echo "$@" >> {log}'}
    )
    done = _run(folder)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert calls == [
        "update -qq",
        "install -y -qq --no-install-recommends chromium chromium-driver",
    ]
    assert done.stdout == "setup-chromium: installed chromium chromium-driver\n"


def test_cannot_install_says_why_and_how_in_one_line(tmp_path: Path) -> None:
    folder = _bin(
        tmp_path,
        {"dpkg-query": MISSING, "id": "echo 0", "apt-get": "echo 'E: Unable to locate'; exit 100"},
    )
    done = _run(folder)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("setup-chromium: apt-get update failed (E: Unable to locate)")
    assert "sudo apt-get install chromium chromium-driver" in lines[0]
