"""Event 6941 from the Connect Sync server's Application log, in a ``Report``. Pure.

Two hand-overs (reference/live-sources.md 3.2):
- ``wevtutil qe Application /q:"*[System[(EventID=6941)]]" /f:RenderedXml /e:Events``:
  XML, each ``<Event>`` with its rendered text in ``RenderingInfo/Message``;
- ``.evtx`` files (``wevtutil epl``, Event Viewer "Save As"), read with the ``evtx`` package;
  they hold the insertion strings (``EventData/Data``), not the rendered text.

Event 6941 (provider ``ADSync``) is "ECMA2 MA export run caused an error." followed by
``DN: CN={hex}``, ``Error Name: <kind>`` and ``Error Detail: <message>``; the line order of the
real text is not documented, so the fields are found by their labels wherever they stand,
and insertion strings without labels are recognised by their shape. ``Error Name`` is the kind
(``kind_stated``) when it names a catalogue kind, ``Error Detail`` goes through the message
grammar, and the DN decodes to the ImmutableId (``object_id``); there is no identity. An
event whose DN is another (an on-premises AD DN: the text names no object a ticket can name),
or that has none, is left out with a warning, never filed as the tenant's; a file of nothing
else is refused (``not-an-error-export``).

The log repeats an error every sync cycle, so records that say the same thing are one
record (the latest tracking id kept). The report's time (``sync_completed_at``) is the latest
``TimeCreated`` of its 6941 events; it names no tenant, and it is never complete (a log holds
what it happened to keep), so it never resolves anything. A file without 6941 events is an
empty report, not a rejection: reading it is harmless, and it says what it is.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import struct
from array import array
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from ..models import ParseResult, RejectCode, Rejected
from .catalog import stated_kind
from .export_records import (
    Latest,
    error_record,
    immutable_id_from_dn,
    parse_time,
    read_extra_details,
    refused,
    report_fields,
)
from .export_rows import ExportReport, ExportRows
from .file_magic import EVTX_MAGIC
from .message import ParseSettings
from .surrogates import without_lone_surrogates
from .xml_reads import Reads, first
from .xml_safety import XmlRefused, check, child, children, iter_elements, parse_document, text_of

log = logging.getLogger(__name__)

EVENT_ID = 6941
PROVIDER = "adsync"
# The evtx file header (libyal's "Windows XML Event Log (EVTX)" format): the 4 KiB header
# block, then 64 KiB chunks; the chunk count is a 16-bit field at offset 42.
_EVTX_HEADER = 4096
_EVTX_CHUNK = 65536
_EXPORT_AGAIN = "export it again (wevtutil epl Application file.evtx)"

_LABEL = re.compile(
    r"^[ \t]*(?P<label>DN|Error Name|Error Detail|Extra ?Error ?Details)[ \t]*:[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
_OTHER_DN = "other-dn"
"""The key of what ``_error`` returns for an event whose DN names no Azure AD object."""
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# What ``_read_event`` reads of an <Event>; the rest is dropped as the export streams (one
# event padded with a million elements held them all, as a csexport object did: review
# rev32). ``child`` reads the first of a name (key ``first``), ``children`` every one.
_TEXT = Reads(text=True, key=first)
READS = Reads(
    children={
        "System": Reads(
            children={
                "EventID": _TEXT,
                "Provider": Reads(key=first),
                "TimeCreated": Reads(key=first),
            },
            key=first,
        ),
        "RenderingInfo": Reads(children={"Message": _TEXT}, key=first),
        "EventData": Reads(children={"Data": Reads(text=True)}, key=first),
    }
)


def parse_event_xml(raw: bytes, source: str, settings: ParseSettings | None = None) -> ParseResult:
    """Parse ``wevtutil ... /f:RenderedXml /e:Events`` output; never raises."""
    return _whole(read_event_xml(raw, source, settings))


def parse_evtx(raw: bytes, source: str, settings: ParseSettings | None = None) -> ParseResult:
    """Parse an ``.evtx`` file (the ``evtx`` package reads it); never raises."""
    return _whole(read_evtx(raw, source, settings))


def _whole(result: ExportReport | Rejected) -> ParseResult:
    return result.report() if isinstance(result, ExportReport) else result


def read_event_xml(
    raw: bytes, source: str, settings: ParseSettings | None = None
) -> ExportReport | Rejected:
    """``parse_event_xml``, its errors left as rows (on disk past a few thousand: memory
    does not grow with how many a file lists) until they are read."""
    settings = settings or ParseSettings()
    if not raw or raw.isspace():  # isspace, not strip: no copy of a large file
        return _unreadable(source, "empty", "the input is empty")
    root = None
    try:
        root = check(raw, settings.max_message_bytes).root
        if root not in ("Events", "Event"):
            raise XmlRefused(
                "not-an-error-export",
                f"the root element is <{root}>, not <Events>: this is not wevtutil output",
            )
        events = iter_elements(raw, "Event", settings.max_message_bytes, reads=READS)
        return _report(source, (_read_event(event) for event in events))
    except XmlRefused as refusal:
        if root == "Event" and "Extra content" in refusal.detail:
            refusal = XmlRefused(
                "malformed-xml",
                "several <Event> documents without a root element: export them with "
                "wevtutil qe ... /f:RenderedXml /e:Events",
            )
        return refused(source, "eventlog", refusal)
    except Exception as exc:  # the last guard: a hostile file must never crash a run
        return _unreadable(
            source, "malformed-xml", f"the event XML could not be read ({type(exc).__name__})"
        )


def read_evtx(
    raw: bytes, source: str, settings: ParseSettings | None = None
) -> ExportReport | Rejected:
    """``parse_evtx``, its errors left as rows until they are read."""
    settings = settings or ParseSettings()
    max_bytes = settings.max_message_bytes
    if len(raw) > max_bytes:
        return _unreadable(
            source, "too-large", f"{len(raw)} bytes is over [parse] max_message_bytes ({max_bytes})"
        )
    if not raw.startswith(EVTX_MAGIC):
        return _unreadable(
            source, "malformed-evtx", "the file does not start with ElfFile: not an .evtx file"
        )
    if len(raw) < _EVTX_HEADER:
        return _unreadable(
            source,
            "malformed-evtx",
            f"the .evtx file is truncated ({len(raw)} bytes, no whole header)",
        )
    (chunks,) = struct.unpack_from("<H", raw, 42)
    if len(raw) < _EVTX_HEADER + chunks * _EVTX_CHUNK:
        # The library would silently stop at the cut: say so instead.
        return _unreadable(
            source,
            "malformed-evtx",
            f"the .evtx file is truncated or damaged: its header counts {chunks} chunk(s) but "
            f"only {len(raw)} bytes are there; {_EXPORT_AGAIN}",
        )
    damaged: list[str] = []
    try:
        result = _report(source, _evtx_events(raw, max_bytes, chunks, damaged))
    except XmlRefused as refusal:
        return refused(source, "eventlog", refusal)
    except (RuntimeError, OSError) as exc:  # what the evtx library raises
        detail = " ".join(str(exc).split())[:300]
        return _unreadable(
            source,
            "malformed-evtx",
            f"the .evtx file is damaged: {detail}; {_EXPORT_AGAIN}",
        )
    except Exception as exc:  # the last guard: a hostile file must never crash a run
        return _unreadable(
            source, "malformed-evtx", f"the .evtx file could not be read ({type(exc).__name__})"
        )
    if damaged:
        # The other chunks' records are whole (each chunk has its own checksums); an event
        # log export is never complete anyway, so what the damaged chunks held is only
        # missing from this report, and said.
        log.warning(
            "%s: %d of %d chunk(s) of the .evtx file damaged and skipped (%s); %s",
            source,
            len(damaged),
            chunks,
            damaged[0][:300],
            _EXPORT_AGAIN,
        )
    return result


def _evtx_events(
    raw: bytes, max_bytes: int, chunks: int, damaged: list[str]
) -> Iterable[tuple[dict[str, Any] | None, datetime | None]]:
    # Imported here: only an .evtx input pays for loading the Rust extension.
    from evtx import PyEvtxParser

    # One thread: an Application log is 20 MB by default, read in a fraction of a second by
    # one core (measured: 2,261 records in 6 ms), and a run shares the machine.
    # Checksums are checked (files written without them say so in a flag the library
    # honours): a damaged chunk is skipped with a word, never half-read in silence.
    parser = PyEvtxParser(io.BytesIO(raw), number_of_threads=1, validate_checksums=True)
    records = iter(parser.records())
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except RuntimeError as exc:
            # A damaged chunk: the library says so and goes on with the next chunk. Every
            # chunk damaged is a damaged file (refused with the library's reason).
            damaged.append(" ".join(str(exc).split()))
            if len(damaged) >= max(chunks, 1):
                raise
            continue
        if not isinstance(record, dict):
            continue
        data = record.get("data")
        # A cheap look before parsing: almost every record of an Application log is another
        # event, and only 6941 records need a tree.
        if not isinstance(data, str) or f">{EVENT_ID}</EventID>" not in data:
            continue
        # The library writes control characters from a damaged string as they are, and XML
        # cannot hold them: they become U+FFFD rather than cost the whole file. So does a
        # lone surrogate, which UTF-8 cannot even encode.
        data = without_lone_surrogates(_NOT_XML_CHARS.sub("\ufffd", data))
        try:
            event = parse_document(data.encode("utf-8"), max_bytes)
        except XmlRefused as refusal:
            raise XmlRefused(
                "malformed-evtx",
                f"event record {record.get('event_record_id')} does not render as XML "
                f"({refusal.detail})",
            ) from None
        yield _read_event(event)


def _read_event(event: etree._Element) -> tuple[dict[str, Any] | None, datetime | None]:
    """An ``<Event>``'s error (None when it is not an ADSync 6941) and its time."""
    system = child(event, "System")
    if system is None:
        return None, None
    event_id = text_of(child(system, "EventID"))
    provider = child(system, "Provider")
    provider_name = provider.get("Name") if provider is not None else None
    if event_id != str(EVENT_ID) or (provider_name and provider_name.casefold() != PROVIDER):
        return None, None
    created = child(system, "TimeCreated")
    at = parse_time(created.get("SystemTime") if created is not None else None)
    rendering = child(event, "RenderingInfo")
    message = text_of(child(rendering, "Message")) if rendering is not None else None
    event_data = child(event, "EventData")
    strings = (
        [text_of(data) or "" for data in children(event_data, "Data")]
        if event_data is not None
        else []
    )
    return _error(message, [s for s in strings if s]), at


