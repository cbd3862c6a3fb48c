"""Tickets brought up to date with the ledger: settle unfinished writes, then reconcile.

For every problem a run flagged, ``fold`` works out the tickets its whole history calls
for, ``plan`` diffs them against what was last written, and the writes go to the sink, each
between an intent and its record in the ledger (design.md section 4, crash safety): new
tickets in batches, the other writes a few at a time (``ticket_writes``).

A write whose outcome is unknown (a crash, a lost answer) leaves its intent; ``settle`` asks
the sink what it holds (creates: one search per batch; any other write: the ticket read by
key) before that problem is written to again. A create the sink cannot confirm either way
keeps its intent, and no second create is made for it until a later run's search settles
it. A ticket a person deleted is forgotten, and its problem gets a new ticket. A ticket a
person resolved meanwhile is the person's doing, not the unfinished write's: it is learned
as their resolution (``observe``: one query per pass), never recorded as the tool's own.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

from .errors import TicketGone
from .fingerprint import label
from .lifecycle import FIRST, REOPENED, TOOL_RESOLUTION, VERIFIED, Policy, reopens
from .made_twice import settle_made_twice
from .ports import Applied, Intent, Ledger, Sink, TicketFacts, TicketSnapshot, TicketStatus
from .problem import Problem
from .run_summary import RunSummary
from .sink_values import ResolvedTicket
from .ticket_apply import unlink_unsettled
from .ticket_plan import TicketTexts, applied_from, plan, plan_superseded, target
from .ticket_writes import Change, Create, Job, Writer

log = logging.getLogger(__name__)

SETTLE_ROUNDS = 3
"""Times a run goes back to writes with an unknown outcome before leaving them to the next."""


def reconcile_until_settled(
    ledger: Ledger, sink: Sink, texts: TicketTexts, policy: Policy, summary: RunSummary
) -> None:
    """``reconcile``, then again for writes whose outcome was unknown, a few times (people's
    resolutions checked once, the first time)."""
    reconcile(ledger, sink, texts, policy, summary)
    for _ in range(SETTLE_ROUNDS):
        if not summary.unconfirmed:
            break
        # Ask the sink what those writes did (it waits out its search lag), then finish
        # those problems.
        summary.unconfirmed.clear()
        settle(ledger, sink)
        reconcile(ledger, sink, texts, policy, summary, people=False)


# ---------------------------------------------------------------------------------------------
# Settle and reconcile: tickets brought up to date with the ledger


def settle(ledger: Ledger, sink: Sink) -> None:
    """Ask the sink what each unfinished write did, and believe it."""
    intents = settle_made_twice(ledger, sink, ledger.pending_intents())
    creates = [i for i in intents if _is_create(ledger, i)]
    for start in range(0, len(creates), sink.max_batch):
        _settle_creates(ledger, sink, creates[start : start + sink.max_batch])
    for intent in intents:
        if intent in creates:
            continue
        try:
            snapshot = _what_the_sink_holds(ledger, sink, intent)
        except TicketGone as exc:
            log.warning(
                "%s",
                exc,
                extra={
                    "event": "ticket-gone",
                    "ticket": exc.key,
                    "fingerprint": intent.fingerprint,
                },
            )
            ledger.forget_ticket(intent.fingerprint, intent.episode)
            continue
        _believe(ledger, intent, snapshot)


def _is_create(ledger: Ledger, intent: Intent) -> bool:
    # A write to a ticket the ledger has no key for can only be settled as a create is.
    key = ledger.ticket_key(intent.fingerprint, intent.episode)
    return intent.operation == "create" or key is None


def _settle_creates(ledger: Ledger, sink: Sink, intents: list[Intent]) -> None:
    """Unfinished creates, up to a batch: one search for them all, once the latest of them
    has had the sink's search lag."""
    written_at = max(intent.written_at for intent in intents)
    found = sink.find_many(
        [i.idempotency_key for i in intents],
        written_at,
        known=ledger.knows_key,
    )
    for intent in intents:
        if intent.idempotency_key in found.unsure:
            # Not found, but not surely absent either: keep the intent, so that no second
            # create is made before a later run looks again.
            log.info(
                "still unsettled: the ticket for %s is not found yet after a create with no "
                "clear answer; the next run looks again",
                intent.idempotency_key,
            )
            continue
        _believe(ledger, intent, found.tickets.get(intent.idempotency_key))


def _believe(ledger: Ledger, intent: Intent, snapshot: TicketSnapshot | None) -> None:
    log.info(
        "settling an unfinished %s on %s: %s",
        intent.operation,
        intent.idempotency_key,
        "found in the sink" if snapshot else "not in the sink",
    )
    applied = None
    if snapshot is not None:
        applied = replace(applied_from(snapshot), status=_status_written(ledger, intent, snapshot))
        unlink_unsettled(intent.operation, snapshot)
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
    assert key is not None  # ``_is_create`` took the others
    try:
        # A write to a ticket the ledger knows: read it by key (comments by their
        # markers, the status), which no search lag can hide.
        return sink.snapshot(key)
    except LookupError:
        return None  # a sink that cannot read (a dry run's): plan the write again


