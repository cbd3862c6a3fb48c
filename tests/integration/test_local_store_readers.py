"""Readers of the ledger (``doctor``, ``tickets show``) beside the runs that write it.

They judge the store a run would use (``store_to_be_used``), and say what the run will
say: while a run writes (hostile review rev17: ``store_rebuild.mismatch`` read the store's
count of writes and the ledger's record of it in two statements, each its own snapshot, so
a batch committed in between made a sound store look "older than the ledger"), while the
first run after the upgrade moves the store in, and before it (reviews rev18, rev19).
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import DirsyncBridgeError
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay
from dirsync_bridge.sinks.local_import import store_to_be_used
from dirsync_bridge.store_rebuild import mismatch
from dirsync_bridge.ticket_show import gather

from ..earlier_release import before_store_identity, to_earlier_release
from .conftest import CORPUS, REST, cli, local_tickets, make_config, older_backup_moved_in
from .test_crash import build_corpus


def test_mismatch_read_on_a_readonly_ledger_is_one_snapshot(tmp_path: Path) -> None:
    """The same, deterministic: a run's commit lands between the two reads of ``mismatch``
    (a second connection commits a store write and its record, as one batch of a run does)."""
    corpus = tmp_path / "corpus"
    build_corpus(corpus, reports_per_tenant=4, seed=1)
    config = make_config(tmp_path / "state")
    replay([corpus], config)
    writer = Ledger.open(config.state.path)  # as the run's connection
    ledger = Ledger.open_readonly(config.state.path)
    try:
        fired = []

        def between(sql: str) -> None:
            # The store's count was read; the ledger's record is read next.
            if "FROM store_pairing" in sql and not fired:
                fired.append(sql)
                writer.conn.execute("BEGIN IMMEDIATE")
                writer.conn.execute("UPDATE local_store SET revision = revision + 1")
                writer.conn.execute("UPDATE store_pairing SET writes = writes + 1")
                writer.conn.execute("COMMIT")

        separate, paired = config.state.local_tickets_path, ledger.store_pairing()
        with store_to_be_used(ledger.conn, ledger.path, separate, paired) as store:
            assert store is not None
            ledger.conn.set_trace_callback(between)
            why = mismatch(ledger, store)
            ledger.conn.set_trace_callback(None)
        assert fired
        assert why is None, why
    finally:
        ledger.close()
        writer.close()


def test_reading_commands_succeed_while_a_run_writes(tmp_path: Path) -> None:
    import subprocess
    import sys

    first, second = tmp_path / "first", tmp_path / "second"
    build_corpus(first, reports_per_tenant=4, seed=1)
    build_corpus(second, reports_per_tenant=700, seed=2)
    config = make_config(tmp_path / "state")
    replay([first], config)
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[state]\npath = "{config.state.path}"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n'
        f'[metrics]\ntextfile = "{tmp_path / "metrics.prom"}"\n'
    )
    base = [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file)]
    with (tmp_path / "run.err").open("wb") as err:
        run = subprocess.Popen(
            [*base, "replay", str(second)], stdout=subprocess.DEVNULL, stderr=err
        )
    failures = []
    rounds = 0
    try:
        while run.poll() is None:
            for args in (
                ["tickets", "--format", "json"],
                ["tickets", "show", "LOCAL-1"],
                ["report", "--html", str(tmp_path / "r.html")],
                ["doctor"],
            ):
                done = subprocess.run([*base, *args], capture_output=True, text=True, check=False)
                if done.returncode not in (0,) or "Traceback" in done.stderr:
                    failures.append((args[0:2], done.returncode, done.stderr.strip()[-200:]))
            rounds += 1
    finally:
        run.wait(timeout=600)
    assert run.returncode in (0, 1)
    assert rounds > 0
    assert failures == [], failures[:3]


# -- around the first run after the upgrade ---------------------------------------------------


def test_doctor_and_tickets_show_agree_with_the_run_once_the_right_store_is_back(
    tmp_path: Path,
) -> None:
    """The rev17 fix made a run move in again a later copy of the store moved in
    (``_further_on``: the right backup put back after an older one), but
    ``store_to_be_used`` still picked the store kept in the ledger whenever it was not
    untouched: so, with the right store put back, doctor said FAIL ("older than the ledger
    ... run tickets rebuild", exit 2) and ``tickets show`` refused, while the very next run
    took it and exited 0."""
    config, before, right, refused = older_backup_moved_in(tmp_path)
    key = list(before)[-1]
    assert refused.returncode == 2, refused.stderr
    right.rename(config.state.local_tickets_path)  # the right one, put back

    doctor = cli(config, "doctor")
    show = cli(config, "tickets", "show", key)
    dry = cli(config, "replay", "--dry-run", *map(str, REST))
    run = cli(config, "replay", *map(str, REST))
    assert run.returncode in (0, 1), run.stderr  # the run takes the right store
    assert dry.returncode in (0, 1), dry.stderr
    assert "FAIL local ticket store" not in doctor.stdout, doctor.stdout
    assert show.returncode == 0, show.stderr


def test_readers_before_the_first_run_agree_with_the_run(tmp_path: Path) -> None:
    """Review rev19 (medium): a ``tickets.db`` from before store identity (no ``store``
    table), beside a ledger from before the pairing: the first run moves it in fine,
    reading a migrated in-memory copy (``LocalStore.copy_of``). But ``doctor`` and ``tickets
    show`` opened the file with ``LocalStore.open_readonly`` (nothing migrated) and called
    ``identity()``: doctor printed FAIL "the local ticket store is damaged (no such table:
    store)" (exit 2) and ``tickets show KEY`` failed with the same line, for a store that
    is sound and that the very next run takes, exit 0."""
    config = make_config(tmp_path / "state")
    replay(CORPUS[:6], config)
    to_earlier_release(config.state.directory)
    before_store_identity(config.state.path, config.state.local_tickets_path)
    conn = sqlite3.connect(config.state.local_tickets_path, isolation_level=None)
    key = conn.execute("SELECT key FROM tickets ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()

    doctor = cli(config, "doctor")
    show = cli(config, "tickets", "show", key)
    dry = cli(config, "replay", "--dry-run", *map(str, CORPUS[6:8]))
    run = cli(config, "replay", *map(str, CORPUS[6:8]))
    assert run.returncode in (0, 1), run.stderr[-600:]
    for done in (doctor, show, dry):
        assert "Traceback" not in done.stderr
        assert done.returncode in (0, 1), done.stderr
    assert "FAIL" not in doctor.stdout, doctor.stdout


def test_tickets_show_during_the_first_run_after_the_upgrade_never_fails(tmp_path: Path) -> None:
    """Review rev18: ``tickets show`` (``store_to_be_used``) while the first run after the
    upgrade moves ``tickets.db`` in and renames it. It decided on the ledger's tables first,
    then opened the separate file by name: renamed in between, the reader failed (or said
    the store is lost) though nothing is wrong before, during or after."""
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
