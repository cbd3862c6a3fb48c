"""A state directory on a read-only file system (a path outside StateDirectory= under the
shipped unit's ProtectSystem=strict, a read-only remount), as a user meets it.

Writers say the file system is read-only and name the ``ReadWritePaths=`` line to add, as
for the metrics textfile; no account's rights would help (even root may not write), so
blaming them is the wrong fix. Dry runs and readers go on: they write nothing there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import replay

from ..conftest import REPORTS
from .conftest import cli, make_config

REPORT = REPORTS / "aadsync_th_thead.eml"


@pytest.fixture
def read_only_state(tmp_path: Path) -> Iterator[Config]:
    """A ledger after one run, seen through a read-only bind mount of its directory."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to bind-mount a read-only directory")
    writable = make_config(tmp_path / "writable")
    replay([REPORT], writable)
    mount_point = tmp_path / "state"
    mount_point.mkdir()
    bound = ["mount", "--bind", str(writable.state.directory), str(mount_point)]
    if subprocess.run(bound, capture_output=True, check=False).returncode:
        pytest.skip("cannot bind-mount here")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mount_point)], check=True)
        yield make_config(mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_doctor_names_a_read_only_file_system_not_the_accounts_permissions(
    read_only_state: Config,
) -> None:
    done = cli(read_only_state, "doctor")
    assert done.returncode == 2
    fail = [line for line in (done.stdout + done.stderr).splitlines() if "FAIL" in line]
    assert fail, done.stdout + done.stderr
    assert any("read-only" in line.lower() for line in fail), fail
    assert any(f"ReadWritePaths={read_only_state.state.directory}" in line for line in fail)
    assert not any("not writable by this account" in line for line in fail), fail


def test_replay_names_a_read_only_file_system_and_the_line_that_allows_it(
    read_only_state: Config,
) -> None:
    done = cli(read_only_state, "replay", str(REPORT))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "read-only" in lines[0], lines
    assert f"ReadWritePaths={read_only_state.state.directory}" in lines[0], lines


def test_dry_runs_and_readers_still_work_on_a_read_only_state_directory(
    read_only_state: Config,
) -> None:
    before = sorted(p.name for p in read_only_state.state.directory.iterdir())
    dry = cli(read_only_state, "replay", "--dry-run", str(REPORT))
    assert dry.returncode == 0, dry.stderr
    listed = cli(read_only_state, "tickets")
    assert listed.returncode == 0, listed.stderr
    assert "3 tickets" in listed.stdout, listed.stdout
    assert sorted(p.name for p in read_only_state.state.directory.iterdir()) == before
