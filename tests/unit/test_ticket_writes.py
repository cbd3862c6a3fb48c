"""How a reconcile's writes reach the sink: creates in batches, other writes a few at once.

Against the ``Sink`` fake (``tests/fakes.py``) through the real ledger: every intent of a
batch is committed before the batch is sent, each ticket's outcome is its own, writes to
existing tickets run up to ``max_in_flight`` at once (never two to one ticket, the ledger
written from the calling thread only), and people's resolutions are checked once a pass.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.errors import Fatal, Skippable, WriteUnconfirmed
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import run_pass
from dirsync_bridge.ports import RawMessage, Resolution
from dirsync_bridge.run_summary import RunSummary
from dirsync_bridge.sink_values import Made, NewTicket

from ..fakes import ListSource, MemorySink
from ..reportgen import duplicate, report_email
from .test_core_with_fakes import parts

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
PEOPLE = [f"user{n}@contoso.com" for n in range(8)]


def row(who: str, *more: str) -> tuple[str, str]:
    return who, duplicate("ProxyAddresses", f"SMTP:{who}", *more)


def message(day: int, rows: list[tuple[str, str]]) -> RawMessage:
    raw = report_email("Contoso", T0 + timedelta(days=day), rows, f"<r{day}@contoso.com>")
    return RawMessage(f"report-{day}.eml", raw)


def run(tmp_path: Path, sink: MemorySink, *messages: RawMessage) -> RunSummary:
    ledger = Ledger.open(tmp_path / "state.db")
    try:
        return run_pass(ListSource(list(messages)), parts(tmp_path, ledger, sink))
    finally:
        ledger.close()


def pending(tmp_path: Path) -> list[str]:
    ledger = Ledger.open(tmp_path / "state.db")
    try:
        return [i.operation for i in ledger.pending_intents()]
    finally:
        ledger.close()


# ---------------------------------------------------------------------------------------------
# Creates


def test_new_tickets_go_to_the_sink_in_batches_of_its_max_batch(tmp_path: Path) -> None:
    sink = MemorySink()  # max_batch 3
    summary = run(tmp_path, sink, message(0, [row(p) for p in PEOPLE[:7]]))
    assert summary.created == 7 and len(sink.tickets) == 7
    assert sink.batches == [3, 3, 1]


class Watching(MemorySink):
    """Looks, from another connection, at what the ledger has committed when a batch leaves."""

    def __init__(self, state: Path) -> None:
        super().__init__()
        self.state = state
        self.committed: list[int] = []

    def create_many(
        self,
        tickets: Sequence[NewTicket],
        *,
        reach_by: Callable[[datetime], None] | None = None,
        known: Callable[[str], bool] = lambda key: False,
    ) -> list[Made]:
        with sqlite3.connect(self.state) as other:
            (count,) = other.execute(
                "SELECT count(*) FROM intents WHERE operation = 'create'"
            ).fetchone()
        self.committed.append(count)
        return super().create_many(tickets, reach_by=reach_by)


def test_every_intent_of_a_batch_is_committed_before_the_batch_is_sent(tmp_path: Path) -> None:
    sink = Watching(tmp_path / "state.db")
    run(tmp_path, sink, message(0, [row(p) for p in PEOPLE[:5]]))
    assert sink.committed == [3, 2]  # the whole batch, each time; none left after
    assert pending(tmp_path) == []


class Refusing(MemorySink):
    """Gives chosen tickets of a batch an outcome of their own (an error)."""

    def __init__(self, errors: dict[str, Exception]) -> None:
        super().__init__()
        self.errors = errors

    def create_many(
        self,
        tickets: Sequence[NewTicket],
        *,
        reach_by: Callable[[datetime], None] | None = None,
        known: Callable[[str], bool] = lambda key: False,
    ) -> list[Made]:
        made: list[Made] = []
        for ticket in tickets:
            error = next(
                (e for who, e in self.errors.items() if who in ticket.content.summary), None
            )
            made.append(error or super().create_many([ticket])[0])
        return made


def test_a_refused_ticket_is_named_and_the_others_of_its_batch_are_recorded(
    tmp_path: Path,
) -> None:
    sink = Refusing({PEOPLE[1]: Skippable(f"{PEOPLE[1]}: refused")})
    summary = run(tmp_path, sink, message(0, [row(p) for p in PEOPLE[:3]]))
    assert summary.attention == [f"{PEOPLE[1]}: refused"] and summary.created == 2
    assert pending(tmp_path) == []  # the refused create certainly did not happen
    sink.errors.clear()
    again = run(tmp_path, sink)  # its problem stayed flagged: created on the next pass
    assert again.created == 1 and len(sink.tickets) == 3


def test_a_ticket_whose_outcome_is_unknown_keeps_its_intent_and_is_settled_by_searching(
    tmp_path: Path,
) -> None:
    sink = Refusing({PEOPLE[2]: WriteUnconfirmed("lost")})
    summary = run(tmp_path, sink, message(0, [row(p) for p in PEOPLE[:3]]))
    assert summary.unconfirmed and summary.created == 2
    assert pending(tmp_path) == ["create"]
    sink.errors.clear()
    again = run(tmp_path, sink)
    assert again.unconfirmed == [] and again.created == 1
    assert pending(tmp_path) == [] and len(sink.tickets) == 3


def test_an_error_of_the_whole_request_stops_the_run_and_leaves_no_intent(
    tmp_path: Path,
) -> None:
    sink = Refusing({"": Fatal("credentials refused")})  # every summary contains ""
    with pytest.raises(Fatal, match="credentials refused"):
        run(tmp_path, sink, message(0, [row(p) for p in PEOPLE[:4]]))
    assert pending(tmp_path) == [] and sink.tickets == {}


# ---------------------------------------------------------------------------------------------
# Writes to existing tickets


class Concurrent(MemorySink):
    """Comments that wait until ``width`` of them are in flight at once (or time out)."""

    def __init__(self, width: int, failing: str = "") -> None:
        super().__init__()
        self.max_in_flight = width
        self.barrier = threading.Barrier(width, timeout=30)
        self.lock = threading.Lock()
        self.in_flight: set[str] = set()
        self.overlaps: list[str] = []
        self.threads: set[str] = set()
        self.failing = failing
        self.arrived = 0

    def put_comment(self, key: str, comment_key: str, body: str) -> None:
        with self.lock:
            if key in self.in_flight:
                self.overlaps.append(key)
            self.in_flight.add(key)
            self.threads.add(threading.current_thread().name)
            self.arrived += 1
            first = self.arrived <= self.barrier.parties
        try:
            if first:
                self.barrier.wait()  # BrokenBarrierError unless the first `width` run at once
            if self.failing and self.failing in self.tickets[key].content.summary:
                raise Fatal("refused for good")
            with self.lock:
                super().put_comment(key, comment_key, body)
        finally:
            with self.lock:
                self.in_flight.discard(key)


def created_then_changed(tmp_path: Path, sink: MemorySink) -> list[RawMessage]:
    first = message(0, [row(p) for p in PEOPLE])
    run(tmp_path, sink, first)
    return [first, message(1, [row(p, "smtp:x@contoso.com") for p in PEOPLE])]


def test_writes_to_existing_tickets_run_up_to_max_in_flight_at_once(tmp_path: Path) -> None:
    sink = Concurrent(4)
    summary = run(tmp_path, sink, *created_then_changed(tmp_path, sink))
    assert summary.commented == len(PEOPLE)
    assert all(len(t.comments) == 1 for t in sink.tickets.values())
    assert len(sink.threads) == 4  # in worker threads (the ledger stayed in this one)
    assert sink.overlaps == []  # never two writes to one ticket at once
    assert pending(tmp_path) == []


def test_an_error_that_stops_the_run_first_records_the_writes_in_flight(tmp_path: Path) -> None:
    sink = Concurrent(4, failing=PEOPLE[0])
    messages = created_then_changed(tmp_path, sink)
    with pytest.raises(Fatal, match="refused for good"):
        run(tmp_path, sink, *messages)
    written = {t.fingerprint for t in sink.tickets.values() if t.comments}
    # The three in flight beside it came back (and any sent before its error was seen)...
    assert 3 <= len(written) < len(PEOPLE)
    ledger = Ledger.open(tmp_path / "state.db")
    try:
        fingerprints = {t.fingerprint for t in sink.tickets.values()}
        recorded = {fp for fp in fingerprints if ledger.applied(fp)[0].comments}
        assert recorded == written  # ...and were recorded; nothing new was sent after it
        assert ledger.pending_intents() == []
    finally:
        ledger.close()


# ---------------------------------------------------------------------------------------------
# People's resolutions


def test_people_are_checked_once_a_pass_that_reads_a_report_from_the_last_check(
    tmp_path: Path,
) -> None:
    sink = MemorySink()
    first = message(0, [row(p) for p in PEOPLE[:4]])
    run(tmp_path, sink, first)
    assert sink.checks == []  # no ticket was open: nothing to ask
    run(tmp_path, sink, first)
    assert sink.checks == []  # nothing new read, nothing to write: nothing to ask

    ann = next(iter(sink.tickets))
    sink.resolved_by_people[ann] = Resolution(name="Won't Do", at=T0 + timedelta(hours=1))
    # The next report lists every problem unchanged (it flags none of them): asked once.
    later = message(1, [row(p) for p in PEOPLE[:4]])
    run(tmp_path, sink, first, later)
    (since,) = sink.checks  # from the first pass's time
    assert since is not None and since <= datetime.now(UTC)
    reopened = [op for op, key in sink.writes if key == ann and ":reopened:" in op]
    assert reopened  # the person's resolution was learned: seen again, reopened
    run(tmp_path, sink, first, later, message(2, [row(p, "x@y") for p in PEOPLE[:4]]))
    assert len(sink.checks) == 2 and sink.checks[1] is not None and sink.checks[1] > since


def test_people_are_checked_once_a_pass_even_when_it_goes_back_to_unsettled_writes(
    tmp_path: Path,
) -> None:
    sink = Refusing({})
    first = message(0, [row(p) for p in PEOPLE[:3]])
    run(tmp_path, sink, first)
    sink.errors[PEOPLE[3]] = WriteUnconfirmed("lost")  # every attempt of this pass
    summary = run(tmp_path, sink, first, message(1, [row(p) for p in PEOPLE[:4]]))
    assert summary.unconfirmed  # the pass went back to it (settle, reconcile) a few times
    assert len(sink.checks) == 1  # and asked about people once
