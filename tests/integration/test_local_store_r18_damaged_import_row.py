"""Hostile review rev18: the rev17 fix made a damaged identity row of the store one line
(``identity``: Fatal, "tickets rebuild"), but its sibling ``imported_from`` still does
``int(row[1] or 0)``: a damaged ``local_store.imported_revision`` (not a number) with a
store file beside the ledger is "internal error (ValueError ...)", exit 70, on every run
AND on ``tickets rebuild`` (the repair the tool names), while doctor says all is ok."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dirsync_bridge.pipeline import replay

from ..earlier_release import SEPARATE, export_store
from .conftest import make_config
from .test_local_store_upgrade import CORPUS, cli


def test_a_damaged_imported_revision_is_one_line_and_rebuild_repairs_it(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS[:6], config)
    conn = sqlite3.connect(config.state.path)
    conn.execute("UPDATE local_store SET imported_from = store_id, imported_revision = 'x'")
    conn.commit()
    conn.close()
    export_store(config.state.path, config.state.directory / SEPARATE)
    run = cli(config, "replay", *map(str, CORPUS[6:8]))
    rebuild = cli(config, "tickets", "rebuild")
    doctor = cli(config, "doctor")
    assert run.returncode != 70, run.stderr
    assert rebuild.returncode == 0, (rebuild.stderr, doctor.stdout)
