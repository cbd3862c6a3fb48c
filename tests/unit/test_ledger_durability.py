"""How the ledger's commits are made durable: a Jira create's intent survives a power loss
(``synchronous=FULL`` for its commit), the rest survive a crash of the process (NORMAL, in
WAL), and the log is emptied into the file when a run closes the ledger and the store."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dirsync_bridge import sqlite
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.sinks.local import LocalStore


def _traced(ledger: Ledger) -> list[str]:
    seen: list[str] = []
    ledger.conn.set_trace_callback(seen.append)
    return seen


def _synchronous(ledger: Ledger) -> int:
    return int(ledger.conn.execute("PRAGMA synchronous").fetchone()[0])


@pytest.mark.parametrize("batch", [False, True])
def test_a_jira_create_intent_is_committed_with_synchronous_full(
    tmp_path: Path, batch: bool
) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    ledger.keep_with_sink("jira")
    seen = _traced(ledger)
    if batch:
        ledger.begin_many([("fp", 0, "fp:0", "create")])
    else:
        ledger.begin("fp", 0, "fp:0", "create")
    pragmas = [s for s in seen if s.startswith("PRAGMA synchronous")]
    assert pragmas == ["PRAGMA synchronous=FULL", "PRAGMA synchronous=NORMAL"]
    # FULL before the transaction begins, NORMAL again only after it is committed.
    assert seen.index("PRAGMA synchronous=FULL") < seen.index("BEGIN IMMEDIATE")
    assert seen.index("COMMIT") < seen.index("PRAGMA synchronous=NORMAL")
    assert _synchronous(ledger) == 1  # NORMAL for everything else
    seen.clear()
    (intent,) = ledger.pending_intents()
    ledger.reach_by(intent.id, datetime(2020, 1, 1, tzinfo=UTC))
    assert "PRAGMA synchronous=FULL" in seen  # the time a create may still reach Jira
    ledger.close()


def test_other_intents_and_every_local_write_stay_normal(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    ledger.keep_with_sink("jira")
    seen = _traced(ledger)
    ledger.begin("fp", 0, "fp:0", "put-comment resolved")  # named: writing it again replaces
    assert not [s for s in seen if s.startswith("PRAGMA synchronous")]
    other = Ledger.open(tmp_path / "local.db")
    other.keep_with_sink("local")
    seen = _traced(other)
    other.begin_many([("fp", 0, "fp:0", "create")])
    assert not [s for s in seen if s.startswith("PRAGMA synchronous")]
    ledger.close()
    other.close()


def test_closing_the_ledger_and_the_store_empties_their_logs(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    store = LocalStore(tmp_path / "tickets.db")
    ledger.record_rejected("sha256:x", "x.eml", "not a report")
    store.restore([], 0)
    # Another process has the files open (a `tickets` reader): closing is then not the
    # last connection, which alone would leave the logs as they are.
    readers = [sqlite3.connect(tmp_path / name) for name in ("state.db", "tickets.db")]
    for reader in readers:
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
    assert (tmp_path / "state.db-wal").stat().st_size > 0
    ledger.close()
    store.close()
    assert (tmp_path / "state.db-wal").stat().st_size == 0
    assert (tmp_path / "tickets.db-wal").stat().st_size == 0
    for reader in readers:
        reader.close()


def test_a_checkpoint_a_reader_holds_back_is_no_failure(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    ledger.record_rejected("sha256:x", "x.eml", "not a report")
    reader = sqlite3.connect(tmp_path / "state.db", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM messages").fetchone()  # a snapshot held open
    ledger.record_rejected("sha256:y", "y.eml", "not a report")
    assert sqlite.checkpoint(ledger.conn) is False  # the log stays; nothing is lost
    ledger.close()
    reader.execute("COMMIT")
    reader.close()
    again = Ledger.open(tmp_path / "state.db")
    assert again.message_status("sha256:y") == "rejected"
    again.close()
