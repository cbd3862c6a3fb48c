"""Tickets brought up to date with the ledger: settle unfinished writes, then reconcile.

For every problem a run flagged, ``fold`` works out the tickets its whole history calls
for, ``plan`` diffs them against what was last written, and the writes go to the sink, each
between an intent and its record in the ledger (design.md section 4, crash safety).

A write whose outcome is unknown (a crash, a lost answer) leaves its intent; ``settle`` asks
the sink what it holds (a create: a search; any other write: the ticket read by key) before
that problem is written to again. A create the sink cannot confirm either way keeps its
intent, and no second create is made for it until a later run's search settles it. A
ticket a person deleted is forgotten, and its problem gets a new ticket. A ticket a person
resolved meanwhile is the person's doing, not the unfinished write's: it is learned as their
resolution (``observe``), never recorded as the tool's own.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from . import crashpoints
from .errors import Fatal, NotWritten, Skippable, TicketGone, WriteUnconfirmed
from .fingerprint import label
from .lifecycle import Policy, Timeline
from .ports import Applied, Intent, Ledger, Sink, TicketFacts, TicketSnapshot, TicketStatus
from .run_summary import RunSummary
from .ticket_plan import (
    Target,
    TicketTexts,
    Write,
    applied_from,
    content_digest,
    digest,
    plan,
    plan_superseded,
    target,
)

log = logging.getLogger(__name__)

SETTLE_ROUNDS = 3
"""Times a run goes back to writes with an unknown outcome before leaving them to the next."""


def reconcile_until_settled(
    ledger: Ledger, sink: Sink, texts: TicketTexts, policy: Policy, summary: RunSummary
) -> None:
    """``reconcile``, then again for writes whose outcome was unknown, a few times."""
    reconcile(ledger, sink, texts, policy, summary)
    for _ in range(SETTLE_ROUNDS):
        if not summary.unconfirmed:
            break
        # Ask the sink what those writes did (it waits out its search lag), then finish
        # those problems.
        summary.unconfirmed.clear()
        settle(ledger, sink)
        reconcile(ledger, sink, texts, policy, summary)


# ---------------------------------------------------------------------------------------------
# Settle and reconcile: tickets brought up to date with the ledger


def settle(ledger: Ledger, sink: Sink) -> None:
    """Ask the sink what each unfinished write did, and believe it."""
    for intent in ledger.pending_intents():
        try:
            snapshot = _what_the_sink_holds(ledger, sink, intent)
        except WriteUnconfirmed as exc:
            # Not found, but not surely absent either: keep the intent, so that no second
            # create is made before a later run looks again.
            log.info("still unsettled: %s", exc)
            continue
        except TicketGone as exc:
            log.warning("%s", exc)
            ledger.forget_ticket(intent.fingerprint, intent.episode)
            continue
        log.info(
            "settling an unfinished %s on %s: %s",
            intent.operation,
            intent.idempotency_key,
            "found in the sink" if snapshot else "not in the sink",
        )
        applied = None
        if snapshot is not None:
            applied = replace(
                applied_from(snapshot), status=_status_written(ledger, intent, snapshot)
            )
        ledger.settle(intent, applied)


def _status_written(ledger: Ledger, intent: Intent, found: TicketSnapshot) -> TicketStatus:
    """The status this tool last gave the ticket, for the ledger: not always the sink's.

    Only a status change's outcome is read from the sink's status. A create made an open
    ticket, and a comment or an edit changed no status: a ticket found resolved after one of
    those was resolved by a person, and stays recorded open, so that ``observe`` learns
    that resolution (its name and time) like any other, instead of reopening the ticket.
    """
    if intent.operation.startswith("set-status"):
        return found.status
    if intent.operation == "create":
        return "open"
    before = ledger.applied(intent.fingerprint).get(intent.episode)
    return before.status if before is not None else found.status


def _what_the_sink_holds(ledger: Ledger, sink: Sink, intent: Intent) -> TicketSnapshot | None:
    key = ledger.ticket_key(intent.fingerprint, intent.episode)
    if intent.operation == "create" or key is None:
        return sink.find(intent.idempotency_key, intent.written_at)
    try:
        # A write to a ticket the ledger knows: read it by key (comments by their
        # markers, the status), which no search lag can hide.
        return sink.snapshot(key)
    except LookupError:
        return None  # a sink that cannot read (a dry run's): plan the write again


def observe(ledger: Ledger, sink: Sink, fingerprints: list[str]) -> None:
    """Learn which of these problems' open tickets a person resolved (or deleted) in the sink."""
    open_tickets = ledger.open_tickets(fingerprints)
    if not open_tickets:
        return
    for key, resolution in sink.resolved_elsewhere(sorted(open_tickets)).items():
        fp, episode = open_tickets[key]
        if resolution.gone:
            ledger.forget_ticket(fp, episode)  # the sink has said so in its own line
            continue
        log.info("%s was resolved in %s as %r", key, sink.name, resolution.name)
        ledger.record_resolution(fp, episode, resolution.name, resolution.at)