def _error(message: str | None, strings: list[str]) -> dict[str, Any]:
    text = message or "\n".join(strings)
    fields = _fields(text)
    if not fields and not message:
        fields = _positional(strings)
    dn = fields.get("dn")
    detail = fields.get("error detail") or " ".join(text.split())
    object_id = immutable_id_from_dn(dn) or immutable_id_from_dn(text)
    if object_id is None:
        # Not the Azure AD connector's CN={hex}: an on-premises AD DN, or no DN at all (an
        # event cut or made by hand), names no object the tickets can name (the text
        # carries no identity either), and filed without one the error would be the whole
        # tenant's. Left out, and said (``_report``).
        return {_OTHER_DN: " ".join(dn.split("\n", 1)[0].split()) if dn else "no DN"}
    return error_record(
        message=detail,
        error_name=(fields.get("error name") or "").split("\n", 1)[0].strip() or None,
        identity=None,
        object_id=object_id,
        extra=read_extra_details(fields.get("extra error details")),
    )


def _fields(text: str) -> dict[str, str]:
    """``Label: value`` blocks; a value runs to the next label (a detail spans lines)."""
    found = list(_LABEL.finditer(text))
    if not found:
        return {}
    out: dict[str, str] = {}
    ends = [match.start() for match in found[1:]] + [len(text)]
    for here, end in zip(found, ends, strict=True):
        label = _LABELS[here.group("label").casefold().replace(" ", "")]
        out.setdefault(label, text[here.end() : end].strip())
    return out


