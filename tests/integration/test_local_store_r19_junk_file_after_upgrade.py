"""Hostile review rev19 (medium): the README says "A store file put back later is not read
again", and a readable one put back after the upgrade is indeed only warned about or set
aside. But ``move_in`` reads it first (``_read`` before any ``verdict``), so an unreadable
``tickets.db`` appearing beside a ledger that moved its store in long ago (a 0-byte file
left by a backup/restore or config-management tool, a truncated copy of the set-aside
file) stops EVERY run with the local sink: exit 2, "the local ticket store ... cannot be
read / damaged ... run tickets rebuild", though the store in the ledger is sound and the
file would never be used. ``doctor`` agrees (FAIL); only ``tickets rebuild`` (a full
rebuild of a healthy store) or deleting the file gets runs going again. A 0-byte file is the
other way round: the run goes on (with a "not used" warning) while ``doctor`` says FAIL,
"every run refuses it until then", exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from dirsync_bridge.pipeline import replay

from ..earlier_release import SEPARATE, to_earlier_release
from .conftest import make_config
from .test_local_store_upgrade import CORPUS, MOVED, cli


@pytest.mark.parametrize("junk", ["empty", "truncated", "garbage"])
def test_an_unreadable_file_beside_a_ledger_that_moved_its_store_in_does_not_stop_runs(
    tmp_path: Path, junk: str
) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS[:6], config)
    to_earlier_release(config.state.directory)
    up = cli(config, "replay", *map(str, CORPUS[:6]))  # the upgrade
    assert up.returncode in (0, 1), up.stderr
    assert cli(config, "replay", *map(str, CORPUS[6:10])).returncode in (0, 1)
    moved = (config.state.directory / MOVED).read_bytes()
    target = config.state.directory / SEPARATE
    target.write_bytes(
        {"empty": b"", "truncated": moved[: len(moved) // 3], "garbage": b"x" * 5000}[junk]
    )
    run = cli(config, "replay", *map(str, CORPUS[10:12]))
    doctor = cli(config, "doctor")
    assert "Traceback" not in run.stderr, run.stderr
    # doctor must say what the run does ("empty": the run goes on, doctor says FAIL and
    # "every run refuses it until then")
    assert (doctor.returncode == 0) == (run.returncode in (0, 1)), (run.stderr, doctor.stdout)
    assert run.returncode in (0, 1), run.stderr
