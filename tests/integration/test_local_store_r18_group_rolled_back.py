"""Hostile review rev18: the guard for "a batch rolled back by SQLite" (sqlite_transactions:
``_GROUPING``) fires only at the NEXT write. A group whose transaction SQLite rolled back by
itself (a full disk: SQLITE_FULL rolls the transaction back), where the failing write's
error was caught by its caller and no write came after, ends with ``COMMIT`` on no
transaction: "cannot commit - no transaction is active", a ``Fatal`` (exit 2, a
configuration/usage error), with the full disk forgotten, instead of ``Retriable`` (75).

The reconcile does exactly this: its ``_start`` group runs every job to its first write, a
job that ends there writes ``finish_problem`` in the group, and ``_advance`` catches the
job's error (the run's ``_stop``), leaves the loop and the group ends normally."""

from __future__ import annotations

import inspect
import sqlite3
import tempfile
from pathlib import Path

import pytest

from dirsync_bridge import sqlite as dsqlite
from dirsync_bridge.errors import DirsyncBridgeError, Retriable
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay

from ..conftest import REPORTS
from .conftest import make_config, outcome

CORPUS = sorted(REPORTS.glob("*.eml"))


def _full_disk(conn: sqlite3.Connection) -> DirsyncBridgeError:
    """What SQLite does on SQLITE_FULL inside a transaction: rolls it back, and raises."""
    conn.execute("ROLLBACK")
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    return dsqlite.failure(error, getattr(conn, "path", "x"))


def test_a_group_whose_transaction_sqlite_rolled_back_ends_retriable_not_fatal() -> None:
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
