"""Hostile review rev18: the rev17 fix (``_further_on``) moves the right store in again
when an OLDER BACKUP OF THE SAME STORE was moved in by mistake. The same mistake with
another store's file (a ``tickets.db`` copied from a test instance, another server's
state) is not covered: it is moved in (the ledger was never written with this release),
every run refuses it, and the right ``tickets.db`` put back is "not used" forever (a
warning), though nothing was written to the foreign store since: ``tickets rebuild`` is
the only way out, and it sets the right file aside unread (the README's limit: superseded
tickets then lose their description)."""

from __future__ import annotations

import shutil
from pathlib import Path

from dirsync_bridge.pipeline import replay

from ..earlier_release import export_store, to_earlier_release
from .conftest import make_config, outcome
from .test_local_store_upgrade import CORPUS, cli


def test_the_right_store_put_back_after_a_foreign_one_was_moved_in_is_used(
    tmp_path: Path,
) -> None:
    other = make_config(tmp_path / "other")
    replay(CORPUS[:5], other)
    foreign = export_store(other.state.path, tmp_path / "foreign.db")

    config = make_config(tmp_path / "state")
    replay(CORPUS[:20], config)
    separate = to_earlier_release(config.state.directory)
    right = tmp_path / "right.db"
    separate.rename(right)
    shutil.copy(foreign, separate)  # the wrong file, put in place by mistake
    refused = cli(config, "replay", *map(str, CORPUS[20:]))
    assert refused.returncode == 2, refused.stderr
    shutil.copy(right, separate)  # the right one, put back
    done = cli(config, "replay", *map(str, CORPUS[20:]))
    clean = make_config(tmp_path / "clean")
    replay(CORPUS[:20], clean)
    replay(CORPUS[20:], clean)
    assert done.returncode in (0, 1), done.stderr
    assert outcome(config) == outcome(clean)