_LABELS = {
    "dn": "dn",
    "errorname": "error name",
    "errordetail": "error detail",
    "extraerrordetails": "extra error details",
}


def _positional(strings: list[str]) -> dict[str, str]:
    # Insertion strings without labels: the DN and the error name are recognisable by their
    # shape; the longest string left is the detail.
    out: dict[str, str] = {}
    rest = []
    for value in strings:
        if "dn" not in out and value.upper().startswith("CN={") and immutable_id_from_dn(value):
            out["dn"] = value
        elif "error name" not in out and stated_kind(value):
            out["error name"] = value
        else:
            rest.append(value)
    if rest and out:
        out["error detail"] = max(rest, key=len)
    return out


def _report(
    source: str, events: Iterable[tuple[dict[str, Any] | None, datetime | None]]
) -> ExportReport | Rejected:
    # Records that say the same thing are one: keyed on everything but the tracking id,
    # which changes every attempt. The first one's place is kept, with the record of the
    # latest time that has a tracking id. Kept per record: a digest of its key, its number,
    # its latest time (the records are rows, on disk past a few thousand: ``export_rows``).
    seen: dict[bytes, int] = {}
    latest_of = array("q")  # each record's latest time, in microseconds (_NO_TIME: none)
    order = array("q")  # the row of each record (the latest of its copies)
    errors = ExportRows(source, "eventlog")
    latest = Latest()
    other_dns, first_other = 0, ""
    for error, at in events:
        if error is None:
            continue
        if _OTHER_DN in error:
            other_dns += 1
            first_other = first_other or error[_OTHER_DN]
            continue
        latest.add(at)
        key = json.dumps({k: v for k, v in error.items() if k != "tracking_id"}, sort_keys=True)
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        when = _NO_TIME if at is None else _microseconds(at)
        number = seen.get(digest)
        if number is None:
            seen[digest] = len(order)
            order.append(len(errors))
            latest_of.append(when)
            errors.add(error)
            continue
        if at is not None and (latest_of[number] == _NO_TIME or when >= latest_of[number]):
            latest_of[number] = when
            if error["tracking_id"]:
                order[number] = len(errors)
                errors.add(error)
    del seen, latest_of
    if other_dns and not order:
        return _unreadable(
            source,
            "not-an-error-export",
            f"{other_dns} event(s) 6941 name their object by no DN of the Azure AD "
            f"connector's form CN={{hex}} (first: {first_other[:200]}): they name no object a "
            "ticket can name; export the Azure AD connector's errors",
        )
    if other_dns:
        log.warning(
            "%s: %d event(s) 6941 left out: they name no object by the Azure AD "
            "connector's CN={hex} DN (first: %s)",
            source,
            other_dns,
            first_other[:200],
        )
    fields = report_fields(source=source, source_kind="eventlog", complete=False, latest=latest)
    return errors.report(fields, order)


_NO_TIME = -(2**63)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _microseconds(at: datetime) -> int:
    # Exact (a float of seconds would round microseconds apart): times compare as before.
    return (at - _EPOCH) // timedelta(microseconds=1)


def _unreadable(source: str, code: RejectCode, detail: str) -> Rejected:
    return Rejected(source=source, source_kind="eventlog", code=code, detail=detail)
