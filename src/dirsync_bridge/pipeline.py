"""The pipeline, top-down: sources -> parse -> problems -> lifecycle -> sinks.

This is the only module that sequences I/O. A replay reads it in this order:

1. take the run lock (one run at a time);
2. settle the sink writes a crashed run left unfinished (``settle``);
3. for each message not already in the ledger: parse it; record a rejection, or record
   the report and its sightings, flagging the problems they may change (``ingest``);
4. bring the tickets of every flagged problem up to date (``reconcile``);
5. mark the messages processed.

A ``run`` (one cron pass over a mailbox) does the same with the messages Graph lists, then:

6. does each message's mailbox action (move, mark read, categorise), owed since step 3 and
   done only now that every ticket write it caused is done; then moves the watermark.

One message never stops a pass: one deleted before it could be read, or over the size
limit, is named (exit 1) and recorded so that it is not fetched again. One that Graph keeps
failing on (after the retry policy) ends the fetching; what was read before it is still
ticketed and marked, the watermark stays before it, and the pass ends with exit 75.

A crash anywhere leaves either an unflagged problem whose tickets are current, or a flag
and perhaps an intent, which the next run settles and finishes; mailbox actions still owed
are done by the next pass.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from . import crashpoints
from .config.settings import Config, MailboxSettings
from .enrich.enricher import Enricher, holder_labels, values_of
from .errors import ConfigError, DirsyncBridgeError, Retriable, Skippable
from .graph.client import MAX_IN_FLIGHT, GraphClient, GraphError, TooLarge, graph_credential
from .ledger.lock import RunLock
from .ledger.rebuild import check_store
from .ledger.store import Ledger
from .models import ParseResult, Rejected
from .parse.message import parse_message
from .parse.mime import message_id
from .problem import Sighting, report_key, report_time, sightings
from .run_summary import RunSummary
from .sinks import Sink
from .sinks.dry_run import PlanOnly
from .sinks.jira import JiraSink, jira_token
from .sinks.local import LocalStore
from .sources.files import RawMessage, read_paths
from .sources.mailbox import MailboxSource, MailItem, MessageGone
from .ticket_sync import reconcile_until_settled, settle
from .ticket_text.render import Markup, Renderer
from .verify import verify_cleared

__all__ = ["RunSummary", "ingest", "parse_paths", "replay", "run"]

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
    # A rejection is named once, by the command, after its output (RunSummary.problems).
    if not isinstance(result, Rejected):
        log.debug("parsed %s: %d error(s)", result.source, len(result.errors))


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
    enrich: bool = True,
) -> RunSummary:
    """Run saved mail through the whole pipeline into the configured sink."""
    # A broken template or a missing secret stops us here, before anything is written.
    renderer = Renderer(config.tickets.templates, markup=_markup(config))
    summary = RunSummary()
    enricher = Enricher.from_config(config, env) if enrich else None
    try:
        if dry_run:
            # Copies in memory: the same code runs, and nothing on disk changes.
            ledger = Ledger.open_copy(config.state.path)
            sink: Sink = open_sink(config, env, dry_run=True)
            _run(paths, config, ledger, sink, renderer, summary, progress, enricher)
            return summary
        sink = open_sink(config, env, dry_run=False)
        with RunLock(config.state.lock_path):
            ledger = Ledger.open(config.state.path)
            try:
                _run(paths, config, ledger, sink, renderer, summary, progress, enricher)
            finally:
                sink.close()
                ledger.close()
    finally:
        if enricher is not None:
            enricher.close()
            summary.fatal += enricher.fatal
    return summary


def _run(
    paths: Iterable[Path],
    config: Config,
    ledger: Ledger,
    sink: Sink,
    renderer: Renderer,
    summary: RunSummary,
    progress: Callable[[str], None] | None,
    enricher: Enricher | None,
) -> None:
    if isinstance(sink, LocalStore):
        check_store(ledger, sink)  # a store lost or restored from a backup: stop here
    settle(ledger, sink)
    for item in read_paths(paths, config.parse.max_message_bytes):
        if progress is not None:
            progress(item.source)
        if isinstance(item, Rejected):
            summary.unreadable += 1
            summary.problems.append(item)
            _log_result(item)
            continue
        ingest(item, config, ledger, summary, enricher)
    reconcile_until_settled(ledger, sink, renderer, config, summary)
    ledger.mark_processed()


def _markup(config: Config) -> Markup:
    return "jira" if config.sink.kind == "jira" else "plain"


# ---------------------------------------------------------------------------------------------
# Ingest: one message into the ledger


def message_keys(raw: bytes) -> tuple[str | None, str]:
    """The message's Message-ID (if any) and the sha256 of its bytes."""
    return message_id(raw), "sha256:" + hashlib.sha256(raw).hexdigest()


