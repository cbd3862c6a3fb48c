"""Hostile review rev18: ``doctor`` and ``tickets show`` are to judge "the store a run would
use" (store_to_be_used). The rev17 fix made a run move in again a later copy of the store
moved in (``_further_on``: the right backup put back after an older one), but
store_to_be_used still picks the store kept in the ledger whenever it is not untouched: so,
with the right store put back, doctor says FAIL ("older than the ledger ... run tickets
rebuild", exit 2) and ``tickets show`` refuses, while the very next run takes it and exits
0. Doctor sends the user to ``tickets rebuild`` for a state that needs nothing."""

from __future__ import annotations

from pathlib import Path

from dirsync_bridge.pipeline import replay

from ..earlier_release import export_store, to_earlier_release
from .conftest import local_tickets, make_config
from .test_local_store_upgrade import FIRST, REST, cli


def test_doctor_and_tickets_show_agree_with_the_run_once_the_right_store_is_back(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "state")
    replay(FIRST[:3], config)
    older = export_store(config.state.path, tmp_path / "older-backup.db")
    replay(FIRST, config)
    key = local_tickets(config)[-1].key
    separate = to_earlier_release(config.state.directory)
    right = tmp_path / "right.db"
    separate.rename(right)
    copy = tmp_path / "older-copy.db"
    copy.write_bytes(older.read_bytes())
    copy.rename(separate)  # the older backup, put back by mistake
    refused = cli(config, "replay", *map(str, REST))
    assert refused.returncode == 2, refused.stderr
    right.rename(separate)  # the right one, put back

    doctor = cli(config, "doctor")
    show = cli(config, "tickets", "show", key)
    dry = cli(config, "replay", "--dry-run", *map(str, REST))
    run = cli(config, "replay", *map(str, REST))
    assert run.returncode in (0, 1), run.stderr  # the run takes the right store
    assert dry.returncode in (0, 1), dry.stderr
    assert "FAIL local ticket store" not in doctor.stdout, doctor.stdout
    assert show.returncode == 0, show.stderr
