"""Ingest: one message into the ledger (``pipeline.run_pass``'s step 2).

A message is known by its bytes' hash (seen files replay without a parse), parsed, filed under
its tenant's first-known name, dated, and recorded with the problems it shows: an email's made
a chunk at a time and only those whose rows changed (``problem_rows``), enriched as they are
made. A report a source built (a Graph scan) is recorded as it is.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from . import crashpoints
from .code_mark import rows_mark
from .config.settings import Config
from .enrich.enricher import Enricher, holder_labels, values_of
from .fingerprint import tenant_normal
from .lifecycle import Coverage, coverage_of
from .models import Rejected, Report
from .parse.detect import detect, read_input
from .parse.mime import message_id
from .parse.parsed_report import ParsedReport
from .ports import Ledger, Outcome, RawMessage
from .problem import (
    EPOCH,
    EXPORTS,
    Sighting,
    report_key,
    report_time,
    sightings,
    written_at,
)
from .problem_rows import Listed, listed_in_chunks, listing_digest
from .run_summary import RunSummary

__all__ = ["enriched", "ingest", "ingest_report", "known_identities", "rows_mark"]

log = logging.getLogger(__name__)


def message_keys(raw: bytes) -> tuple[str | None, str]:
    """The message's Message-ID (if any) and the sha256 of its bytes."""
    return message_id(raw), "sha256:" + hashlib.sha256(raw).hexdigest()


def input_key(
    item: RawMessage, digest: str, config: Config, written: str = ""
) -> tuple[str, str | None]:
    """What a message is known by before it is parsed, and the tenant key in it (None: an
    email, or an export with no tenant): the sha256 of its bytes; an export file's (which
    names no tenant) with the tenant it is read under, so that a file read under a mistyped
    ``--tenant`` is read again under the right one, and with when the file was written, so
    that an export with no time of its own written again (an empty csexport: the same
    bytes every time) is another report (``problem.export_key``). ``digest``: the sha256
    of its bytes, hex; ``written``: ``problem.written_at``'s mark of the file's mtime."""
    key = f"sha256:{digest}"
    if detect(item.data) == "email":
        return key, None
    tenant = config.tenants.canonical(config.tenants.default)
    if tenant is None:
        return key, None
    return f"{key}@{tenant_normal(tenant)}{written}", tenant_normal(tenant)


def established(report: Report, config: Config, ledger: Ledger) -> Report:
    """``report`` filed under the spelling of its tenant the ledger first knew, when its
    tenant has other names (its aliases, the names Graph gave its organisation): an alias
    added later, or an organisation renamed, keeps the tickets its problems have; what was
    filed under its other spellings before is joined into it (``Ledger.join_tenant``)."""
    names = ledger.names_of(config.tenants.spellings(report.tenant))
    if len(names) < 2:
        return report
    known = ledger.join_tenant(names)
    if known is None or known == report.tenant:
        return report
    return report.model_copy(update={"tenant": known})


def dated(report: Report, written: datetime | None) -> Report:
    """An export with no time of its own (an empty csexport: every error cleared) dated
    when its file was written, else when it is read, so that it counts as an absence after
    the reports before it; at the epoch it would sort before them all and count for
    nothing."""
    if report.source_kind not in EXPORTS or report_time(report) != EPOCH:
        return report
    return report.model_copy(update={"sync_completed_at": written or datetime.now(UTC)})


FUTURE: timedelta = timedelta(days=1)
"""How far ahead of the reading a report's own time may be (clocks and time zones disagree
a little; a day covers any zone written wrong)."""


def dated_at(report: Report, now: datetime) -> tuple[datetime, Coverage | None]:
    """A report's time and coverage as recorded. One dated after the time it is read (by
    more than ``FUTURE``: a wrong clock, a forged Date, a file's mtime on a skewed share)
    would sort after every real report to come: its absences would resolve problems those
    reports still list, and their sightings could not reopen them. It vouches for no
    absence (its sightings count, at its own time)."""
    at = report_time(report)
    coverage = coverage_of(report.source_kind, report.complete)
    if at <= now + FUTURE:
        return at, coverage
    log.warning(
        "%s is dated %s, after now: its absences resolve nothing",
        report.source,
        at.isoformat(),
        extra={"event": "future-report", "source": report.source},
    )
    return at, None