PEOPLE: str = "people-resolutions"
"""The ledger cursor of the last check of people's resolutions (``observe``)."""


def observe(ledger: Ledger, sink: Sink) -> None:
    """Learn what people did to the tool's tickets in the sink since the last check (one
    query, the sink's): resolved an open one, renamed the resolution of a resolved one (Done
    corrected to Won't Do), or reopened one. Matched to the ledger's tickets by key, or by
    the idempotency key a ticket moved to another project still records."""
    since = ledger.cursor(PEOPLE)
    if not ledger.has_tickets():
        # No ticket for people to act on: tickets made from now on are checked from now on.
        ledger.set_cursor(PEOPLE, datetime.now(UTC))
        return
    check = sink.resolved_since(since)
    for found in [*check.resolved, *check.reopened]:
        where = ledger.ticket_of(found.key)
        if where is None and (where := _moved(ledger, sink, found)) is not None:
            log.info(
                "%s is %s now (moved in %s)",
                ledger.ticket_key(*where),
                found.key,
                sink.name,
                extra={"event": "ticket-moved", "ticket": found.key, "fingerprint": where[0]},
            )
            ledger.rekey_ticket(*where, found.key)
        if where is None:
            continue  # not this ledger's ticket
        fp, episode = where
        written = ledger.applied(fp).get(episode)
        if written is None or not _news(ledger, fp, episode, written.status, found):
            continue  # nothing the ledger does not know
        name = found.resolution.name
        done = "reopened" if name == REOPENED else f"resolved as {name!r}"
        log.info(
            "%s was %s in %s",
            found.key,
            done,
            sink.name,
            extra={
                "event": "people-reopened" if name == REOPENED else "people-resolved",
                "ticket": found.key,
                "fingerprint": fp,
                "resolution": None if name == REOPENED else name,
            },
        )
        ledger.record_resolution(fp, episode, name, found.resolution.at)
    ledger.set_cursor(PEOPLE, check.checked_at)
    audit(ledger, sink)


AUDITED: int = 500
"""Open tickets a pass looks for in the sink, those looked for longest ago first: a person
may delete or move a ticket the tool has no reason to write to (a problem seen every day,
unchanged), and only a look tells. 50,000 open tickets are all looked at in 100 passes,
at five searches a pass."""


def audit(ledger: Ledger, sink: Sink, limit: int = AUDITED) -> None:
    """Look for a slice of the open tickets in the sink: a deleted one is forgotten (its
    problem, if still open, gets a new ticket), a moved one known by its new key."""
    if not sink.people:
        return  # nobody else writes there: nothing to look for
    tickets = ledger.tickets_to_check(limit)
    if not tickets:
        return
    started = datetime.now(UTC)
    seen = sink.which_exist([key for key, _fp, _ep, _name in tickets])
    for key, fp, episode, name in tickets:
        if key in seen.gone:
            log.warning(
                "%s",
                gone_message(key, sink.name),
                extra={"event": "ticket-gone", "ticket": key, "fingerprint": fp},
            )
            ledger.forget_ticket(fp, episode)
        elif (now := seen.found.get(name)) is not None and now != key:
            log.info(
                "%s is %s now (moved in %s)",
                key,
                now,
                sink.name,
                extra={"event": "ticket-moved", "ticket": now, "fingerprint": fp},
            )
            ledger.rekey_ticket(fp, episode, now)
    ledger.checked([key for key, *_ in tickets if key not in seen.gone], started)


def gone_message(key: str, sink: str) -> str:
    """The one line that says a ticket is gone."""
    return f"{key} is gone from {sink} (deleted by a person): its problem gets a new ticket"


def _news(
    ledger: Ledger, fp: str, episode: int, written: TicketStatus, found: ResolvedTicket
) -> bool:
    """Whether what the sink shows of a ticket is a person's doing the ledger has not
    learned: open in the sink though the tool last left it resolved (reopened); done though
    the tool left it open (resolved); done under another resolution than the last the ledger
    knows it by (corrected). Read from what was written and learned, never from the
    episode's state: the reports this pass read may have moved that on already (reopened
    it: the correction must still count)."""
    if found.resolution.name == REOPENED:
        return written == "resolved"
    if written == "open":
        return True
    return found.resolution.name != _known_resolution(ledger.resolutions(fp).get(episode, []))


def _known_resolution(events: list[tuple[datetime, str]]) -> str:
    """The resolution the ledger knows a resolved ticket by: the last one learned for it,
    else (none learned, or a reopening since) the tool's own."""
    for _at, name in reversed(events):
        if reopens(name):
            break
        return TOOL_RESOLUTION if name.startswith(VERIFIED) else name.removeprefix(FIRST)
    return TOOL_RESOLUTION


