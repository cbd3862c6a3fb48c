"""Hostile review rev18: a later copy of the store moved in (same store id, more writes),
put back after the store in the ledger took writes of its own, is not moved in (right:
``_further_on`` is false) but is then renamed ``tickets.db.moved-into-ledger`` without a
word, as if it had been: the user who put it back to get its tickets is not told that
they were not taken (a file of another store gets a warning, this one nothing)."""

from __future__ import annotations

import shutil
from pathlib import Path

from dirsync_bridge.pipeline import replay

from ..earlier_release import SEPARATE, export_store, to_earlier_release
from .conftest import make_config
from .test_local_store_upgrade import CORPUS, cli


def test_a_later_copy_not_moved_in_is_not_set_aside_silently(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS[:6], config)
    state = config.state.directory
    # the consistent older pair (ledger and store restored from the same older backup) ...
    older_state = tmp_path / "older-state"
    shutil.copytree(state, older_state)
    replay(CORPUS[6:20], config)
    later = export_store(config.state.path, tmp_path / "later.db")  # ... and the newest store
    shutil.rmtree(state)
    shutil.copytree(older_state, state)
    to_earlier_release(state)
    first = cli(config, "replay", *map(str, CORPUS[20:30]))  # upgrade: moved in, writes
    assert first.returncode in (0, 1), first.stderr
    shutil.copy(later, state / SEPARATE)  # the newest store, put back
    done = cli(config, "replay", *map(str, CORPUS[30:32]))
    if not (state / SEPARATE).exists():
        assert "not used" in done.stderr or "not moved" in done.stderr, done.stderr
