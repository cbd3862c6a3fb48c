"""How a reconcile's ticket writes are sent: creates in batches, other writes a few at a time.

Each flagged problem is a *job*: a generator (``ticket_sync``) that yields the writes its
tickets need, one at a time, and is sent back what the ticket holds after each. A create
must be answered (the ticket's key) before anything else is written to that ticket, or
to the problem's next ticket (which links it), so a job waits at each create; the creates
of the waiting jobs go out together, ``sink.max_batch`` to a request, every intent of a
batch committed (one transaction) before the request leaves, and each answer recorded
item by item. The other writes (comments, transitions, edits) of different tickets are
independent: up to ``sink.max_in_flight`` at once, each in a worker thread, never two to
one ticket (a job has one write out at a time). The ledger is written from this thread
only, each write between its intent and its record, exactly as one at a time.

What one write's failure means is the same as before: a ticket gone is forgotten and its
problem started again (once); an unknown outcome leaves the intent and the problem's
flag; a refusal of one ticket is named and the others go on. Anything else stops the
reconcile, once what is in flight has come back and been recorded. Jobs are started a
window at a time, so that memory holds a few hundred problems, not every flagged one.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from . import crashpoints, interrupt
from .errors import Fatal, NotWritten, ResolvedMeanwhile, Skippable, TicketGone, WriteUnconfirmed
from .fingerprint import label
from .lifecycle import FIRST
from .ports import Applied, Ledger, Sink, TicketSnapshot
from .run_summary import RunSummary
from .sink_values import Made, NewTicket, WriteDone
from .ticket_apply import PartlyWritten, apply_write, count_write
from .ticket_plan import Target, Write, applied_from

log = logging.getLogger(__name__)

WINDOW_BATCHES = 4
"""Jobs under way at once: this many batches of creates' worth (200 with Jira)."""


@dataclass(frozen=True, slots=True)
class Create:
    """A job's next step: create the ticket of ``wanted``; sent back its ``Applied``."""

    fingerprint: str
    family: str
    wanted: Target


@dataclass(frozen=True, slots=True)
class Change:
    """A job's next step: one write to an existing ticket; sent back its ``Applied``."""

    fingerprint: str
    episode: int
    current: Applied
    write: Write


Job = Generator[Create | Change, Applied, None]