def _moved(ledger: Ledger, sink: Sink, found: ResolvedTicket) -> tuple[str, int] | None:
    """The ledger's ticket that ``found`` is under a new key (a person moved it to another
    project), or None.

    The idempotency key it records is not enough: a duplicate the tool does not track (a
    create made twice) records the same one, and a person closing that duplicate must not
    resolve the tracked ticket. So the tracked ticket's own key is asked: a moved issue
    answers its old key with its new one; the tracked ticket itself answers as itself.
    """
    fingerprint, _, episode = found.idempotency_key.rpartition(":")
    if not fingerprint or not episode.isdigit():
        return None
    tracked = ledger.ticket_key(fingerprint, int(episode))
    if tracked is None:
        return None
    try:
        now = sink.snapshot(tracked).key
    except (TicketGone, LookupError):
        return None  # deleted (learned at its next write), or a sink that cannot tell
    return (fingerprint, int(episode)) if now == found.key else None


def reconcile(
    ledger: Ledger,
    sink: Sink,
    texts: TicketTexts,
    policy: Policy,
    summary: RunSummary,
    *,
    people: bool = True,
) -> None:
    """Bring the tickets of every flagged problem to what its history calls for; first
    (``people``) learn what people resolved since the last check."""
    if people and (summary.parsed or summary.scans or ledger.dirty()):
        # People's resolutions first, of every open ticket (a report need not flag a problem
        # whose ticket a person closed): each is an event of its problem's history, flagging
        # it. A pass that read nothing new and has nothing to write leaves them to the next
        # that does: until a report comes, a person's resolution changes no ticket.
        observe(ledger, sink)
    if not ledger.dirty():
        return

    def job(fp: str) -> Job:
        return _reconcile_problem(ledger, texts, policy, fp, summary)

    Writer(ledger, sink, summary, job).run(ledger.dirty())


def _reconcile_problem(
    ledger: Ledger,
    texts: TicketTexts,
    policy: Policy,
    fp: str,
    summary: RunSummary,
) -> Job:
    """One problem's tickets brought to what its history (and people's resolutions) call
    for: yields each write, and is sent back what the ticket holds after it."""
    problem = ledger.problem(fp)
    episodes = ledger.episodes(fp)  # its lifecycle state, moved on as reports came in
    applied = ledger.applied(fp)
    facts: dict[int, TicketFacts] = {}
    previous: str | None = None
    wrote = False
    for episode in episodes:
        current = applied.get(episode.number)
        if (
            current is None
            and episode.status == "resolved"
            and ledger.was_deleted(fp, episode.number)
        ):
            continue  # a person deleted its ticket, and the problem is gone: nothing to track
        wanted = target(_named_as(problem, current), episode, previous, texts)
        if current is None:
            current = yield Create(fp, problem.family, wanted)
            wrote = True
        # Links this ticket has beyond its earlier one: those to an earlier ticket a trade
        # displaced go (asked only then: a trade is rare); links to any other ticket stay, a
        # person's too, the one merged into this ticket included (``merged_away``). Each
        # such link goes once: one a person makes again after the unlink stays (``unlinked``).
        others = set(current.linked) - set(wanted.content.links)
        away = frozenset[str]()
        if others:
            away = ledger.merged_away(fp, others, episode.number)
            away -= ledger.unlinked(current.idempotency_key) if away else frozenset()
        for write in plan(wanted, current, away):
            current = yield Change(fp, episode.number, current, write)
            wrote = True
        facts[episode.number] = wanted.facts
        previous = current.key
    if not episodes and (into := ledger.merged_into(fp)) is not None:
        # Found by an object id alone, then merged into its identity's problem: its
        # tickets name the survivor's by label (it may not be written yet). A survivor that
        # took over a ticket (from a problem merged into it before) has that ticket's label.
        for _ in range(64):  # (a chain from before merges named the survivor: followed)
            further = ledger.merged_into(into)
            if further is None:
                break
            into = further
        kept = ledger.applied(into)
        first = kept[min(kept)].idempotency_key.rpartition(":")[0] if kept else into
        previous = f"the ticket labelled {label(first)}"
    for number in sorted(n for n in applied if n >= len(episodes)):
        superseded = applied[number]
        for write in plan_superseded(superseded, number, previous):
            superseded = yield Change(fp, number, superseded, write)
            wrote = True
    summary.unchanged += not wrote and bool(applied)
    ledger.finish_problem(fp, episodes[-1].status if episodes else None, facts)


def _named_as(problem: Problem, ticket: Applied | None) -> Problem:
    """The problem as its ticket names it: a ticket first opened for a problem found by an
    object id alone keeps that fingerprint (its label) once merged into its identity's."""
    if ticket is None:
        return problem
    first = ticket.idempotency_key.rpartition(":")[0]
    return (
        problem
        if first == problem.fingerprint
        else problem.model_copy(update={"fingerprint": first})
    )
