"""Hostile review rev17: readers of the ledger (doctor, tickets show) while a run writes.

``store_rebuild.mismatch`` reads the store's count of writes and the ledger's record of it
in two statements. On a connection with no transaction around them each SELECT is its own
snapshot: a run that commits a batch in between makes a store that is fine look "older
than the ledger", so ``doctor`` fails (exit 2, "run tickets rebuild") and ``tickets show``
hides the ticket's text, while nothing is wrong.
"""

from __future__ import annotations

from pathlib import Path

from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay
from dirsync_bridge.sinks.local_import import store_to_be_used
from dirsync_bridge.store_rebuild import mismatch

from .conftest import make_config
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
