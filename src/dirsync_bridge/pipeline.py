"""The pipeline, top-down: sources -> parse -> problems -> lifecycle -> sinks.

This is the only module that sequences I/O. A replay reads it in this order:

1. take the run lock (one run at a time);
2. settle the sink writes a crashed run left unfinished (``settle``);
3. for each message not already in the ledger: parse it; record a rejection, or record
   the report and its sightings, flagging the problems they may change (``ingest``);
4. bring the tickets of every flagged problem up to date (``reconcile``);
5. mark the messages processed.

A crash anywhere leaves either an unflagged problem whose tickets are current, or a flag
and perhaps an intent, which the next run settles and finishes.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import faults
from .config import Config
from .errors import Skippable
from .lifecycle import Policy, Timeline, fold
from .lock import RunLock
from .mime import message_id
from .models import ParseResult, Rejected
from .parse import parse_message
from .problem import report_key, report_time, sightings
from .reconcile import (
    Target,
    Write,
    applied_from,
    content_digest,
    digest,
    plan,
    plan_superseded,
    target,
)
from .render import Markup, Renderer
from .sinks import Sink
from .sinks.jira import JiraSink, WriteUnconfirmed, jira_token
from .sinks.local import LocalStore
from .sinks.plan import PlanOnly
from .sources.files import RawMessage, read_paths
from .state import Applied, Ledger, TicketFacts, tenant_key

log = logging.getLogger(__name__)


def parse_paths(paths: Iterable[Path], config: Config) -> Iterator[ParseResult]:
    """Parse every message under ``paths``, one at a time, in path order."""
    for item in read_paths(paths, config.parse.max_message_bytes):
        if isinstance(item, Rejected):
            result: ParseResult = item
        else:
            result = parse_message(item.data, item.source, config.trust, config.parse)
        _log_result(result)
        yield result


def _log_result(result: ParseResult) -> None:
    if isinstance(result, Rejected):
        log.info("rejected %s: %s", result.source, result.reason)
    else:
        log.debug("parsed %s: %d error(s)", result.source, len(result.errors))


@dataclass(slots=True)
class RunSummary:
    """What a run did, for the closing line, the JSON output and the exit code."""

    parsed: int = 0
    rejected: int = 0
    already_seen: int = 0
    unreadable: int = 0
    created: int = 0
    commented: int = 0
    updated: int = 0
    resolved: int = 0
    reopened: int = 0
    unchanged: int = 0
    problems: list[Rejected] = field(default_factory=list)
    """Rejected or unreadable inputs, each to be named on stderr."""
    attention: list[str] = field(default_factory=list)
    """Tickets the tool could not bring up to date (a missing transition...), one line each."""
    unconfirmed: list[str] = field(default_factory=list)
    """Problems whose ticket write had an unknown outcome even after settling (exit 75)."""
    writes: list[str] = field(default_factory=list)
    """Every ticket write, described (the plan, on a dry run)."""


SETTLE_ROUNDS = 3
"""Times a run goes back to writes with an unknown outcome before leaving them to the next."""


def open_sink(config: Config, env: Mapping[str, str], *, dry_run: bool) -> Sink:
    """The configured sink (the composition root's one decision about tickets)."""
    if config.sink.kind == "jira":
        if dry_run:
            return PlanOnly("jira")  # plans from the ledger; Jira is not contacted
        return JiraSink(config.jira, jira_token(config.jira, env))
    if dry_run:
        return LocalStore.copy_of(config.state.local_tickets_path)
    return LocalStore(config.state.local_tickets_path)


def replay(
    paths: Iterable[Path],
    config: Config,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    env: Mapping[str, str] = os.environ,
) -> RunSummary:
    """Run saved mail through the whole pipeline into the configured sink."""
    # A broken template or a missing secret stops us here, before anything is written.
    renderer = Renderer(config.tickets.templates, markup=_markup(config))
    summary = RunSummary()
    if dry_run:
        # Copies in memory: the same code runs, and nothing on disk changes.
        ledger = Ledger.open_copy(config.state.path)
        sink: Sink = open_sink(config, env, dry_run=True)
        _run(paths, config, ledger, sink, renderer, summary, progress)
        return summary
    sink = open_sink(config, env, dry_run=False)
    with RunLock(config.state.lock_path):
        ledger = Ledger.open(config.state.path)
        try:
            _run(paths, config, ledger, sink, renderer, summary, progress)
        finally:
            sink.close()
            ledger.close()
    return summary


def _run(
    paths: Iterable[Path],
    config: Config,
    ledger: Ledger,
    sink: Sink,
    renderer: Renderer,
    summary: RunSummary,
    progress: Callable[[str], None] | None,
) -> None:
    settle(ledger, sink)
    for item in read_paths(paths, config.parse.max_message_bytes):
        if progress is not None:
            progress(item.source)
        if isinstance(item, Rejected):
            summary.unreadable += 1
            summary.problems.append(item)
            _log_result(item)
            continue
        ingest(item, config, ledger, summary)
    reconcile(ledger, sink, renderer, config, summary)
    for _ in range(SETTLE_ROUNDS):
        if not summary.unconfirmed:
            break
        # Writes with an unknown outcome: ask the sink what they did (it waits out its
        # search lag), then finish those problems.
        summary.unconfirmed.clear()
        settle(ledger, sink)
        reconcile(ledger, sink, renderer, config, summary)
    ledger.mark_processed()


def _markup(config: Config) -> Markup:
    return "jira" if config.sink.kind == "jira" else "plain"


def _policy(config: Config) -> Policy:
    never = config.jira.never_reopen if config.sink.kind == "jira" else ()
    return config.tickets.policy(frozenset(never))


# ---------------------------------------------------------------------------------------------
# Ingest: one message into the ledger


def message_keys(raw: bytes) -> tuple[str | None, str]:
    """The message's Message-ID (if any) and the sha256 of its bytes."""
    return message_id(raw), "sha256:" + hashlib.sha256(raw).hexdigest()


def ingest(item: RawMessage, config: Config, ledger: Ledger, summary: RunSummary) -> None:
    """Parse one message (unless the ledger has it) and record what it says."""
    header_id, content_key = message_keys(item.data)
    if any(key and ledger.message_status(key) for key in (header_id, content_key)):
        summary.already_seen += 1
        log.debug("already seen %s", item.source)
        return
    result = parse_message(item.data, item.source, config.trust, config.parse)
    _log_result(result)
    if isinstance(result, Rejected):
        # Keyed by content, never by the Message-ID a forger chose: a spoof must not
        # shadow the genuine report that carries the same id.
        ledger.record_rejected(content_key, item.source, result.reason)
        summary.rejected += 1
        summary.problems.append(result)
        return
    summary.parsed += 1
    key = report_key(result, content_key.removeprefix("sha256:"))
    found = sightings(result, key)
    ledger.record_report(
        header_id or content_key, key, result.tenant, report_time(result), item.source, found
    )
    faults.crash_point("after-ingest")


# ---------------------------------------------------------------------------------------------
# Settle and reconcile: tickets brought up to date with the ledger


def settle(ledger: Ledger, sink: Sink) -> None:
    """Ask the sink what each unfinished write did, and believe it."""
    for intent in ledger.pending_intents():
        snapshot = sink.find(intent.idempotency_key, intent.created_at)
        log.info(
            "settling an unfinished %s on %s: %s",
            intent.operation,
            intent.idempotency_key,
            "found in the sink" if snapshot else "not in the sink",
        )
        ledger.settle(intent, applied_from(snapshot) if snapshot else None)


def observe(ledger: Ledger, sink: Sink, fingerprints: list[str]) -> None:
    """Learn which of these problems' open tickets a person resolved in the sink."""
    open_tickets = ledger.open_tickets(fingerprints)
    if not open_tickets:
        return
    for key, resolution in sink.resolved_elsewhere(sorted(open_tickets)).items():
        fp, episode = open_tickets[key]
        log.info("%s was resolved in %s as %r", key, sink.name, resolution.name)
        ledger.record_resolution(fp, episode, resolution.name, resolution.at)


def reconcile(
    ledger: Ledger, sink: Sink, renderer: Renderer, config: Config, summary: RunSummary
) -> None:
    """Bring the tickets of every flagged problem to what its history calls for."""
    policy = _policy(config)
    timelines: dict[str, Timeline] = {}
    dirty = ledger.dirty()
    observe(ledger, sink, dirty)
    for fp in dirty:
        try:
            _reconcile_problem(ledger, sink, renderer, policy, timelines, fp, summary)
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
    renderer: Renderer,
    policy: Policy,
    timelines: dict[str, Timeline],
    fp: str,
    summary: RunSummary,
) -> None:
    """One problem's tickets brought to what its history (and people's resolutions) call for."""
    problem = ledger.problem(fp)
    tkey = tenant_key(problem.tenant)
    if tkey not in timelines:
        timelines[tkey] = ledger.timeline(problem.tenant)
    episodes = fold(ledger.sightings(fp), timelines[tkey], policy, ledger.resolutions(fp))
    applied = ledger.applied(fp)
    facts: dict[int, TicketFacts] = {}
    previous: str | None = None
    wrote = False
    for episode in episodes:
        wanted = target(problem, episode, previous, renderer)
        current = applied.get(episode.number)
        if current is None:
            current = _create(ledger, sink, fp, problem.family, wanted, summary)
            wrote = True
        for write in plan(wanted, current):
            _write(ledger, sink, fp, episode.number, current, write, summary)
            wrote = True
        facts[episode.number] = wanted.facts
        previous = current.key
    for number in sorted(n for n in applied if n >= len(episodes)):
        for write in plan_superseded(applied[number], number, previous):
            _write(ledger, sink, fp, number, applied[number], write, summary)
            wrote = True
    summary.unchanged += not wrote and bool(applied)
    ledger.finish_problem(fp, episodes[-1].status if episodes else None, facts)


