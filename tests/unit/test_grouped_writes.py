"""The local store's writes of a reconcile, grouped: their intents in one ledger transaction,
the writes in one of the store's, what they did in one of the ledger's (not three commits a
write); a group whose commit fails leaves its intents, settled by the next pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.errors import Retriable
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import run_pass
from dirsync_bridge.ports import RawMessage
from dirsync_bridge.run_summary import RunSummary
from dirsync_bridge.sinks.local import LocalStore

from ..fakes import ListSource
from ..reportgen import duplicate, report_email
from .test_core_with_fakes import parts

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
PEOPLE = [f"user{n}@contoso.com" for n in range(6)]


def message(day: int) -> RawMessage:
    # Each day the values held change: every problem gets a "changed" comment.
    rows = [(p, duplicate("ProxyAddresses", f"SMTP:{p}", f"smtp:day{day}@x.com")) for p in PEOPLE]
    raw = report_email("Contoso", T0 + timedelta(days=day), rows, f"<r{day}@contoso.com>")
    return RawMessage(f"report-{day}.eml", raw)


def run(
    tmp_path: Path, store: LocalStore, *messages: RawMessage
) -> tuple[RunSummary, dict[str, int]]:
    ledger = Ledger.open(tmp_path / "state.db")
    commits = {"ledger": 0, "store": 0}

    def counter(name: str) -> Callable[[str], None]:
        def trace(statement: str) -> None:
            commits[name] += statement == "COMMIT"

        return trace

    ledger.conn.set_trace_callback(counter("ledger"))
    store._conn.set_trace_callback(counter("store"))
    try:
        summary = run_pass(ListSource(list(messages)), parts(tmp_path, ledger, store))  # type: ignore[arg-type]
    finally:
        ledger.conn.set_trace_callback(None)
        store._conn.set_trace_callback(None)
        ledger.close()
    return summary, commits


def test_a_reconciles_local_writes_commit_in_groups_not_one_by_one(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "tickets.db")
    run(tmp_path, store, message(0))
    summary, commits = run(tmp_path, store, message(1))
    writes = len(summary.writes)
    assert summary.commented == len(PEOPLE) and writes >= len(PEOPLE)
    # Each problem's writes go one after another (a job has one write out at a time), the
    # problems' side by side: one store commit per round, not one per write.
    rounds = writes // len(PEOPLE)
    assert commits["store"] == rounds
    # The report, its problems started, per round intents and results (2), then the pass's
    # own bookkeeping (people's resolutions checked, messages marked processed...): a few.
    assert commits["ledger"] <= 5 + 2 * rounds
    tickets = store.tickets()
    assert all(len(t.comments) == 1 for t in tickets) and len(tickets) == len(PEOPLE)
    store.close()


class FailingCommit(LocalStore):
    """A store whose next group fails as it commits (as a full disk would)."""

    fail = True

    def grouped(self):  # type: ignore[no-untyped-def,override]
        @contextmanager
        def group() -> Iterator[None]:
            with super(FailingCommit, self).grouped():
                yield
                if self.fail:
                    self.fail = False
                    self._conn.execute("ROLLBACK")
                    raise Retriable("tickets.db: the disk is full")

        return group()


def test_a_group_whose_commit_fails_leaves_its_intents_for_the_next_pass(tmp_path: Path) -> None:
    run(tmp_path, LocalStore(tmp_path / "tickets.db"), message(0))
    store = FailingCommit(tmp_path / "tickets.db")
    with pytest.raises(Retriable):
        run(tmp_path, store, message(1))
    ledger = Ledger.open(tmp_path / "state.db")
    assert len(ledger.pending_intents()) == len(PEOPLE)  # none recorded as done
    ledger.close()
    assert all(not t.comments for t in store.tickets())  # and none reached the store
    run(tmp_path, store, message(1))  # the next pass settles and finishes
    ledger = Ledger.open(tmp_path / "state.db")
    assert ledger.pending_intents() == [] and ledger.dirty() == []
    ledger.close()
    assert all(len(t.comments) == 1 for t in store.tickets())
    store.close()


def test_a_group_finalised_after_its_connection_closed_raises_nothing(tmp_path: Path) -> None:
    """A signal can leave a group suspended, held by the traceback, until the interpreter
    exits: the connection is closed by then. Its clean-up said "Exception ignored ...
    Cannot operate on a closed database" with a traceback on stderr (found by the suite,
    a SIGTERM mid-batch)."""
    ledger = Ledger.open(tmp_path / "state.db")
    group = ledger.grouped()
    group.__enter__()
    ledger.close()
    group.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)  # as the finaliser does
