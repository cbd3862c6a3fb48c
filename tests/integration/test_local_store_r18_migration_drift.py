"""Hostile review rev18: migration 0017-local-store was changed in place by the rev17 fixes
(``local_store.imported_revision`` added to its CREATE TABLE) instead of by a new migration.
A ledger that ran 0017 before that (the onefile build reviewed as rev17, d2b284a) has the
migration recorded and no such column; the first time a separate ``tickets.db`` is beside
it (the rename that failed on that build: every run refused; a backup put back by hand),
every run, dry run and ``tickets rebuild`` of this build reads ``imported_revision``: the
run says the ledger is damaged (exit 2, "restore it from a backup"), and ``tickets rebuild``
blames the store file ("cannot be read") and sets it aside. The project's own precedent
(``0011-listed-in``) adds a column a between-releases build lacked."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from ..conftest import REPORTS
from ..e2e.test_cli_state import cli, write_config
from ..earlier_release import SEPARATE, export_store

CORPUS = sorted(REPORTS.glob("*.eml"))


def _as_rev17_build(ledger: Path) -> None:
    """The ledger as the build before 869805d left it: 0017 without imported_revision."""
    conn = sqlite3.connect(ledger, isolation_level=None)
    try:
        conn.execute("ALTER TABLE local_store DROP COLUMN imported_revision")
        conn.execute("DELETE FROM migrations WHERE name = '0018-imported-revision'")
    finally:
        conn.close()


def test_a_ledger_of_the_previous_onefile_build_with_a_store_file_beside_it_runs(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    config = write_config(tmp_path, state)
    assert cli(config, "replay", *map(str, CORPUS[:10])).returncode in (0, 1)
    # the store file that the previous build could not rename, still beside the ledger
    export_store(state / "state.db", state / SEPARATE)
    _as_rev17_build(state / "state.db")
    kept = tmp_path / "ledger-copy"
    shutil.copytree(state, kept)

    dry = cli(config, "replay", "--dry-run", *map(str, CORPUS[10:]))
    assert "imported_revision" not in dry.stderr, dry.stderr
    assert dry.returncode in (0, 1), dry.stderr
    run = cli(config, "replay", *map(str, CORPUS[10:]))
    assert "imported_revision" not in run.stderr, run.stderr
    assert run.returncode in (0, 1), run.stderr


def test_tickets_rebuild_does_not_blame_the_store_file_for_the_ledgers_missing_column(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    config = write_config(tmp_path, state)
    assert cli(config, "replay", *map(str, CORPUS[:10])).returncode in (0, 1)
    export_store(state / "state.db", state / SEPARATE)
    _as_rev17_build(state / "state.db")
    done = cli(config, "tickets", "rebuild")
    assert "cannot be read" not in done.stderr, done.stderr