def ingest(
    item: RawMessage | Report,
    config: Config,
    ledger: Ledger,
    summary: RunSummary,
    enricher: Enricher | None = None,
) -> Outcome:
    """Parse one message (unless the ledger has these very bytes) and record what it says.

    A ``Report`` a source built (a Graph scan) is recorded as it is (``ingest_report``).

    Only the bytes' hash skips the parser, never the Message-ID: that is the sender's to
    choose, and a spoof copying a processed report's must still be parsed, and rejected by
    name. A message is recorded under its hash, so that seen files replay without a parse.
    One whose report the ledger already has (the same trusted report in other bytes,
    delivered again through another hop, or forwarded) is already seen: nothing new.
    """
    if isinstance(item, Report):
        # Graph's /organization name, mapped through [tenants] aliases like any other; a
        # blank one takes [tenants] default, or the scan is refused (no-tenant).
        filed = config.tenants.apply(item)
        if isinstance(filed, Rejected):
            summary.rejected += 1
            summary.problems.append(filed)
            return "rejected"
        return ingest_report(established(filed, config, ledger), ledger, enricher)
    digest = hashlib.sha256(item.data).hexdigest()  # once: a message may be 25 MiB
    written, mark = written_at(item.at, datetime.now(UTC))
    content_key, tenant_key = input_key(item, digest, config, mark)
    status = ledger.message_status(content_key)
    if not status and tenant_key is not None:
        # Read before exports were known by their tenant too (the bytes alone): seen if
        # that reading filed it under the same tenant.
        status = "processed" if ledger.filed_under(f"sha256:{digest}", tenant_key) else None
    if status == "rejected" and _named_late(content_key, ledger, summary):
        log.debug("rejected %s, named by this pass for an earlier one", item.source)
        return "rejected"
    if status:
        summary.already_seen += 1
        log.debug("already seen %s", item.source)
        return "rejected" if status == "rejected" else "processed"
    result = _parsed(item, config)
    if isinstance(result, Rejected):
        # Keyed by content, never by the Message-ID a forger chose: a spoof must not
        # shadow the genuine report that carries the same id. Not a file refused for want
        # of a tenant: the refusal says to give one, and the next run that does must read it.
        # A message cut short (``truncated``: a file still being written) is recorded like
        # any rejection, by its bytes: the whole message, other bytes, is read anew. Exit 1
        # (an input rejected), not 75: a file still being written cannot be told from one
        # cut for good (an archived message truncated in transit), which no retry mends and
        # whose every replay would then be a "temporary failure"; the next run reads the
        # whole file whatever this one's exit code was.
        # Kept to be named first, then recorded (unnamed: ``ledger/naming.py``): the next
        # pass counts the message already seen; it names it only if this pass is stopped
        # before its output, which marks it named (the spool never refuses one).
        summary.problems.append(result)
        summary.rejected += 1
        if result.code != "no-tenant":
            ledger.record_rejected(content_key, item.source, result.reason)
        return "rejected"
    header = result.header if isinstance(result, ParsedReport) else result
    filed = established(header, config, ledger)
    if filed.tenant != header.tenant:
        result = _filed_under(result, filed.tenant)
        header = result.header if isinstance(result, ParsedReport) else result
    key = report_key(header, digest, mark, _said(result))
    if isinstance(result, Report):
        result = header = dated(result, written)
    elif (dated_header := dated(header, written)) is not header:  # an export's rows
        fields = {**result.fields, "sync_completed_at": dated_header.sync_completed_at}
        result, header = replace(result, fields=fields, header=dated_header), dated_header
    at, coverage = dated_at(header, datetime.now(UTC))
    made_by = rows_mark(enricher) if isinstance(result, ParsedReport) else None
    with ledger.grouped():  # one transaction a message: the pairs it shows, its report
        identities = known_identities(result, ledger)
        new = ledger.record_report(
            content_key,
            key,
            header.tenant,
            at,
            item.source,
            _problems_of(result, key, identities, enricher, made_by),
            header.subject,
            coverage,
            # A daily report often lists all its rows as the day before: then they are not
            # even read (``Ledger.record_report``).
            None
            if made_by is None or not isinstance(result, ParsedReport)
            else listing_digest(made_by, result.rows, identities),
        )
    if not new:
        summary.already_seen += 1
        log.debug("already seen %s: report %s", item.source, key)
        return "processed"
    summary.parsed += 1
    crashpoints.crash_point("after-ingest")
    return "processed"


