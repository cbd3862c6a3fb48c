"""Hostile review rev18: move_in_or_set_aside takes any error of move_in for "the old store
cannot be read". Here the earlier release's store file is sound and is the store to move
in; the error is the ledger's own (its empty local_store lost its identity row). The
rebuild says the FILE cannot be read, sets it aside unmoved, and restores every ticket from
the ledger (0 kept from the old store) instead of moving it in."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dirsync_bridge.pipeline import replay

from ..earlier_release import to_earlier_release
from .conftest import local_tickets, make_config
from .test_local_store_upgrade import CORPUS, cli


def test_rebuild_moves_in_a_sound_store_file_when_the_ledgers_own_row_is_damaged(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS[:12], config)
    before = {
        t.key: (t.idempotency_key, t.content, t.comments, t.status, t.resolution)
        for t in local_tickets(config)
    }
    to_earlier_release(config.state.directory)
    # a first command of this release made the (empty) tables; then the row is lost
    conn = sqlite3.connect(config.state.path, isolation_level=None)
    from dirsync_bridge.ledger.schema import MIGRATIONS

    statements = dict(MIGRATIONS)["0017-local-store"]
    for statement in statements:
        conn.execute(statement)
    conn.execute("INSERT INTO migrations (name, applied_at) VALUES ('0017-local-store', 'x')")
    conn.execute("DELETE FROM local_store")
    conn.close()
    run = cli(config, "replay", *map(str, CORPUS[12:14]))
    done = cli(config, "tickets", "rebuild")
    after = {
        t.key: (t.idempotency_key, t.content, t.comments, t.status, t.resolution)
        for t in local_tickets(config)
    }
    differ = sorted(k for k in before if before[k] != after.get(k))
    first = (before[differ[0]], after.get(differ[0])) if differ else None
    assert not differ, (len(differ), differ[:5], first, run.stderr, done.stdout)
    assert "cannot be read" not in done.stderr, done.stderr
    assert " 0 kept from the old store" not in done.stdout, done.stdout