def _create(
    ledger: Ledger, sink: Sink, fp: str, family: str, wanted: Target, summary: RunSummary
) -> Applied:
    summary.writes.append(f"create: {wanted.content.summary}")
    intent = ledger.begin(fp, wanted.episode, wanted.idempotency_key, "create")
    # An error here leaves the intent: the outcome is unknown until the sink is asked.
    snapshot = sink.create(wanted.idempotency_key, fp, wanted.content, family=family)
    faults.crash_point("after-sink-write")
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
) -> None:
    summary.writes.append(f"{write.describe()} on {current.key}")
    intent = ledger.begin(fp, episode, current.idempotency_key, write.describe())
    try:
        _apply(sink, current, write)
    except Skippable:
        ledger.abandon(intent)  # refused: nothing was written
        raise
    faults.crash_point("after-sink-write")
    ledger.done(intent, fp, episode, current)
    _count(write, summary)
    log.info("%s on %s", write.describe(), current.key)


def _apply(sink: Sink, current: Applied, write: Write) -> None:
    # Mutates ``current`` to what the sink now holds, for the ledger to record.
    if write.op == "update":
        assert write.content is not None
        sink.update(current.key, write.content)
        current.content_digest = content_digest(write.content)
    elif write.op == "put-comment":
        assert write.comment_key is not None and write.body is not None
        sink.put_comment(current.key, write.comment_key, write.body)
        current.comments[write.comment_key] = digest(write.body)
    elif write.op == "remove-comment":
        assert write.comment_key is not None
        sink.remove_comment(current.key, write.comment_key)
        current.comments.pop(write.comment_key, None)
    elif write.op == "set-status":
        assert write.status is not None
        sink.set_status(current.key, write.status)
        current.status = write.status


def _count(write: Write, summary: RunSummary) -> None:
    # Lifecycle events are counted by the comment that records them: a first replay of an
    # archive creates a ticket already reopened (its history in comments) without ever
    # sending it through the resolved state.
    if write.op == "put-comment" and write.comment_key:
        kind = write.comment_key.split(":")[1]
        if kind == "changed":
            summary.commented += 1
        elif kind in ("resolved", "superseded"):
            summary.resolved += 1
        elif kind == "reopened":
            summary.reopened += 1
    elif write.op == "update":
        summary.updated += 1
