"""Raw MIME bytes in, a ``Report`` or a ``Rejected`` out. Pure: no I/O, no clock.

The order of the checks is the order a careful admin would read a suspicious email in:
is it mail at all, who sent it (or forwarded it), did the receiving server vouch for it, is
it a report, and only then what it says. ``parse_message`` never raises: anything that slips
past the checks becomes a ``Rejected`` with a one-line reason.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..models import ParseResult, RejectCode, Rejected, Report, SyncError
from .body import BodyFacts, Row, collapse, find_tenant, read_text
from .catalog import classify, stated_kind
from .mime import Envelope, Parts, read_envelope, read_parts
from .scans import addresses_in, after_line_breaks, lines_from
from .tables import read_html_pieces
from .trust import TrustPolicy, authentication_problem, is_report_subject, strip_forward_prefix

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
        with _collector_paused():
            parsed = _parse(raw, source, trust, settings)
            return parsed if isinstance(parsed, Rejected) else finish(parsed)
    except Exception as exc:  # the last guard: hostile mail must never crash a run
        return Rejected(
            source=source,
            code="malformed-mime",
            detail=f"the message could not be parsed ({type(exc).__name__})",
        )


_BATCH = 500


@dataclass(frozen=True, slots=True, eq=False)
class ParsedReport:
    """A trusted report whose errors are still rows: each becomes a model only when read.

    A model of an error costs some 2 KB, and a 25 MiB report lists 70,000 errors: made all at
    once they were most of the memory a large report took. ``errors`` and ``json_chunks``
    make them a batch at a time; ``report`` makes them all (problems need every error).
    """

    fields: Mapping[str, Any]
    """The report's fields but its errors, as ``Report`` takes them."""
    rows: Sequence[Row]
    header: Report
    """The report without its errors."""

    @classmethod
    def of(cls, fields: Mapping[str, Any], rows: Sequence[Row]) -> ParsedReport:
        """The report of these fields and rows; its fields checked now, its errors when read."""
        return cls(fields, rows, Report.model_validate(fields))

    def report(self) -> Report:
        """The whole report, every error a model."""
        # The errors validated a batch at a time (a model per row would cost more than the
        # rest of the parse; all rows as plain data at once would hold them twice), then
        # set on the validated header as they are.
        return self.header.model_copy(update={"errors": tuple(self.errors())})

    def errors(self) -> Iterator[SyncError]:
        """The errors, in source order, made a batch at a time."""
        for batch in self._batches():
            yield from batch.errors

    def json_chunks(self) -> Iterator[bytes]:
        """``report().to_json()`` in pieces, without every error made at once."""
        start = self.header.to_json()[: -len(b"]}")]  # up to the errors' opening bracket
        yield start
        # Each batch is a report of its own, serialised as the whole report would be:
        # its errors are the bytes between the same start and the closing brackets.
        for number, batch in enumerate(self._batches()):
            errors = batch.to_json()[len(start) : -len(b"]}")]
            yield b"," + errors if number else errors
        yield b"]}"

    def errors_at(self, indices: Iterable[int]) -> tuple[SyncError, ...]:
        """The errors of these rows, in the order given, made as one batch (a few hundred:
        each costs some 2 KB while it is held)."""
        return self._report_of(self.rows[at] for at in indices).errors

    def error_fields(self) -> Iterator[dict[str, Any]]:
        """Each row's error as the plain data it is validated from, in source order: what
        names a problem, read without a model made (``problem_rows``)."""
        return (_error(row) for row in self.rows)

    def object_ids(self) -> Iterator[tuple[str | None, str | None]]:
        """(object id, identity) of each error, in source order, read from its row as
        ``_error`` copies them: no error is made."""
        return ((row.object_id, row.identity) for row in self.rows)

    def _batches(self) -> Iterator[Report]:
        for at in range(0, len(self.rows), _BATCH):
            yield self._report_of(self.rows[at : at + _BATCH])

    def _report_of(self, rows: Iterable[Row]) -> Report:
        return Report.model_validate({**self.fields, "errors": [_error(r) for r in rows]})


