"""Hostile review rev17: the earlier release's store moved in, but it cannot be renamed
(a sticky state directory, the file owned by another account: EPERM on rename). Runs, and
``tickets rebuild`` (review rev18), go on with a warning."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dirsync_bridge.pipeline import replay

from ..earlier_release import to_earlier_release
from .conftest import FIRST, REST, make_config

NOBODY = 65534


@pytest.fixture
def open_dir() -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run as another account")
    where = Path(tempfile.mkdtemp(prefix="rev17-", dir="/tmp"))
    where.chmod(0o755)
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def _as_nobody(config_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    src = Path(__file__).resolve().parents[2] / "src"
    return subprocess.run(
        [
            "setpriv",
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            "--",
            sys.executable,
            "-m",
            "dirsync_bridge",
            "--config",
            str(config_file),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(src), "HOME": "/tmp"},
    )


def _store_nobody_may_not_rename(open_dir: Path) -> Path:
    """State an earlier release left after FIRST, owned by ``nobody`` but for its store file
    (root's), in a sticky directory; the config file for it."""
    state = open_dir / "state"
    config = make_config(state)
    replay(FIRST, config)
    separate = to_earlier_release(state)
    config_file = open_dir / "config.toml"
    config_file.write_text(
        f'[state]\npath = "{config.state.path}"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n'
    )
    config_file.chmod(0o644)
    for p in state.iterdir():
        if p != separate:
            os.chown(p, NOBODY, NOBODY)
    separate.chmod(0o644)  # root's, readable by all
    state.chmod(0o1777)  # sticky: nobody may not rename root's file
    return config_file


def test_a_store_moved_in_that_cannot_be_renamed_does_not_stop_every_run(open_dir: Path) -> None:
    config_file = _store_nobody_may_not_rename(open_dir)
    first = _as_nobody(config_file, "replay", *map(str, REST))
    second = _as_nobody(config_file, "replay", *map(str, REST))
    listed = _as_nobody(config_file, "tickets", "--format", "json")
    assert "Traceback" not in first.stderr + second.stderr, (first.stderr, second.stderr)
    assert listed.returncode == 0, listed.stderr
    # The tickets are in the ledger since the first run: the second runs, as a run killed
    # before the rename would ("A run killed in between only renames it next time").
    assert second.returncode in (0, 1), second.stderr


def test_tickets_rebuild_goes_on_when_the_store_it_moved_in_cannot_be_renamed(
    open_dir: Path,
) -> None:
    """Review rev18: the rev17 fix lets a run go on when the store moved in cannot be
    renamed, with a warning. ``tickets rebuild`` did not: move_in warned and returned None,
    and move_in_or_set_aside then called ``aside`` again, which raised: every ``tickets
    rebuild`` failed (exit 2) until the user moved the file by hand, also when the ledger
    says to run ``tickets rebuild`` (a lost/older store)."""
    config_file = _store_nobody_may_not_rename(open_dir)
    run = _as_nobody(config_file, "replay", *map(str, FIRST))
    assert run.returncode in (0, 1), run.stderr  # the run goes on (rev17 fix)
    rebuild = _as_nobody(config_file, "tickets", "rebuild")
    assert "Traceback" not in rebuild.stderr, rebuild.stderr
    assert rebuild.returncode == 0, rebuild.stderr
