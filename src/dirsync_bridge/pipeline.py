"""The pipeline, top-down: source -> parse -> problems -> enrich -> lifecycle -> sink.

One pass, whatever the source (saved files or a mailbox), is ``run_pass``:

1. settle the sink writes a crashed run left unfinished (``settle``);
2. for each new message of the source: parse it; record a rejection, or the report and the
   problems it shows, enriched, flagging those whose tickets may change (``ingest``);
3. (``run`` with verification) resolve what Graph shows cleared;
4. the lifecycle: bring the tickets of every flagged problem to what its history calls
   for, each write between an intent and its record (``apply_lifecycle``);
5. mark the messages processed, then let the source do what it owes them (a mailbox moves
   or marks each message, only now that every ticket write it caused is done);
6. the rejections named (besides the pass's own, those an earlier pass recorded and was
   stopped before naming) are marked named: by the command once its output is written
   (``mark_named``), else as the summary that names them is returned.

A crash anywhere leaves either an unflagged problem whose tickets are current, or a flag
and perhaps an intent, which the next pass settles and finishes; a mailbox's actions still
owed are done by the next pass. The parts come from ``bootstrap``; this module only
sequences them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from . import bootstrap, crashpoints, logs
from .config.settings import Config
from .errors import DirsyncBridgeError, Retriable
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
    "mark_named",
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
    named_after: bool = False,
) -> RunSummary:
    """Saved mail through the whole pipeline, into the configured sink. ``named_after``:
    the caller names the rejections once its output is written, then calls ``mark_named``
    (else they are marked named as the summary is returned)."""
    with bootstrap.build(config, env, dry_run=dry_run, enrich=enrich, progress=progress) as parts:
        source = bootstrap.file_source(paths, config, progress)
        return run_pass(source, parts, named_after=named_after)


def run(
    config: Config,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    env: Mapping[str, str] = os.environ,
    now: datetime | None = None,
    named_after: bool = False,
) -> RunSummary:
    """One cron pass: new mail from the configured mailbox, and Graph's provisioning errors
    when ``[source.provisioning_errors]`` is enabled (either alone is fine), into tickets;
    then the mail is marked. ``named_after``: as for ``replay``."""
    bootstrap.require_source(config)
    with bootstrap.build(
        config, env, dry_run=dry_run, graph=True, verify=True, progress=progress
    ) as parts:
        source = bootstrap.run_source(config, parts, now=now)
        return run_pass(source, parts, now=now, named_after=named_after)


def run_pass(
    source: Source,
    parts: bootstrap.Parts,
    *,
    now: datetime | None = None,
    named_after: bool = False,
) -> RunSummary:
    """One pass over ``source``: read, record, the lifecycle, the writes, the after-actions.
    ``named_after``: as for ``replay``."""
    # Its rejections spooled past a MiB: memory never grows with how many it meets.
    spool = Rejections()
    summary = RunSummary(problems=spool)
    map_large_blocks_apart()
    ledger, sink = parts.ledger, parts.sink
    settle(ledger, sink)
    _unnamed_before(ledger, spool, summary)
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
    up_to = ledger.messages_mark()  # every rejection this pass names is recorded by now
    if parts.verify is not None:
        parts.verify(ledger, now or datetime.now(UTC))
    apply_lifecycle(ledger, sink, parts, summary)
    ledger.mark_processed()
    if parts.enricher is not None:
        summary.fatal += parts.enricher.fatal
    if not parts.dry_run and named_after:  # (a dry run's ledger is a copy: it marks nothing)
        # Set before ``finish``: a pass cut short there still writes its summary, naming its
        # rejections, and its caller marks them.
        summary.named_up_to = up_to
    try:
        source.finish(summary)
    except CutShort:
        raise
    except Retriable as exc:
        raise CutShort(exc, summary) from exc
    if not parts.dry_run and not named_after:
        ledger.mark_named(up_to)
    return summary


def _unnamed_before(ledger: Ledger, spool: Rejections, summary: RunSummary) -> None:
    """The rejections an earlier pass recorded but never named (stopped before its output:
    a kill, a crash, exit 75), named by this pass first and counted among its rejections:
    read again, such a message is already seen, and no pass would name it. Counted apart
    (``RunSummary.named_for_earlier``): this pass did not read it; read again by this pass,
    it counts rejected instead, once (``RunSummary.named_late``)."""
    mark = ledger.messages_mark()
    for source, reason in ledger.unnamed_rejections():
        summary.named_late = mark
        code, said, detail = reason.partition(": ")
        spool.add(source, code if said else "rejected", detail if said else reason)
        summary.named_for_earlier += 1


def mark_named(config: Config, summary: RunSummary) -> None:
    """Once a pass's output has named its rejections: mark them named in its ledger
    (``summary.named_up_to``), so that no later pass names them again.

    The pass has closed its ledger (and let go of its lock) by now: it is opened again for
    this one write. Killed before it, the next pass names them again (twice, never none);
    one that cannot be written (a full disk, a damaged file) is said, never an error: the
    pass's work is done, and the next pass names them again.
    """
    if summary.named_up_to is None or not summary.problems:
        return  # nothing named (then nothing unnamed up to the mark): the ledger not opened
    if logs.stderr_lost():
        return  # stderr, which names them, could not take a line: the next pass names them
    if isinstance(summary.problems, Rejections) and summary.problems.unread:
        return  # some not read back from their spool, named by none (review rev41): likewise
    from .ledger.store import Ledger as SqliteLedger

    crashpoints.crash_point("before-named")
    if not config.state.path.is_file():
        return  # moved away meanwhile (a backup restored): none made here (review rev39)
    try:
        ledger = SqliteLedger.open(config.state.path)
        try:
            ledger.mark_named(summary.named_up_to)
        finally:
            ledger.close()
    except (DirsyncBridgeError, sqlite3.Error, OSError) as exc:
        log.warning(
            "the rejections named above could not be marked named in %s (%s): the next pass "
            "names them again",
            config.state.path,
            exc,
            extra={"event": "rejections-not-marked"},
        )


def apply_lifecycle(
    ledger: Ledger, sink: Sink, parts: bootstrap.Parts, summary: RunSummary
) -> None:
    """The lifecycle step: every flagged problem's tickets brought to what its history calls
    for (``lifecycle.fold``, then ``ticket_plan``), written through the sink."""
    reconcile_until_settled(ledger, sink, parts.texts, parts.policy, summary)