@contextmanager
def _collector_paused() -> Iterator[None]:
    # A large report allocates tens of thousands of small containers that all stay alive
    # until the report is built, and the cyclic collector re-scans them (and every object
    # of the process) over and over: measured, a tenth of a 10,000-row parse in-process and
    # more in the `parse` command, which holds more objects. Parsing creates no cycles worth
    # collecting early, so the collector waits until the message is done. The switch is
    # process-wide, so it is only thrown while this is the only thread: the mailbox downloads
    # ahead in worker threads while a message is parsed, and those keep their collector.
    if threading.active_count() > 1 or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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
    attached = _attached_report(parts)
    inline = None if attached else _inline_forward(parts)
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
    if attached is not None:
        inner = _direct_report(attached, source, read_envelope(attached), trust)
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
    raw: bytes, source: str, envelope: Envelope, trust: TrustPolicy
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
    facts = read_body(read_parts(raw))
    return _report(source, envelope, facts, sender=sender, subject=envelope.subject)


def _report(
    source: str,
    envelope: Envelope,
    facts: BodyFacts,
    *,
    sender: str | None,
    subject: str | None,
) -> ParsedReport | Rejected:
    tenant, completed_at = find_tenant(facts.text)
    if not (facts.rows or facts.has_error_section or tenant):
        return _rejected(
            source,
            envelope,
            "not-a-report",
            "the body holds no error table or report text",
        )
    fields = {
        "source": source,
        "message_id": envelope.message_id,
        "subject": subject,
        "sender": sender,
        "sent_at": envelope.sent_at,
        "tenant": tenant,
        "sync_completed_at": completed_at,
    }
    return ParsedReport.of(fields, facts.rows)


def _error(row: Row) -> dict[str, Any]:
    named = stated_kind(row.stated)
    found = classify(row.message, named)
    return {
        "kind": found.kind,
        "kind_stated": named is not None,
        "identity": row.identity,
        "object_id": row.object_id,
        "conflicts": found.conflicts,
        "invalid_attribute": found.invalid_attribute,
        "tracking_id": row.tracking_id or found.tracking_id,
        "message": found.message,
    }


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
    """The body that lists the errors: HTML tables first, then plain text, then HTML text."""
    fallbacks: list[BodyFacts] = []
    for html in parts.html:
        facts = html.read(read_html_pieces)
        if facts.rows:
            return facts
        fallbacks.append(read_text(facts.text))
    for text in parts.plain:
        facts = read_text(text.text())
        if facts.rows:
            return facts
        fallbacks.append(facts)
    with_section = [f for f in fallbacks if f.has_error_section or find_tenant(f.text)[0]]
    return with_section[0] if with_section else (fallbacks[0] if fallbacks else BodyFacts())


# ---------------------------------------------------------------------------------------------
# Forwarded reports


def _attached_report(parts: Parts) -> bytes | None:
    for attached in parts.attached_messages:
        if is_report_subject(read_envelope(attached).subject):
            return attached
    return None


@dataclass(frozen=True, slots=True)
class InlineForward:
    """A report pasted into a forward: the original header lines and what follows them."""

    sender: str | None
    subject: str
    facts: BodyFacts


_FORWARD_MARKER = re.compile(
    r"^[ \t>]*(?:-{2,}\s*(?:Forwarded message|Original Message)\s*-{2,}|_{10,})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_HEADER = re.compile(r"^[ \t>]*(From|Sent|Date|To|Cc|Subject)\s*:\s*(.*)$", re.I)


def _inline_forward(parts: Parts) -> InlineForward | None:
    for html in parts.html:
        facts = html.read(read_html_pieces)
        block = _forward_block(facts.text)
        if block:
            sender, subject, rest = block
            if facts.rows:
                return InlineForward(sender, subject, BodyFacts(facts.rows, rest, True))
            return InlineForward(sender, subject, read_text(rest))
    for part in parts.plain:
        text = part.text()
        block = _forward_block(text)
        if block:
            sender, subject, rest = block
            return InlineForward(sender, subject, read_text(rest))
    return None


def _forward_block(text: str) -> tuple[str | None, str, str] | None:
    for marker in _FORWARD_MARKER.finditer(text):
        fields: dict[str, str] = {}
        # The header lines after the marker, read lazily: split whole, the rest of the text
        # was copied and split again after each marker (quadratic in the markers).
        rest_at = after_line_breaks(text, marker.end())
        for line, end in lines_from(text, marker.end()):
            header = _FORWARD_HEADER.match(line.rstrip("\r\n"))
            if not header:
                break
            fields.setdefault(header.group(1).lower(), header.group(2).strip())
            rest_at = end
        subject = strip_forward_prefix(fields.get("subject", ""))
        if "from" in fields and is_report_subject(subject):
            return _forward_sender(fields["from"]), subject, text[rest_at:]
    return None


def _forward_sender(value: str) -> str | None:
    _name, address = parseaddr(value)
    if "@" not in address:
        found = addresses_in(value)
        address = found[-1] if found else ""
    return address.lower() or None