def reconcile(
    ledger: Ledger, sink: Sink, texts: TicketTexts, policy: Policy, summary: RunSummary
) -> None:
    """Bring the tickets of every flagged problem to what its history calls for."""
    timelines: dict[str, Timeline] = {}
    # People's resolutions first, of every open ticket (a report need not flag a problem
    # whose ticket a person closed): each is an event of its problem's history, flagging it.
    observe(ledger, sink, ledger.open_problems())
    dirty = ledger.dirty()
    for fp in dirty:
        try:
            try:
                _reconcile_problem(ledger, sink, texts, policy, timelines, fp, summary)
            except TicketGone as exc:
                where = ledger.ticket_of(exc.key)
                if where is None:
                    raise
                log.warning("%s", exc)
                ledger.forget_ticket(*where)
                _reconcile_problem(ledger, sink, texts, policy, timelines, fp, summary)
        except WriteUnconfirmed as exc:
            log.warning("%s", exc)
            summary.unconfirmed.append(str(exc))
        except Skippable as exc:
            # This ticket needs a person; the problem stays flagged, so every run says so
            # until it is fixed, and the others go on.
            log.warning("needs attention: %s", exc)
            summary.attention.append(str(exc))


def _reconcile_problem(
    ledger: Ledger,
    sink: Sink,
    texts: TicketTexts,
    policy: Policy,
    timelines: dict[str, Timeline],
    fp: str,
    summary: RunSummary,
) -> None:
    """One problem's tickets brought to what its history (and people's resolutions) call for."""
    problem = ledger.problem(fp)
    episodes = ledger.episodes(fp)  # its lifecycle state, moved on as reports came in
    applied = ledger.applied(fp)
    facts: dict[int, TicketFacts] = {}
    previous: str | None = None
    wrote = False
    for episode in episodes:
        wanted = target(problem, episode, previous, texts)
        current = applied.get(episode.number)
        if current is None:
            current = _create(ledger, sink, fp, problem.family, wanted, summary)
            wrote = True
        for write in plan(wanted, current):
            current = _write(ledger, sink, fp, episode.number, current, write, summary)
            wrote = True
        facts[episode.number] = wanted.facts
        previous = current.key
    for number in sorted(n for n in applied if n >= len(episodes)):
        superseded = applied[number]
        for write in plan_superseded(superseded, number, previous):
            superseded = _write(ledger, sink, fp, number, superseded, write, summary)
            wrote = True
    summary.unchanged += not wrote and bool(applied)
    ledger.finish_problem(fp, episodes[-1].status if episodes else None, facts)


def _create(
    ledger: Ledger, sink: Sink, fp: str, family: str, wanted: Target, summary: RunSummary
) -> Applied:
    if ledger.create_pending(wanted.idempotency_key):
        raise WriteUnconfirmed(
            f"the ticket for {label(fp)} may exist already (a create got no clear answer and "
            f"{sink.name} does not show it yet): it is looked for again before any new attempt"
        )
    summary.writes.append(f"create: {wanted.content.summary}")
    intent = ledger.begin(fp, wanted.episode, wanted.idempotency_key, "create")
    try:
        snapshot = sink.create(
            wanted.idempotency_key,
            fp,
            wanted.content,
            family=family,
            reach_by=lambda when: ledger.reach_by(intent, when),
        )
    except (Fatal, Skippable, NotWritten):
        ledger.abandon(intent)  # refused or never sent: nothing was written
        raise
    # Any other error leaves the intent: the outcome is unknown until the sink is asked.
    crashpoints.crash_point("after-sink-write")
    applied = applied_from(snapshot)
    ledger.done(intent, fp, wanted.episode, applied, wanted.facts)
    summary.created += 1
    log.info("created %s: %s", snapshot.key, wanted.content.summary)
    return applied


def _write(
    ledger: Ledger,
    sink: Sink,
    fp: str,
    episode: int,
    current: Applied,
    write: Write,
    summary: RunSummary,
) -> Applied:
    """One write between its intent and its record; what the ticket now holds."""
    summary.writes.append(f"{write.describe()} on {current.key}")
    intent = ledger.begin(fp, episode, current.idempotency_key, write.describe())
    try:
        written = _apply(sink, current, write)
    except (Fatal, Skippable, NotWritten):
        ledger.abandon(intent)  # refused, never sent, or the ticket is gone: nothing written
        raise
    crashpoints.crash_point("after-sink-write")
    ledger.done(intent, fp, episode, written)
    _count(write, summary)
    log.info("%s on %s", write.describe(), current.key)
    return written


def _apply(sink: Sink, current: Applied, write: Write) -> Applied:
    """Send one write; what the ticket holds after it, for the ledger to record."""
    if write.op == "update":
        assert write.content is not None
        sink.update(current.key, write.content)
        return replace(current, content_digest=content_digest(write.content))
    if write.op == "put-comment":
        assert write.comment_key is not None and write.body is not None
        sink.put_comment(current.key, write.comment_key, write.body)
        return replace(
            current, comments={**current.comments, write.comment_key: digest(write.body)}
        )
    if write.op == "remove-comment":
        assert write.comment_key is not None
        sink.remove_comment(current.key, write.comment_key)
        left = {k: v for k, v in current.comments.items() if k != write.comment_key}
        return replace(current, comments=left)
    assert write.status is not None
    sink.set_status(current.key, write.status)
    return replace(current, status=write.status)


def _count(write: Write, summary: RunSummary) -> None:
    # Lifecycle events are counted by the comment that records them: a first replay of an
    # archive creates a ticket already reopened (its history in comments) without ever
    # sending it through the resolved state.
    if write.op == "put-comment":
        if write.event == "changed":
            summary.commented += 1
        elif write.event in ("resolved", "superseded", "verified"):
            summary.resolved += 1
        elif write.event == "reopened":
            summary.reopened += 1
    elif write.op == "update":
        summary.updated += 1
