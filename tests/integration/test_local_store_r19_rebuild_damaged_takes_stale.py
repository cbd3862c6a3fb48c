"""Hostile review rev19 (low): ``move_in_or_set_aside`` treats a damaged store in the
ledger as "take" (``except Fatal: what = "take"``) whatever the file beside the ledger is.
A stale copy of the very store moved in long ago (a rename that failed and was tolerated,
or a backup tool that put ``tickets.db`` back) then REPLACES the live in-ledger store
during ``tickets rebuild`` -- the repair the tool names for a lost identity row. Every
ticket written since the upgrade is thrown away and restored from the ledger as a stub
(then written again by the reconcile: the text ends the same, but creation times are lost,
each is rewritten, the summary says "29 restored from the ledger, 29 write(s)"), though the
damaged store still held all of them: without the file the same rebuild keeps all 41
(0 restored, 0 writes). The foreign-file variant below shows what another instance's file does."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from dirsync_bridge.pipeline import replay

from ..earlier_release import SEPARATE, export_store, to_earlier_release
from .conftest import local_tickets, make_config
from .test_local_store_upgrade import CORPUS, MOVED, cli


def _tickets(config):  # type: ignore[no-untyped-def]
    return {
        t.key: (t.idempotency_key, t.content, t.comments, t.status, t.resolution)
        for t in local_tickets(config)
    }


def _setup(tmp_path: Path, stale_file: bool, foreign: bool = False):  # type: ignore[no-untyped-def]
    if foreign:
        other = make_config(tmp_path / "other")
        replay(list(reversed(CORPUS)), other)  # another instance, its own keys
        foreign_file = export_store(other.state.path, tmp_path / "foreign.db")
    config = make_config(tmp_path / "state")
    replay(CORPUS[:4], config)
    to_earlier_release(config.state.directory)
    up = cli(config, "replay", *map(str, CORPUS[:4]))  # the upgrade: moved in, set aside
    assert up.returncode in (0, 1), up.stderr
    stale = config.state.directory / MOVED
    assert stale.is_file()
    for chunk in (CORPUS[4:10], CORPUS[10:16]):  # weeks of runs with the store in the ledger
        done = cli(config, "replay", *map(str, chunk))
        assert done.returncode in (0, 1), done.stderr
    before = _tickets(config)
    if stale_file:
        source = foreign_file if foreign else stale
        shutil.copy(source, config.state.directory / SEPARATE)  # the file is back
    conn = sqlite3.connect(config.state.path, isolation_level=None)
    conn.execute("DELETE FROM local_store")  # the identity row lost: "tickets rebuild"
    conn.close()
    return config, before


def _rebuild_and_compare(config, before):  # type: ignore[no-untyped-def]
    done = cli(config, "tickets", "rebuild")
    assert done.returncode == 0, done.stderr
    after = _tickets(config)
    lost = sorted(k for k in before if before[k][1:3] != after.get(k, (None,) * 5)[1:3])
    return lost, done


def test_control_rebuild_without_the_stale_file_keeps_every_ticket(tmp_path: Path) -> None:
    config, before = _setup(tmp_path, stale_file=False)
    lost, done = _rebuild_and_compare(config, before)
    assert not lost, (len(lost), len(before), done.stdout)
    assert " 0 restored from the ledger" in done.stdout, done.stdout


def test_rebuild_of_a_damaged_store_never_takes_in_a_stale_copy_over_it(tmp_path: Path) -> None:
    config, before = _setup(tmp_path, stale_file=True)
    lost, done = _rebuild_and_compare(config, before)
    assert not lost, (lost[:5], done.stdout)
    # what a rebuild of the same damaged store without the stale file says: all kept
    assert " 0 restored from the ledger" in done.stdout, done.stdout


def test_rebuild_of_a_damaged_store_never_takes_in_another_instances_file(tmp_path: Path) -> None:
    config, before = _setup(tmp_path, stale_file=True, foreign=True)
    done = cli(config, "tickets", "rebuild")
    after = _tickets(config)
    differ = sorted(k for k in before if before[k] != after.get(k))
    extra = sorted(set(after) - set(before))
    first = (before[differ[0]], after.get(differ[0])) if differ else None
    assert not differ and not extra, (len(differ), differ[:5], len(extra), first)
    assert " 0 restored from the ledger" in done.stdout, done.stdout