def _named_late(key: str, ledger: Ledger, summary: RunSummary) -> bool:
    """Whether the message ``key``, met again, is a rejection this pass names for an
    earlier one (``pipeline._unnamed_before``): then it counts rejected (no longer apart,
    ``named_for_earlier``), not also already seen, which made "messages read" one more
    than were read. Only its first meeting: another copy of it in the same pass is an
    input of its own."""
    if not summary.named_late or key in summary.late_met:
        return False
    if not ledger.unnamed_before(key, summary.named_late):
        return False
    summary.late_met.add(key)
    summary.named_for_earlier -= 1  # read by this pass after all: one of its rejections
    summary.rejected += 1
    return True


def _said(result: ParsedReport | Report) -> Iterator[bytes] | None:
    """An export whose errors are still rows: its whole JSON, the source left out, in pieces
    (``problem.export_key``); else None (the report itself says it all)."""
    if isinstance(result, Report) or result.header.source_kind not in EXPORTS:
        return None
    unsourced = {**result.fields, "source": ""}
    return replace(
        result, fields=unsourced, header=result.header.model_copy(update={"source": ""})
    ).json_chunks()


def _filed_under(result: ParsedReport | Report, tenant: str | None) -> ParsedReport | Report:
    """The report filed under ``tenant`` (``established``): an email's rows stay rows."""
    if isinstance(result, Report):
        return result.model_copy(update={"tenant": tenant})
    return replace(  # an export's (``ExportReport``) stays one
        result,
        fields={**result.fields, "tenant": tenant},
        header=result.header.model_copy(update={"tenant": tenant}),
    )


def ingest_report(report: Report, ledger: Ledger, enricher: Enricher | None = None) -> Outcome:
    """Record a report a source built, as an email's is recorded, keyed by its JSON.

    Its JSON carries its time (a scan's: the pass's start), so every pass is a report of its
    own. Such a source repeats its errors every pass, so holders are looked up only for the
    problems without an open ticket (new ones, or resolved ones back): looking every value
    up each pass would cost three look-ups per error per pass. The rest get the IdFix rules
    alone, and their holders count as not looked up (no news for the lifecycle).
    """
    content_key = "sha256:" + hashlib.sha256(report.to_json()).hexdigest()
    if ledger.message_status(content_key):
        log.debug("already recorded %s", report.source)
        return "processed"
    key = report_key(report, content_key.removeprefix("sha256:"))
    found = sightings(report, key, known_identities(report, ledger))
    if enricher is not None:
        open_ = {fp for fp, _ in ledger.open_tickets(s.problem.fingerprint for s in found).values()}
        fresh = enriched([s for s in found if s.problem.fingerprint not in open_], enricher)
        known = enriched([s for s in found if s.problem.fingerprint in open_], RULES_ONLY)
        order = {s.problem.fingerprint: n for n, s in enumerate(found)}
        found = sorted(fresh + known, key=lambda s: order[s.problem.fingerprint])
    ledger.record_report(
        content_key,
        key,
        report.tenant,
        report_time(report),
        report.source,
        found,
        coverage=coverage_of(report.source_kind, report.complete),
    )
    log.debug("recorded %s: %d error(s)", report.source, len(report.errors))
    crashpoints.crash_point("after-ingest")
    return "processed"


