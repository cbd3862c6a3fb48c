"""Hostile review rev17: one write refused inside a batch of the local store (kept in the
ledger's file), and a run signalled mid-batch; review rev18: a batch's transaction rolled
back by SQLite itself (a full disk) while the writes of the batch go on."""

from __future__ import annotations

import inspect
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from dirsync_bridge import sqlite as dsqlite
from dirsync_bridge.errors import DirsyncBridgeError, Retriable
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay
from dirsync_bridge.sinks.local import LocalStore
from dirsync_bridge.ticket_plan import applied_from

from .conftest import CORPUS, make_config, outcome
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
            [*BASE, "--config", str(config_file), "replay", str(corpus)],
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
        if not config.state.path.exists():
            # Terminated before it made its ledger (start-up takes about 0.6 s on a slow
            # machine): nothing written, nothing to leave behind.
            continue
        conn = sqlite3.connect(config.state.path)
        try:
            assert conn.execute("SELECT count(*) FROM intents").fetchone()[0] == 0
        finally:
            conn.close()
    done = subprocess.run(
        [*BASE, "--config", str(config_file), "replay", str(corpus)],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
    )
    assert done.returncode in (0, 1), done.stderr
    assert outcome(config) == outcome(clean), codes


# -- a batch rolled back by SQLite ----------------------------------------------------------


def _full_disk(conn: sqlite3.Connection) -> DirsyncBridgeError:
    """What SQLite does on SQLITE_FULL inside a transaction: rolls it back, and raises."""
    conn.execute("ROLLBACK")
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    return dsqlite.failure(error, getattr(conn, "path", "x"))


def test_a_group_whose_transaction_sqlite_rolled_back_ends_retriable_not_fatal() -> None:
    """Hostile review rev18: the guard for "a batch rolled back by SQLite" (sqlite_transactions:
    ``_GROUPING``) fires only at the NEXT write. A group whose transaction SQLite rolled back by
    itself (a full disk: SQLITE_FULL rolls the transaction back), where the failing write's
    error was caught by its caller and no write came after, ends with ``COMMIT`` on no
    transaction: "cannot commit - no transaction is active", a ``Fatal`` (exit 2, a
    configuration/usage error), with the full disk forgotten, instead of ``Retriable`` (75).

    The reconcile does exactly this: its ``_start`` group runs every job to its first write, a
    job that ends there writes ``finish_problem`` in the group, and ``_advance`` catches the
    job's error (the run's ``_stop``), leaves the loop and the group ends normally."""
    folder = tempfile.mkdtemp()
    path = str(Path(folder) / "x.db")
    conn = dsqlite._open(path, dsqlite.GENERIC, path)
    conn.execute("CREATE TABLE t (a)")
    with pytest.raises(DirsyncBridgeError) as raised, dsqlite.grouped(conn):
        with dsqlite.transaction(conn):
            conn.execute("INSERT INTO t VALUES (1)")
        try:
            with dsqlite.transaction(conn):
                raise _full_disk(conn)
        except Retriable:
            pass  # a caller that goes on (ticket_writes._advance does)
    assert isinstance(raised.value, Retriable), f"{type(raised.value).__name__}: {raised.value}"


def test_a_full_disk_at_a_jobs_finish_in_the_start_group_is_75_and_the_rerun_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path / "state")
    replay(CORPUS, config)
    # Every problem flagged, as other templates (``use_texts``) flag them: most have nothing
    # to write, and their jobs end (``finish_problem``) inside the ``_start`` group.
    conn = sqlite3.connect(config.state.path, isolation_level=None)
    conn.execute("UPDATE problems SET dirty = 1")
    conn.close()
    real = Ledger.finish_problem
    calls = {"n": 0}

    def finish_problem(self: Ledger, *args: object, **kwargs: object) -> None:
        in_start = any(f.function == "_start" for f in inspect.stack())
        calls["n"] += in_start
        if in_start and calls["n"] == 3 and self.conn.in_transaction:
            raise _full_disk(self.conn)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "finish_problem", finish_problem)
    with pytest.raises(DirsyncBridgeError) as raised:
        replay(CORPUS[:1], config)
    monkeypatch.setattr(Ledger, "finish_problem", real)
    failed_as = type(raised.value)
    replay(CORPUS[:1], config)
    clean = make_config(tmp_path / "clean")
    replay(CORPUS, clean)
    assert outcome(config) == outcome(clean)
    assert failed_as is Retriable, f"{failed_as.__name__}: {raised.value}"