def ingest(
    item: RawMessage,
    config: Config,
    ledger: Ledger,
    summary: RunSummary,
    enricher: Enricher | None = None,
) -> Literal["processed", "rejected"]:
    """Parse one message (unless the ledger has it) and record what it says."""
    header_id, content_key = message_keys(item.data)
    for key in (header_id, content_key):
        status = ledger.message_status(key) if key else None
        if status:
            summary.already_seen += 1
            log.debug("already seen %s", item.source)
            return "rejected" if status == "rejected" else "processed"
    result = parse_message(item.data, item.source, config.trust, config.parse)
    _log_result(result)
    if isinstance(result, Rejected):
        # Keyed by content, never by the Message-ID a forger chose: a spoof must not
        # shadow the genuine report that carries the same id.
        ledger.record_rejected(content_key, item.source, result.reason)
        summary.rejected += 1
        summary.problems.append(result)
        return "rejected"
    summary.parsed += 1
    key = report_key(result, content_key.removeprefix("sha256:"))
    found = sightings(result, key)
    if enricher is not None:  # the IdFix rules need no directory: they always run
        found = enriched(found, enricher)
    ledger.record_report(
        header_id or content_key, key, result.tenant, report_time(result), item.source, found
    )
    crashpoints.crash_point("after-ingest")
    return "processed"


def enriched(found: list[Sighting], enricher: Enricher) -> list[Sighting]:
    """Each sighting with the facts behind it; its holders become part of its details."""
    enricher.prefetch(
        v
        for s in found
        for v in values_of(s.problem.family, s.problem.identity, s.details.conflicts)
    )
    out = []
    for sighting in found:
        details, problem = sighting.details, sighting.problem
        facts = enricher.enrich(
            problem.family, problem.identity, details.conflicts, details.invalid_attributes
        )
        if not (facts.looked_up or facts.rule_hits or facts.unavailable):
            out.append(sighting)  # nothing checked, nothing to say
            continue
        holders = details.model_copy(update={"holders": holder_labels(facts)})
        out.append(sighting.model_copy(update={"enrichment": facts, "details": holders}))
    return out


# ---------------------------------------------------------------------------------------------
# One cron pass over a mailbox


def run(
    config: Config,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    env: Mapping[str, str] = os.environ,
    now: datetime | None = None,
) -> RunSummary:
    """One pass: new mail from the configured mailbox, into tickets, then marked."""
    settings = config.source.mailbox
    if settings is None:
        raise ConfigError(
            None, "[source.mailbox] mailbox", "is not set: `run` reads a mailbox through Graph"
        )
    renderer = Renderer(config.tickets.templates, markup=_markup(config))
    client = GraphClient(config.graph, graph_credential(config.graph, env))
    source = MailboxSource(client, settings)
    enricher = Enricher.from_config(config, env, client=client)
    summary = RunSummary()
    at = now or datetime.now(UTC)
    parts = (source, config, enricher, renderer, summary, progress, at)
    try:
        if dry_run:
            ledger = Ledger.open_copy(config.state.path)
            sink: Sink = open_sink(config, env, dry_run=True)
            _pass(*parts, ledger, sink, act=False)
            return summary
        sink = open_sink(config, env, dry_run=False)
        with RunLock(config.state.lock_path):
            ledger = Ledger.open(config.state.path)
            try:
                _pass(*parts, ledger, sink, act=True)
            finally:
                sink.close()
                ledger.close()
    finally:
        enricher.close()
        summary.fatal += enricher.fatal
        client.close()
    return summary


