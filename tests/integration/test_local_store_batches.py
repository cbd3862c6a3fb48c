"""Hostile review rev17: one write refused inside a batch of the local store (kept in the
ledger's file), and a run signalled mid-batch."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay
from dirsync_bridge.sinks.local import LocalStore
from dirsync_bridge.ticket_plan import applied_from

from .conftest import make_config, outcome
from .test_crash import build_corpus

BASE = [sys.executable, "-m", "dirsync_bridge"]


def _ledger_and_store_agree(state_db: Path, but: set[str]) -> list[str]:
    """Tickets whose store text is not what the ledger recorded writing (a write without its
    record, or a record without its write)."""
    ledger = Ledger.open(state_db)
    store = LocalStore.in_ledger(ledger.conn, ledger.path)
    try:
        pending = ledger.pending_tickets()
        wrong = []
        for record in ledger.ticket_records():
            if record.key in but or (record.fingerprint, record.episode) in pending:
                continue
            found = store.get(record.key)
            if found is None:
                wrong.append(f"{record.key} missing")
                continue
            applied = applied_from(found)
            if (applied.content_digest, applied.comments, applied.status) != (
                record.content_digest,
                record.comments,
                record.status,
            ):
                wrong.append(record.key)
        return wrong
    finally:
        ledger.close()


def test_a_ticket_missing_inside_a_batch_leaves_every_other_write_with_its_record(
    tmp_path: Path,
) -> None:
    first, later = tmp_path / "first", tmp_path / "later"
    build_corpus(first, reports_per_tenant=6, seed=5)
    build_corpus(later, reports_per_tenant=30, seed=6)
    config = make_config(tmp_path / "state")
    replay([first], config)
    conn = sqlite3.connect(config.state.path, isolation_level=None)
    try:
        victim = conn.execute("SELECT key FROM local_tickets ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("DELETE FROM local_comments WHERE ticket_key = ?", (victim,))
        conn.execute("DELETE FROM local_tickets WHERE key = ?", (victim,))
    finally:
        conn.close()
    before = _texts(config.state.path)
    try:
        summary = replay([later], config)
        stopped = None
    except Exception as exc:
        summary, stopped = None, exc
    assert _ledger_and_store_agree(config.state.path, {victim}) == []
    conn = sqlite3.connect(config.state.path)
    try:
        assert conn.execute("SELECT count(*) FROM intents").fetchone()[0] == 0
    finally:
        conn.close()
    assert stopped is None or victim in str(stopped), stopped
    assert summary is None or summary.writes
    assert _texts(config.state.path) != before  # the other writes of the batch were kept


def _texts(state_db: Path) -> dict[str, object]:
    conn = sqlite3.connect(state_db)
    try:
        tickets = {
            r[0]: r[1:] for r in conn.execute("SELECT key, description, status FROM local_tickets")
        }
        comments = sorted(conn.execute("SELECT ticket_key, comment_key, body FROM local_comments"))
        return {"tickets": tickets, "comments": comments}
    finally:
        conn.close()


def test_a_run_terminated_mid_batch_exits_130_and_the_rerun_ends_as_a_clean_run(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    build_corpus(corpus, reports_per_tenant=120, seed=8)
    clean = make_config(tmp_path / "clean")
    replay([corpus], clean)
    config = make_config(tmp_path / "state")
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[state]\npath = "{config.state.path}"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n'
    )
    codes = []
    for delay in (0.6, 0.9, 1.2, 1.5):
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dirsync_bridge",
                "--config",
                str(config_file),
                "replay",
                str(corpus),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=120)
        assert "Traceback" not in err, err
        codes.append(run.returncode)
        assert run.returncode in (0, 1, 130), err
        conn = sqlite3.connect(config.state.path)
        try:
            assert conn.execute("SELECT count(*) FROM intents").fetchone()[0] == 0
        finally:
            conn.close()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dirsync_bridge",
            "--config",
            str(config_file),
            "replay",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
    )
    assert done.returncode in (0, 1), done.stderr
    assert outcome(config) == outcome(clean), codes
