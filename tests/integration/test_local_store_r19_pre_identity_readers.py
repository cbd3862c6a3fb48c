"""Hostile review rev19 (medium): a ``tickets.db`` from before store identity (no
``store`` table; ``0002-identity`` not run), beside a ledger from before the pairing: the
first run of this release moves it in fine (exit 0; the upgrade test covers it), because it
reads a migrated in-memory copy (``LocalStore.copy_of``). But ``doctor`` and ``tickets
show``, which since rev18 are to judge "the store a run would use" (``store_to_be_used``),
open the file with ``LocalStore.open_readonly`` (nothing migrated) and call ``identity()``:
doctor prints FAIL "the local ticket store is damaged (no such table: store); run
`dirsync-bridge tickets rebuild`" (exit 2) and ``tickets show KEY`` fails with the same line
(exit 2), for a store that is sound and that the very next run takes, exit 0."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dirsync_bridge.pipeline import replay

from ..earlier_release import to_earlier_release
from .conftest import make_config
from .test_local_store_upgrade import CORPUS, cli


def _pre_identity(tmp_path: Path):  # type: ignore[no-untyped-def]
    config = make_config(tmp_path / "state")
    replay(CORPUS[:6], config)
    to_earlier_release(config.state.directory)
    conn = sqlite3.connect(config.state.local_tickets_path, isolation_level=None)
    conn.execute("DROP TABLE store")
    conn.execute("DELETE FROM migrations WHERE name = '0002-identity'")
    key = conn.execute("SELECT key FROM tickets ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    conn = sqlite3.connect(config.state.path, isolation_level=None)
    conn.execute("DELETE FROM store_pairing")
    conn.close()
    return config, key


def test_readers_before_the_first_run_agree_with_the_run(tmp_path: Path) -> None:
    config, key = _pre_identity(tmp_path)
    doctor = cli(config, "doctor")
    show = cli(config, "tickets", "show", key)
    dry = cli(config, "replay", "--dry-run", *map(str, CORPUS[6:8]))
    run = cli(config, "replay", *map(str, CORPUS[6:8]))
    assert run.returncode in (0, 1), run.stderr[-600:]
    for done in (doctor, show, dry):
        assert "Traceback" not in done.stderr
        assert done.returncode in (0, 1), done.stderr
    assert "FAIL" not in doctor.stdout, doctor.stdout
