"""The pipeline, top-down: source -> parse -> problems -> enrich -> lifecycle -> sink.

One pass, whatever the source (saved files or a mailbox), is ``run_pass``:

1. settle the sink writes a crashed run left unfinished (``settle``);
2. for each new message of the source: parse it; record a rejection, or the report and the
   problems it shows, enriched, flagging those whose tickets may change (``ingest``);
3. (``run`` with verification) resolve what Graph shows cleared;
4. the lifecycle: bring the tickets of every flagged problem to what its history calls
   for, each write between an intent and its record (``apply_lifecycle``);
5. mark the messages processed, then let the source do what it owes them (a mailbox moves
   or marks each message, only now that every ticket write it caused is done).

A crash anywhere leaves either an unflagged problem whose tickets are current, or a flag
and perhaps an intent, which the next pass settles and finishes; a mailbox's actions still
owed are done by the next pass. The parts come from ``bootstrap``; this module only
sequences them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from . import bootstrap
from .config.settings import Config
from .errors import Retriable
from .ingest import (  # re-exported: ``pipeline.ingest`` is where callers have found them
    FUTURE,
    dated,
    dated_at,
    enriched,
    established,
    ingest,
    ingest_report,
    input_key,
    known_identities,
    message_keys,
)
from .memory import TRIM_AFTER_BYTES, give_back_memory, map_large_blocks_apart
from .models import Report
from .ports import Ledger, Progress, RawMessage, Sink, Source
from .rejections import Rejections
from .run_summary import CutShort, RunSummary
from .ticket_sync import reconcile_until_settled, settle

__all__ = [
    "FUTURE",
    "RunSummary",
    "dated",
    "dated_at",
    "enriched",
    "established",
    "ingest",
    "ingest_report",
    "input_key",
    "known_identities",
    "message_keys",
    "replay",
    "run",
    "run_pass",
]

log = logging.getLogger(__name__)


def replay(
    paths: Iterable[Path],
    config: Config,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    env: Mapping[str, str] = os.environ,
    enrich: bool = True,
) -> RunSummary:
    """Saved mail through the whole pipeline, into the configured sink."""
    with bootstrap.build(config, env, dry_run=dry_run, enrich=enrich, progress=progress) as parts:
        return run_pass(bootstrap.file_source(paths, config, progress), parts)


def run(
    config: Config,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    env: Mapping[str, str] = os.environ,
    now: datetime | None = None,
) -> RunSummary:
    """One cron pass: new mail from the configured mailbox, and Graph's provisioning errors
    when ``[source.provisioning_errors]`` is enabled (either alone is fine), into tickets;
    then the mail is marked."""
    bootstrap.require_source(config)
    with bootstrap.build(
        config, env, dry_run=dry_run, graph=True, verify=True, progress=progress
    ) as parts:
        return run_pass(bootstrap.run_source(config, parts, now=now), parts, now=now)


def run_pass(source: Source, parts: bootstrap.Parts, *, now: datetime | None = None) -> RunSummary:
    """One pass over ``source``: read, record, the lifecycle, the writes, the after-actions."""
    # Its rejections spooled past a MiB: memory never grows with how many it meets.
    summary = RunSummary(problems=Rejections())
    map_large_blocks_apart()
    ledger, sink = parts.ledger, parts.sink
    settle(ledger, sink)
    for message in source.messages(summary):
        outcome = ingest(message, parts.config, ledger, summary, parts.enricher)
        source.read(message, outcome)
        if parts.progress is not None:
            # A scan's report counts its errors, as its source said to expect.
            count = len(message.errors) if isinstance(message, Report) else 1
            parts.progress.advance(message.source, count)
        large = isinstance(message, RawMessage) and len(message.data) >= TRIM_AFTER_BYTES
        del message  # not held while the source reads the next
        if large:
            give_back_memory()
    if parts.verify is not None:
        parts.verify(ledger, now or datetime.now(UTC))
    apply_lifecycle(ledger, sink, parts, summary)
    ledger.mark_processed()
    if parts.enricher is not None:
        summary.fatal += parts.enricher.fatal
    try:
        source.finish(summary)
    except CutShort:
        raise
    except Retriable as exc:
        raise CutShort(exc, summary) from exc
    return summary


def apply_lifecycle(
    ledger: Ledger, sink: Sink, parts: bootstrap.Parts, summary: RunSummary
) -> None:
    """The lifecycle step: every flagged problem's tickets brought to what its history calls
    for (``lifecycle.fold``, then ``ticket_plan``), written through the sink."""
    reconcile_until_settled(ledger, sink, parts.texts, parts.policy, summary)