def _pass(
    source: MailboxSource,
    config: Config,
    enricher: Enricher,
    renderer: Renderer,
    summary: RunSummary,
    progress: Callable[[str], None] | None,
    now: datetime,
    ledger: Ledger,
    sink: Sink,
    *,
    act: bool,
) -> None:
    settings = source.settings
    if isinstance(sink, LocalStore):
        check_store(ledger, sink)
    settle(ledger, sink)
    watermark = ledger.cursor(source.name)
    if watermark is None:
        since = now - settings.first_run_lookback
        listed = source.list_since(since, received_since=since)
    else:
        listed = source.list_since(watermark - settings.overlap)
    newest: datetime | None = None
    wanted: list[MailItem] = []
    for item in listed:
        newest = item.changed if newest is None else max(newest, item.changed)
        if ledger.mailbox_known(item.id):
            summary.already_seen += 1
        elif not worth_reading(item, config):
            summary.ignored += 1
            log.debug(
                "ignored %s: %r from %s", source.reference(item.id), item.subject, item.sender
            )
        else:
            wanted.append(item)
    stopped: Retriable | None = None
    for item, data in source.fetched(wanted, config.parse.max_message_bytes):
        reference = source.reference(item.id)
        if progress is not None:
            progress(reference)
        if isinstance(data, Retriable):
            # Not read, not recorded: the watermark stays before it, the next pass retries.
            log.warning("stopped reading at %s: %s", reference, data)
            stopped = data
            newest = item.changed if newest is None else min(newest, item.changed)
            break
        if isinstance(data, Skippable):
            _unreadable(source, item, data, ledger, summary)
            continue
        outcome = ingest(RawMessage(reference, data), config, ledger, summary, enricher)
        ledger.record_mailbox(item.id, source.name, item.received, outcome)
    if config.tickets.verify_with_graph and enricher.cloud is not None:
        verify_cleared(ledger, enricher.cloud, now)
    reconcile_until_settled(ledger, sink, renderer, config, summary)
    ledger.mark_processed()
    if not act:
        summary.writes += [
            f"{_action(o, settings)} {source.reference(i)}"
            for i, o, _ in ledger.mailbox_owed(source.name)
        ]
    elif not summary.unconfirmed:  # else a ticket may be missing: its mail stays put
        _act(source, ledger, summary)
        if newest is not None and (watermark is None or newest > watermark):
            ledger.set_cursor(source.name, newest)
    if stopped is not None:
        raise stopped


def _unreadable(
    source: MailboxSource, item: MailItem, error: Skippable, ledger: Ledger, summary: RunSummary
) -> None:
    """A message that cannot be read: named, and recorded so that it is not fetched again
    (a message too large still owes its ``after_rejected`` action; a deleted one nothing)."""
    reference = source.reference(item.id)
    log.info("unreadable %s: %s", reference, error)  # named on stderr with the summary
    code = "too-large" if isinstance(error, TooLarge) else "unreadable"
    detail = str(error).removeprefix(f"read {reference}: ")
    summary.unreadable += 1
    summary.problems.append(Rejected(source=reference, code=code, detail=detail))
    ledger.record_mailbox(item.id, source.name, item.received, "rejected")
    if isinstance(error, MessageGone):
        ledger.mailbox_done(item.id)


def worth_reading(item: MailItem, config: Config) -> bool:
    """Whether a listed message may be a report (or a spoof of one) and must be read.

    Plainly unrelated mail (neither a report sender or forwarder, nor a report subject) is
    left alone: not fetched, not marked. A spoof has to look like a report to matter, and
    then it is read, rejected and marked as such.
    """
    sender = item.sender.casefold()
    trusted = {a.casefold() for a in (*config.trust.senders, *config.trust.forwarders)}
    return sender in trusted or "synchronization error report" in item.subject.casefold()


def _action(outcome: str, settings: MailboxSettings) -> str:
    return settings.after if outcome == "processed" else settings.after_rejected


def _act(source: MailboxSource, ledger: Ledger, summary: RunSummary) -> None:
    """Every mailbox action owed, four at a time; each recorded as soon as it is done."""
    owed = ledger.mailbox_owed(source.name)
    with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
        futures = {
            pool.submit(source.apply, message_id, _action(outcome, source.settings)): message_id
            for message_id, outcome, _ in owed
        }
        failure: BaseException | None = None
        for future in as_completed(futures):
            message_id = futures[future]
            try:
                future.result()
            except GraphError as exc:
                if exc.status != 404:
                    failure = failure or exc
                    continue
                # Moved or deleted by a person meanwhile: nothing left to do to it.
                log.warning("%s is gone from the mailbox: %s", source.reference(message_id), exc)
            except DirsyncBridgeError as exc:
                failure = failure or exc
                continue
            ledger.mailbox_done(message_id)
            summary.mailbox_actions += 1
    if failure is not None:
        raise failure