class Writer:
    """Runs the jobs of one reconcile against one sink (see the module docstring)."""

    def __init__(
        self, ledger: Ledger, sink: Sink, summary: RunSummary, job: Callable[[str], Job]
    ) -> None:
        """``job(fingerprint)`` starts a problem's job (again, after its ticket was gone)."""
        self.ledger, self.sink, self.summary, self._job = ledger, sink, summary, job
        self._jobs: dict[str, Job] = {}
        self._creates: list[Create] = []
        self._changes: deque[Change] = deque()
        self._running: dict[Future[Applied], tuple[Change, int | None]] = {}
        self._restarted: set[str] = set()
        self._stop: BaseException | None = None
        """The first error that ends the reconcile, raised once nothing is in flight."""

    def run(self, fingerprints: Iterable[str]) -> None:
        """Bring these problems' tickets up to date."""
        waiting: Iterator[str] | None = iter(fingerprints)
        window = WINDOW_BATCHES * self.sink.max_batch
        with self._pool() as pool:
            while True:
                if waiting is not None and self._stop is None and len(self._jobs) < window:
                    with _grouped(self.ledger):  # the problems with nothing to write end here
                        while self._stop is None and len(self._jobs) < window:
                            fingerprint = next(waiting, None)
                            if fingerprint is None:
                                waiting = None  # all started: no more (empty) groups
                                break
                            self._start(fingerprint)
                if self._stop is None and self._changes and isinstance(pool, _Inline):
                    self._send_grouped()
                    continue
                while self._stop is None and self._changes:
                    if len(self._running) >= self.sink.max_in_flight:
                        break
                    self._send(pool, self._changes.popleft())
                if self._running:
                    finished, _ = wait(self._running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        self._settled(future)
                    continue
                if self._stop is not None:
                    raise self._stop
                if self._creates:
                    batch = self._creates[: self.sink.max_batch]
                    del self._creates[: len(batch)]
                    self._create(batch)
                    continue
                if not self._jobs:
                    return

    def _pool(self) -> AbstractContextManager[Any]:
        if self.sink.max_in_flight > 1:
            return interrupt.workers(self.sink.max_in_flight)
        return nullcontext(_Inline())

    # -- jobs ------------------------------------------------------------------------------

    def _start(self, fingerprint: str) -> None:
        self._jobs[fingerprint] = self._job(fingerprint)
        self._advance(fingerprint, None)

    def _advance(self, fingerprint: str, applied: Applied | None) -> None:
        """Run a job to its next write (or its end)."""
        job = self._jobs[fingerprint]
        try:
            step = next(job) if applied is None else job.send(applied)
        except StopIteration:
            del self._jobs[fingerprint]
            return
        except Exception as exc:  # sorted by _failed, as a write's error
            self._failed(fingerprint, exc)
            return
        if isinstance(step, Change):
            self._changes.append(step)
        elif self.ledger.create_pending(step.wanted.idempotency_key):
            self._failed(
                fingerprint,
                WriteUnconfirmed(
                    f"the ticket for {label(fingerprint)} may exist already (a create got no "
                    f"clear answer and {self.sink.name} does not show it yet): it is looked "
                    "for again before any new attempt"
                ),
            )
        else:
            self._creates.append(step)

    def _failed(self, fingerprint: str, exc: BaseException) -> None:
        """One job's write (or step) failed: what that means for it, and for the run."""
        job = self._jobs.pop(fingerprint, None)
        if job is not None:
            job.close()
        if isinstance(exc, TicketGone) and fingerprint not in self._restarted:
            where = self.ledger.ticket_of(exc.key)
            if where is not None:
                log.warning(
                    "%s",
                    exc,
                    extra={"event": "ticket-gone", "ticket": exc.key, "fingerprint": fingerprint},
                )
                self.ledger.forget_ticket(*where)
                self._restart(fingerprint, exc)
                return
        if isinstance(exc, WriteUnconfirmed):
            log.warning("%s", exc)
            self.summary.unconfirmed.append(str(exc))
        elif isinstance(exc, Skippable):
            # This ticket needs a person; the problem stays flagged, so every run says so
            # until it is fixed, and the others go on.
            log.warning("needs attention: %s", exc)
            self.summary.attention.append(str(exc))
        elif self._stop is None:
            self._stop = exc

    def _restart(self, fingerprint: str, exc: BaseException) -> None:
        """Start a problem's job again from what the ledger now holds (once a reconcile)."""
        job = self._jobs.pop(fingerprint, None)
        if job is not None:
            job.close()
        if fingerprint in self._restarted:
            self._failed(fingerprint, exc)
            return
        self._restarted.add(fingerprint)
        self._start(fingerprint)

    # -- writes to existing tickets --------------------------------------------------------

    def _send(self, pool: Any, change: Change) -> None:
        what = change.write.describe()
        self.summary.writes.append(change.write.sentence(change.current.key))
        intent = self.ledger.begin(
            change.fingerprint, change.episode, change.current.idempotency_key, what
        )
        future = pool.submit(apply_write, self.sink, change.current, change.write)
        self._running[future] = (change, intent)

    def _send_grouped(self) -> None:
        """Every waiting change, for a sink written in this thread (the local store): one
        commit for them all when the sink keeps its tickets in the ledger's file (the
        intents, the writes, and what they did with the next step of each job, the end of
        those that end included: all or none of it), else three (the intents, the writes in
        one transaction of the sink's, then what they did). A crash in between leaves
        intents, settled as ever, one by one, from what the sink holds.

        Sharing the ledger's transaction, the writes get no intent but an unlink (whose
        intent carries the record that it was sent, ``unlinked``): one would be begun and
        ended in the commit that holds its write and its record, and protect nothing (a
        write that fails undoes itself, its savepoint rolled back: it did not happen)."""
        shared = _shares(self.ledger, self.sink)
        with _grouped(self.ledger) if shared else nullcontext():
            self._send_all(list(self._changes), all_intents=not shared)

    def _send_all(self, changes: list[Change], all_intents: bool) -> None:
        self._changes.clear()
        for change in changes:
            self.summary.writes.append(change.write.sentence(change.current.key))
        wanted = [all_intents or c.write.op == "unlink" for c in changes]
        ids = iter(
            self.ledger.begin_many(
                [
                    (c.fingerprint, c.episode, c.current.idempotency_key, c.write.describe())
                    for c, want in zip(changes, wanted, strict=True)
                    if want
                ]
            )
            if any(wanted)
            else ()
        )
        begun = [next(ids) if want else None for want in wanted]
        inline = _Inline()
        with _grouped(self.sink):
            # A failing commit raises here: none of the writes is recorded as done, and
            # their intents stay for the next run to settle.
            futures = [inline.submit(apply_write, self.sink, c.current, c.write) for c in changes]
        with _grouped(self.ledger):
            for change, intent, future in zip(changes, begun, futures, strict=True):
                self._running[future] = (change, intent)
                self._settled(future)

    def _settled(self, future: Future[Applied]) -> None:
        change, intent = self._running.pop(future)
        try:
            written = future.result()
        except ResolvedMeanwhile as exc:
            # The tool's resolve was never made: a person's came first. Learned as theirs
            # (their resolution, their time), and the problem's tickets worked out again.
            if intent is not None:
                self.ledger.abandon(intent)
            log.info("%s", exc)
            name = FIRST + exc.name
            self.ledger.record_resolution(change.fingerprint, change.episode, name, exc.at)
            self._restart(change.fingerprint, exc)
            return
        except PartlyWritten as exc:
            # The refresh landed, its comment was refused: the one recorded, the other named.
            self.ledger.done(intent, change.fingerprint, change.episode, exc.applied)
            self._failed(change.fingerprint, exc.refusal)
            return
        except (Fatal, Skippable, NotWritten) as exc:
            if intent is not None:  # refused, never sent, or the ticket is gone
                self.ledger.abandon(intent)
            self._failed(change.fingerprint, exc)
            return
        except Exception as exc:  # the outcome is unknown: the intent stays
            self._failed(change.fingerprint, exc)
            return
        crashpoints.crash_point("after-sink-write")
        self.ledger.done(intent, change.fingerprint, change.episode, written)
        count_write(change.write, self.summary)
        log.info(
            "%s on %s",
            change.write.describe(),
            change.current.key,
            extra={
                "event": "ticket-write",
                "ticket": change.current.key,
                "fingerprint": change.fingerprint,
                "operation": change.write.op,
                "change": change.write.event,
            },
        )
        self._advance(change.fingerprint, written)

    # -- creates ---------------------------------------------------------------------------

    def _create(self, batch: list[Create]) -> None:
        """One request for the batch's tickets, every intent committed before it leaves; for
        a sink that keeps its tickets in the ledger's file, one transaction for it all."""
        with _together(self.ledger, self.sink):
            self._create_all(batch)

    def _create_all(self, batch: list[Create]) -> None:
        for step in batch:
            self.summary.writes.append(f"create a ticket: {step.wanted.content.summary}")
        intents = self.ledger.begin_many(
            [(c.fingerprint, c.wanted.episode, c.wanted.idempotency_key, "create") for c in batch]
        )
        tickets = [
            NewTicket(c.wanted.idempotency_key, c.fingerprint, c.wanted.content, c.family)
            for c in batch
        ]
        try:
            made = self.sink.create_many(
                tickets,
                reach_by=lambda when: self.ledger.reach_by_many(intents, when),
                known=self.ledger.knows_key,
            )
        except Exception as exc:  # the request as a whole: each item's fate
            made = [exc] * len(batch)
        if any(isinstance(outcome, TicketSnapshot) for outcome in made):
            crashpoints.crash_point("after-sink-write")
        done = [
            WriteDone(intent, c.fingerprint, c.wanted.episode, applied_from(m), c.wanted.facts)
            for c, intent, m in zip(batch, intents, made, strict=True)
            if isinstance(m, TicketSnapshot)
        ]
        with _grouped(self.ledger):  # what they did, and the next step of each job
            self.ledger.done_many(done)
            self._created(batch, intents, made)

    def _created(self, batch: list[Create], intents: list[int], made: Sequence[Made]) -> None:
        for step, intent, outcome in zip(batch, intents, made, strict=True):
            if isinstance(outcome, TicketSnapshot):
                self.summary.created += 1
                facts = step.wanted.facts
                log.info(
                    "created %s: %s",
                    outcome.key,
                    step.wanted.content.summary,
                    extra={
                        "event": "ticket-created",
                        "ticket": outcome.key,
                        "fingerprint": step.fingerprint,
                        "kind": facts.kind,
                        "tenant": facts.tenant,
                    },
                )
                self._advance(step.fingerprint, applied_from(outcome))
                continue
            if isinstance(outcome, Fatal | Skippable | NotWritten):
                self.ledger.abandon(intent)  # refused or never sent: nothing was written
            # Any other error leaves the intent: the outcome is unknown until the sink is asked.
            self._failed(step.fingerprint, outcome)


def _grouped(part: object) -> AbstractContextManager[Any]:
    """The ledger's or the sink's writes made inside, in one transaction, where it can (the
    SQLite ones, ``grouped``); elsewhere each write commits as it goes."""
    group = getattr(part, "grouped", None)
    return group() if group is not None else nullcontext()


def _together(ledger: Ledger, sink: Sink) -> AbstractContextManager[Any]:
    """One transaction for the intents, the writes and the records of a batch, where the
    sink keeps its tickets in the ledger's own file (the local store): they commit together
    or not at all. Elsewhere an intent must commit before its write leaves."""
    return _grouped(ledger) if _shares(ledger, sink) else nullcontext()


def _shares(ledger: Ledger, sink: Sink) -> bool:
    """Whether the sink keeps its tickets on the ledger's own connection (the local store)."""
    shared = getattr(sink, "ledger_connection", None)
    return shared is not None and shared is getattr(ledger, "conn", None)


class _Inline:
    """A pool of one that runs each write at once, in this thread (``max_in_flight`` 1)."""

    def submit(self, fn: Callable[..., Applied], *args: Any) -> Future[Applied]:
        future: Future[Applied] = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # handed over as a pool would
            future.set_exception(exc)
        return future


__all__ = ["Change", "Create", "Job", "Writer"]
