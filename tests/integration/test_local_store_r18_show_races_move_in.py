"""Hostile review rev18: ``tickets show`` (store_to_be_used) while the first run after the
upgrade moves ``tickets.db`` in and renames it. store_to_be_used decides on the ledger's
tables first, then opens the separate file by name: renamed in between, the reader fails
(or says the store is lost) though nothing is wrong before, during or after."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import DirsyncBridgeError
from dirsync_bridge.pipeline import replay
from dirsync_bridge.ticket_show import gather

from ..earlier_release import to_earlier_release
from .conftest import local_tickets, make_config
from .test_local_store_upgrade import CORPUS, cli


def test_tickets_show_during_the_first_run_after_the_upgrade_never_fails(tmp_path: Path) -> None:
    base = make_config(tmp_path / "base")
    replay(CORPUS[:20], base)
    key = local_tickets(base)[0].key
    to_earlier_release(base.state.directory)
    odd: list[str] = []
    for attempt in range(12):
        state = tmp_path / f"s{attempt}"
        shutil.copytree(base.state.directory, state)
        config = make_config(state)
        stop = threading.Event()

        def read(stop: threading.Event = stop, config: Config = config) -> None:
            while not stop.is_set():
                try:
                    shown = gather(config, {}, key)
                    if shown.missing:
                        odd.append(f"missing: {shown.missing}")
                except DirsyncBridgeError as exc:
                    odd.append(f"{type(exc).__name__}: {exc}")
                except Exception as exc:
                    odd.append(f"INTERNAL {type(exc).__name__}: {exc}")

        reader = threading.Thread(target=read)
        reader.start()
        try:
            done = cli(config, "replay", *map(str, CORPUS[20:22]))
        finally:
            stop.set()
            reader.join()
        assert done.returncode in (0, 1), done.stderr
    assert not odd, sorted(set(odd))[:6]
