"""Hostile review rev18: the rev17 fix lets a run go on when the store moved in cannot be
renamed (a sticky state directory: EPERM), with a warning. ``tickets rebuild`` does not:
move_in warns and returns None, and move_in_or_set_aside then calls ``aside`` again, which
raises: every ``tickets rebuild`` fails (exit 2) until the user moves the file by hand -
also when the ledger says to run ``tickets rebuild`` (a lost/older store)."""

from __future__ import annotations

import os
from pathlib import Path

from dirsync_bridge.pipeline import replay

from ..earlier_release import to_earlier_release
from ..integration.test_local_store_rename import FIRST, NOBODY, _as_nobody, open_dir
from .conftest import make_config

__all__ = ["open_dir"]


def test_tickets_rebuild_goes_on_when_the_store_it_moved_in_cannot_be_renamed(
    open_dir: Path,
) -> None:
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
    separate.chmod(0o644)
    state.chmod(0o1777)
    run = _as_nobody(config_file, "replay", *map(str, FIRST))
    assert run.returncode in (0, 1), run.stderr  # the run goes on (rev17 fix)
    rebuild = _as_nobody(config_file, "tickets", "rebuild")
    assert "Traceback" not in rebuild.stderr, rebuild.stderr
    assert rebuild.returncode == 0, rebuild.stderr
