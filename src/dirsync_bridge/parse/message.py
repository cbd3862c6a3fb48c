"""Raw MIME bytes in, a ``Report`` or a ``Rejected`` out. Pure: no I/O, no clock.

The order of the checks is the order a careful admin would read a suspicious email in:
is it mail at all, who sent it (or forwarded it), did the receiving server vouch for it, is
it a report, and only then what it says. ``parse_message`` never raises: anything that slips
past the checks becomes a ``Rejected`` with a one-line reason.

A forwarded report is found by ``forwards``; a trusted one is a ``ParsedReport``
(``parsed_report``), its errors left as rows until they are read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..models import ParseResult, RejectCode, Rejected
from .batch_line import find_tenant
from .body import BodyFacts, collapse, read_text
from .collector import collector_paused
from .forwards import attached_report, inline_forward
from .mime import Envelope, Parts, read_envelope, read_parts
from .parsed_report import ParsedReport, doubtful_rows, named_rows, unplaced_rows
from .tables import html_facts
from .trust import TrustPolicy, authentication_problem, is_report_subject

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_MAX_MESSAGE_BYTES = 1024 * 1024 * 1024
"""1 GiB, far past any report (a mail's own limit is 150 MB): a bound like every other
integer key's, so a typo of many digits is a config error naming the key, not a size that
some read or store of it cannot hold (as ``resolve_after_reports`` once could not)."""


class ParseSettings(BaseModel):
    """The ``[parse]`` section."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # strict: ``true`` is no size (lax pydantic reads it as 1 byte, and refuses every report).
    max_message_bytes: int = Field(
        default=DEFAULT_MAX_MESSAGE_BYTES, gt=0, le=MAX_MAX_MESSAGE_BYTES, strict=True
    )


def parse_message(
    raw: bytes,
    source: str,
    trust: TrustPolicy | None = None,
    settings: ParseSettings | None = None,
) -> ParseResult:
    """Parse one email; every failure is a ``Rejected``, never an exception."""
    return _guarded(raw, source, trust, settings, ParsedReport.report)


def read_message(
    raw: bytes,
    source: str,
    trust: TrustPolicy | None = None,
    settings: ParseSettings | None = None,
) -> ParsedReport | Rejected:
    """``parse_message``, with a report's errors left as rows until they are read."""
    return _guarded(raw, source, trust, settings, lambda parsed: parsed)


T = TypeVar("T")


def _guarded(
    raw: bytes,
    source: str,
    trust: TrustPolicy | None,
    settings: ParseSettings | None,
    finish: Callable[[ParsedReport], T],
) -> T | Rejected:
    trust = trust or TrustPolicy()
    settings = settings or ParseSettings()
    try:
        with collector_paused():
            parsed = _parse(raw, source, trust, settings)
            return parsed if isinstance(parsed, Rejected) else finish(parsed)
    except Exception as exc:  # the last guard: hostile mail must never crash a run
        return Rejected(
            source=source,
            code="malformed-mime",
            detail=f"the message could not be parsed ({type(exc).__name__})",
        )


def _parse(
    raw: bytes, source: str, trust: TrustPolicy, settings: ParseSettings
) -> ParsedReport | Rejected:
    if not raw.strip():
        return Rejected(source=source, code="empty", detail="the input is empty")
    if len(raw) > settings.max_message_bytes:
        return Rejected(
            source=source,
            code="too-large",
            detail=f"{len(raw)} bytes is over [parse] max_message_bytes "
            f"({settings.max_message_bytes})",
        )
    envelope = read_envelope(raw)
    if not (envelope.senders or envelope.subject or envelope.message_id):
        return Rejected(
            source=source,
            code="not-email",
            detail="no From, Subject or Message-ID header: this is not an email message",
        )

    def reject(code: RejectCode, detail: str) -> Rejected:
        return _rejected(source, envelope, code, detail)

    if len(envelope.senders) != 1 or envelope.from_headers > 1:
        if not is_report_subject(envelope.subject):
            return reject("not-a-report", _not_report_subject(envelope.subject))
        count = "several From addresses" if envelope.senders else "no From address"
        return reject("untrusted-sender", f"the message has {count}")
    sender = envelope.senders[0]
    if trust.allows_sender(sender):
        return _direct_report(raw, source, envelope, trust)

    parts = read_parts(raw)
    attached = attached_report(parts)
    inline = None if attached else inline_forward(parts)
    if attached is None and inline is None:
        if is_report_subject(envelope.subject):
            return reject(
                "untrusted-sender", f"sender {sender} is not on the [trust] senders allow-list"
            )
        return reject("not-a-report", _not_report_subject(envelope.subject))
    if not trust.allows_forwarder(sender):
        return reject(
            "untrusted-forwarder",
            f"report forwarded by {sender}, who is not in [trust] forwarders",
        )
    if problem := authentication_problem(envelope.authentication_results, trust):
        return reject(*problem)
    if parts.cut:
        return reject("truncated", f"{parts.cut} (still being written, or cut in transit)")
    if attached is not None:
        # The outer closing boundary proves the attached message whole too.
        envelope = read_envelope(attached)
        inner = _direct_report(attached, source, envelope, trust, whole=parts.whole)
        if isinstance(inner, Rejected):
            return reject(inner.code, f"forwarded by {sender}: {inner.detail}")
        return inner
    assert inline is not None
    if not trust.allows_sender(inline.sender):
        return reject(
            "untrusted-sender",
            f"forwarded report's original sender {inline.sender or '(none)'} "
            "is not on the [trust] senders allow-list",
        )
    return _report(source, envelope, inline.facts, sender=inline.sender, subject=inline.subject)


def _direct_report(
    raw: bytes, source: str, envelope: Envelope, trust: TrustPolicy, *, whole: bool = False
) -> ParsedReport | Rejected:
    sender = (
        envelope.senders[0] if len(envelope.senders) == 1 and envelope.from_headers == 1 else None
    )
    if not trust.allows_sender(sender):
        return _rejected(
            source,
            envelope,
            "untrusted-sender",
            f"sender {sender or '(none)'} is not on the [trust] senders allow-list",
        )
    if not is_report_subject(envelope.subject):
        return _rejected(source, envelope, "not-a-report", _not_report_subject(envelope.subject))
    if problem := authentication_problem(envelope.authentication_results, trust):
        return _rejected(source, envelope, *problem)
    parts = read_parts(raw, whole=whole)
    facts = read_body(parts) if not parts.cut else BodyFacts(cut=parts.cut)
    return _report(source, envelope, facts, sender=sender, subject=envelope.subject)


def _report(
    source: str,
    envelope: Envelope,
    facts: BodyFacts,
    *,
    sender: str | None,
    subject: str | None,
) -> ParsedReport | Rejected:
    if facts.cut:
        # Its complete rows are not the report: taken as one, its missing rows would be
        # absences, and the whole message, read later, the same report "already seen".
        detail = f"{facts.cut} (still being written, or cut in transit)"
        return _rejected(source, envelope, "truncated", detail)
    tenant, completed_at = find_tenant(facts.text)
    if not (facts.rows or facts.has_error_section or tenant):
        return _rejected(
            source,
            envelope,
            "not-a-report",
            "the body holds no error table or report text",
        )
    if facts.errors_sentence and not facts.rows:
        # Microsoft's sentence announces rows; none read (a ">"-quoted copy reads as one
        # paragraph): as a report of no errors, it would resolve every open problem (rev48).
        return _rejected(source, envelope, "not-a-report", _NO_ROWS)
    rows, nameless, unnamed = named_rows(facts.rows, facts.guessed)
    if rows and len(rows) == unnamed:
        # Kept, as a guess may have missed their object; but a report of nothing else names
        # no problem of the tenant: read as one, it would resolve every open one (rev45).
        return _rejected(source, envelope, "not-a-report", _nameless(len(facts.rows), "every"))
    if nameless and not rows:
        # Read as a report of no errors, it would resolve every open problem of the tenant.
        return _rejected(source, envelope, "not-a-report", _nameless(nameless, "every"))
    if unsure := unplaced_rows(facts.rows, facts.unplaced):
        # Its object may be named by the paragraph before, in a shape not read as an
        # identity: read as complete, the report would resolve that object's own ticket.
        return _rejected(source, envelope, "not-a-report", _unplaced(unsure))
    if nameless:
        # The others are the report; the message is not refused for a row it cannot file
        # (as csexport leaves out an object that names none).
        log.warning("%s: %s", source, _nameless(nameless, "left out"))
    fields: dict[str, object] = {
        "source": source,
        "message_id": envelope.message_id,
        "subject": subject,
        "sender": sender,
        "sent_at": envelope.sent_at,
        "tenant": tenant,
        "sync_completed_at": completed_at,
    }
    if (
        doubt := doubtful_rows(facts.rows, facts.guessed)
        + facts.orphans
        + facts.unread
        + facts.glued
    ):
        # A row whose object went unread may be an open problem's, and an identity with no
        # error after it may be an error's text read as one: read as complete, the report
        # would resolve that object's own ticket as absent (reviews rev47, rev48). Its named
        # rows are still ticketed; refused, one odd paragraph (a footer address, rev49)
        # would stop the tenant's every report. Only guesses at plain text: a table row
        # naming no object is left out as before, the report complete (rev49).
        fields["complete"] = False
        log.warning("%s: %s", source, _incomplete(doubt))
    if facts.unsure_rows:
        # A row read as its cells' text may not be the error Microsoft meant, a row left out
        # may be an open problem's: its object's ticket must not resolve as absent (rev54).
        fields["complete"] = False
        log.warning("%s: %s", source, _unsure_rows(facts.unsure_rows))
    return ParsedReport.of(fields, rows)


_NO_ROWS = (
    'the sentence "The following errors occurred" is followed by no error row read '
    "(quoted or reflowed?); read as a report of no errors, it would resolve every open "
    "problem of the tenant"
)


def _incomplete(count: int) -> str:
    said = "paragraph" if count == 1 else "paragraphs"
    return (
        f"{count} {said} the reader could not pair (an error naming no object it could "
        "tell, or an identity with no error after it): read as incomplete, its named rows "
        "are ticketed and no open problem it leaves out is resolved by it"
    )


def _unsure_rows(count: int) -> str:
    rows = "error-table row" + ("" if count == 1 else "s")
    return (
        f"{count} HTML {rows} not read with confidence (a cell that holds a table of several "
        "cells, read as its text; or a row out of its table's shape that may hold an error, "
        "left out): read as incomplete, its named rows are ticketed and no open problem it "
        "leaves out is resolved by it"
    )


def _nameless(count: int, which: str) -> str:
    rows = "error row" + ("" if count == 1 else "s")
    said = f"{count} {rows} left out" if which == "left out" else f"every {rows} ({count})"
    return (
        f"{said}: they name no object (no identity, no object id) though the "
        "error is an object's, not the tenant's; a ticket for them would name nothing to fix"
    )


def _unplaced(count: int) -> str:
    rows, each = ("error row names", "") if count == 1 else ("error rows name", "each ")
    return (
        f"{count} {rows} no object though the error is an object's, {each}after a "
        "paragraph that is no known error and may be its identity in a shape not read as one; "
        "read as a complete report, it would resolve that object's own ticket"
    )


def _rejected(source: str, envelope: Envelope, code: RejectCode, detail: str) -> Rejected:
    return Rejected(
        source=source,
        message_id=envelope.message_id,
        subject=envelope.subject,
        sender=envelope.senders[0] if envelope.senders else None,
        sent_at=envelope.sent_at,
        code=code,
        detail=collapse(detail),
    )


def _not_report_subject(subject: str | None) -> str:
    shown = collapse(subject)[:80] if subject else "(none)"
    return f"subject {shown!r} is not a Directory Synchronization Error Report"


# ---------------------------------------------------------------------------------------------
# Bodies


def read_body(parts: Parts) -> BodyFacts:
    """The body that lists the errors: HTML tables first, then plain text, then HTML text.

    An HTML part's rows left out though they may hold errors (``BodyFacts.unsure_rows``) go
    with whatever part is read: the report is incomplete, nothing resolves by their absence
    (reviews rev62 D1, rev63 D2, D3). A report's HTML part of such rows and none read is the
    reading when no other part reads rows, never a report of no errors, nor its text."""
    fallbacks: list[BodyFacts] = []
    doubtful: list[BodyFacts] = []
    doubt = 0
    for html in parts.html:
        facts = html_facts(parts, html)
        if facts.rows or facts.cut:
            facts.unsure_rows += doubt
            return facts
        as_text = read_text(facts.text)
        if facts.unsure_rows:
            # Whatever its text outside the tables says: the report's sentences may be inside
            # the error table, or in another part (review rev64 D2, D3).
            doubt += facts.unsure_rows
            doubtful.append(facts)
            continue
        if facts.empty_table:
            # Its error table is there and empty: a report of no errors, whose sentence is
            # followed by no row as it should be (refused as rows unread since 7232bbb).
            as_text.errors_sentence = False
        fallbacks.append(as_text)
    for text in parts.plain:
        facts = read_text(text.text())
        if facts.rows:
            facts.unsure_rows += doubt
            return facts
        fallbacks.append(facts)
    # Any reading whose errors' sentence is followed by no row read is refused, though
    # another part be an empty table: rows unread, never a report of no errors (rev54).
    unread = [f for f in fallbacks if f.errors_sentence and not f.rows]
    if unread:
        return unread[0]
    if doubtful:
        return doubtful[0]
    with_section = [f for f in fallbacks if f.has_error_section or find_tenant(f.text)[0]]
    return with_section[0] if with_section else (fallbacks[0] if fallbacks else BodyFacts())