def known_identities(report: Report | ParsedReport, ledger: Ledger) -> dict[str, str]:
    """The identities of the objects this report names by their object id alone, once the
    ledger has learned the pairs it shows (``ledger/identities.py``).

    The pairs are learned first, so that the problems a source found by an object id alone
    are merged into their identity's before this report is applied (in the message's
    transaction: a crash before the report is recorded loses them with it, and the message
    read again teaches them again).
    """
    header = report.header if isinstance(report, ParsedReport) else report
    pairs: list[tuple[str, str]] = []
    alone: set[str] = set()
    for object_id, identity in _object_ids(report):
        if object_id and identity:
            pairs.append((object_id, identity))
        elif object_id:
            alone.add(object_id)
    merged = ledger.learn_identities(header.tenant, pairs, report_time(header))
    crashpoints.crash_point("after-identities")
    if merged:
        log.info(
            "%s: %d problem(s) found by object id merged into their identity's",
            header.source,
            merged,
        )
    return ledger.identities(header.tenant, alone) if alone else {}


def _object_ids(report: Report | ParsedReport) -> Iterable[tuple[str | None, str | None]]:
    """(object id, identity) of each error; an email's read from its rows (its errors are
    not made for this)."""
    if isinstance(report, ParsedReport):
        return report.object_ids()
    return ((e.object_id, e.identity) for e in report.errors)


RULES_ONLY = Enricher()
"""No directory: the IdFix rules alone."""


def _parsed(item: RawMessage, config: Config) -> ParsedReport | Report | Rejected:
    # Any input, by its content (an email, a csexport file, an event-log export), filed
    # under its canonical tenant ([tenants]) before any fingerprint is made of it. An
    # email's errors stay rows: its problems are made from them a chunk at a time.
    result = read_input(item.data, item.source, config.trust, config.parse, config.tenants)
    # A rejection is named once, by the command, after its output (RunSummary.problems).
    if isinstance(result, ParsedReport):
        log.debug("parsed %s: %d error(s)", result.header.source, len(result.rows))
    elif not isinstance(result, Rejected):
        log.debug("parsed %s: %d error(s)", result.source, len(result.errors))
    return result


def _problems_of(
    parsed: ParsedReport | Report,
    key: str,
    identities: Mapping[str, str],
    enricher: Enricher | None,
    mark: str | None,
) -> Iterator[Sighting | Listed]:
    """The report's sightings, enriched, made as the ledger records them: an email's a chunk
    at a time (``Listed``), so that a large report's problems are never all held at once, nor
    made at all when the ledger already has the report or the rows of their last sighting."""
    if not isinstance(parsed, ParsedReport):
        # An export's errors are all made already; its sightings, once asked for.
        found = sightings(parsed, key, identities)
        yield from found if enricher is None else enriched(found, enricher)
        return
    for chunk in listed_in_chunks(parsed, key, identities=identities, mark=mark):
        # The IdFix rules need no directory: with an enricher they always run.
        yield chunk if enricher is None else replace(chunk, make=_Enriched(chunk.make, enricher))


@dataclass(frozen=True, slots=True)
class _Enriched:
    """Sightings made, then enriched."""

    make: Callable[[Collection[str]], list[Sighting]]
    enricher: Enricher

    def __call__(self, wanted: Collection[str]) -> list[Sighting]:
        return enriched(self.make(wanted), self.enricher)


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
            problem.family,
            problem.identity,
            details.conflicts,
            details.invalid_attributes,
            details.object_ids,
            kinds=details.kinds,
        )
        if not (facts.looked_up or facts.rule_hits or facts.unavailable):
            out.append(sighting)  # nothing checked, nothing to say
            continue
        holders = details.model_copy(update={"holders": holder_labels(facts)})
        out.append(sighting.model_copy(update={"enrichment": facts, "details": holders}))
    return out
