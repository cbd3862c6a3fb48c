"""``.ci/setup-samba`` (run by ``make test``): installs Samba, or says in one line why not.

The script is run against fake ``dpkg-query``/``apt-get``/``sudo``/``id`` commands on a PATH
of its own, so every branch is exercised without touching the machine's packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "setup-samba"
TOOLS = ("bash", "grep", "tail", "mktemp", "rm", "cat", "env")


def _bin(tmp_path: Path, fakes: dict[str, str]) -> Path:
    """A PATH directory with the basic tools the script needs and the given fakes."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in TOOLS:
        real = shutil.which(tool)
        assert real is not None, tool
        (folder / tool).symlink_to(real)
    for name, body in fakes.items():
        fake = folder / name
        fake.write_text("#!/bin/bash\n" + body + "\n")
        fake.chmod(0o755)
    return folder


def _run(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={"PATH": str(folder), "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


MISSING = "exit 1"  # dpkg-query: the package is not installed
INSTALLED = "echo -n 'install ok installed'"


def test_no_op_when_every_package_is_installed(tmp_path: Path) -> None:
    folder = _bin(tmp_path, {"dpkg-query": INSTALLED, "apt-get": "echo called >&2; exit 9"})
    done = _run(folder)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_installs_what_is_missing_as_root(tmp_path: Path) -> None:
    log = tmp_path / "apt.log"
    folder = _bin(
        tmp_path,
        {"dpkg-query": MISSING, "id": "echo 0", "apt-get": f'echo "$@" >> {log}'},
    )
    done = _run(folder)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert calls[0] == "update -qq"
    assert calls[1].startswith("install -y -qq --no-install-recommends samba ")
    assert "installed samba samba-dsdb-modules" in done.stdout


def test_uses_sudo_when_not_root(tmp_path: Path) -> None:
    log = tmp_path / "sudo.log"
    folder = _bin(
        tmp_path,
        {
            "dpkg-query": MISSING,
            "id": "echo 1000",
            "sudo": f'echo "$@" >> {log}',
            "apt-get": "exit 0",
        },
    )
    done = _run(folder)
    assert done.returncode == 0, done.stderr
    assert all(line.split()[0] == "apt-get" for line in log.read_text().splitlines()[1:])


@pytest.mark.parametrize(
    ("fakes", "why"),
    [
        ({}, "not a Debian-like system"),
        (
            {"dpkg-query": MISSING, "apt-get": "exit 0", "id": "echo 1000"},
            "you are not root and sudo is not installed",
        ),
        (
            {
                "dpkg-query": MISSING,
                "id": "echo 0",
                "apt-get": 'echo "E: Could not open lock file" >&2; exit 100',
            },
            "apt-get update failed (E: Could not open lock file)",
        ),
    ],
    ids=["not-debian", "no-sudo", "apt-fails"],
)
def test_cannot_install_says_why_and_how_in_one_line(
    tmp_path: Path, fakes: dict[str, str], why: str
) -> None:
    done = _run(_bin(tmp_path, fakes))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert why in lines[0]
    assert "sudo apt-get install samba" in lines[0]
