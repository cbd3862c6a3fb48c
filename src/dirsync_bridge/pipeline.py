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

import ctypes
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from . import bootstrap
from .config.settings import Config
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
from .models import Report
from .ports import Ledger, Progress, RawMessage, Sink, Source
from .run_summary import RunSummary
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
    summary = RunSummary()
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
    source.finish(summary)
    return summary


TRIM_AFTER_BYTES = 1024 * 1024
"""A message this large leaves enough freed memory behind to be worth giving back."""


M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter: blocks from this size up are mapped apart, and unmapped
when freed."""


def _glibc(name: str) -> Callable[..., int] | None:
    try:
        return cast(Callable[..., int], getattr(ctypes.CDLL(None), name))
    except (AttributeError, OSError):  # not glibc: its allocator gives memory back itself
        return None


_TRIM = _glibc("malloc_trim")
_MALLOPT = _glibc("mallopt")


def map_large_blocks_apart() -> None:
    """Keep glibc mapping blocks of 128 KiB and more apart (its default), as a pass begins.

    Left to itself, glibc raises that threshold to the size of the largest block freed (a
    message's bytes): a later message's large blocks then come from the heap, in pieces it
    keeps. Measured with 11 MiB reports (``bench/memory_bench.py``): one replay 4.4x the
    message, three in a run 1.06x one; with the threshold kept, 3.9x and 1.05x.
    """
    if _MALLOPT is not None:
        _MALLOPT(M_MMAP_THRESHOLD, 128 * 1024)


def give_back_memory() -> None:
    """Hand the memory freed by the last message back to the system (glibc's ``malloc_trim``).

    glibc keeps what a large message freed in its heap, in pieces, and raises its threshold
    for mapping large blocks to that message's size: the next large message then peaked
    higher, measured +5 MiB a 11 MiB message, 1.12x one message for three in one run
    (``bench/memory_bench.py``); trimmed after each, 1.06x.
    """
    if _TRIM is not None:
        _TRIM(0)


def apply_lifecycle(
    ledger: Ledger, sink: Sink, parts: bootstrap.Parts, summary: RunSummary
) -> None:
    """The lifecycle step: every flagged problem's tickets brought to what its history calls
    for (``lifecycle.fold``, then ``ticket_plan``), written through the sink."""
    reconcile_until_settled(ledger, sink, parts.texts, parts.policy, summary)
