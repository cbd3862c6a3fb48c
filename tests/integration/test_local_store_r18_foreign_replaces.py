"""Hostile review rev18: ``_further_on`` (the rev17 fix) checks that the file beside the
ledger has more writes than the store moved in and that nothing was written since, but not
that the file IS that store (its id): ``move_in`` compares ``old_revision`` with
``taken[1]`` only. So after a normal upgrade, once passes with no new mail (the usual cron
pass writes nothing to the store), ANY other store file with more writes put beside the
ledger (a ``tickets.db`` from a test instance, another server's) replaces the live store in
the ledger: its tickets deleted, the foreign ones in their place. The README promises a
file put back later is not read again (a warning), but for a later copy of the SAME store.
Every run then refuses the store ("not the store the ledger was kept with"), exit 2, until
``tickets rebuild`` (which loses superseded tickets' descriptions)."""

from __future__ import annotations

import shutil
from pathlib import Path

from dirsync_bridge.pipeline import replay

from ..earlier_release import SEPARATE, export_store, to_earlier_release
from .conftest import local_tickets, make_config
from .test_local_store_upgrade import CORPUS, cli


def _tickets(config):  # type: ignore[no-untyped-def]
    return {
        t.key: (t.idempotency_key, t.content, t.comments, t.status) for t in local_tickets(config)
    }


def test_another_stores_file_never_replaces_the_store_in_the_ledger(tmp_path: Path) -> None:
    other = make_config(tmp_path / "other")
    replay(CORPUS, other)  # another instance: many more writes
    foreign = export_store(other.state.path, tmp_path / "foreign.db")

    config = make_config(tmp_path / "state")
    replay(CORPUS[:10], config)
    to_earlier_release(config.state.directory)
    upgrade = cli(config, "replay", *map(str, CORPUS[:10]))  # moved in; nothing new
    assert upgrade.returncode in (0, 1), upgrade.stderr
    before = _tickets(config)

    shutil.copy(foreign, config.state.directory / SEPARATE)  # someone drops it there
    done = cli(config, "replay", *map(str, CORPUS[:10]))  # a pass with nothing new
    after = _tickets(config)
    assert after == before, (len(before), len(after))
    assert done.returncode in (0, 1), done.stderr


def test_doctor_says_what_the_next_run_will_do_with_another_stores_file(tmp_path: Path) -> None:
    other = make_config(tmp_path / "other")
    replay(CORPUS, other)
    foreign = export_store(other.state.path, tmp_path / "foreign.db")
    config = make_config(tmp_path / "state")
    replay(CORPUS[:10], config)
    to_earlier_release(config.state.directory)
    assert cli(config, "replay", *map(str, CORPUS[:10])).returncode in (0, 1)
    shutil.copy(foreign, config.state.directory / SEPARATE)
    doctor = cli(config, "doctor")
    run = cli(config, "replay", *map(str, CORPUS[:10]))
    # doctor says "ok ... the store the ledger describes"; the very next run exits 2
    assert (doctor.returncode == 0) == (run.returncode in (0, 1)), (doctor.stdout, run.stderr)
