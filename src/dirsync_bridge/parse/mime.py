"""One MIME message as the parser needs it: envelope, text bodies, forwarded messages.

The envelope (From, Subject, Date, Message-ID) comes from mail-parser, fed the header block
only: it walks and decodes every part eagerly, which the body does not need twice. Bodies
come from the stdlib parser, decoded with the part's own charset and a fallback chain, so an
8-bit windows-1252 body keeps its curly quotes instead of losing them.
"""

from __future__ import annotations

import email
import email.message
import re
from dataclasses import dataclass, field
from datetime import datetime

import mailparser

# An email whose headers fill more than this is not a report; don't hand it to a parser.
_MAX_HEADER_BYTES = 1024 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(slots=True)
class Envelope:
    """The headers that decide trust and identify the message."""

    senders: list[str]
    subject: str | None
    message_id: str | None
    sent_at: datetime | None
    authentication_results: list[str]
    header_names: int
    from_headers: int
    """How many From headers there are: more than one is a forgery trick, never trusted."""


@dataclass(slots=True)
class Parts:
    """The decoded text bodies and the attached messages of one email."""

    html: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    attached_messages: list[bytes] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _first(value: object) -> str | None:
    # mail-parser gives a str, a list when the header repeats, or "" when absent; a folded
    # header keeps its line break, which RFC 5322 unfolding removes.
    if isinstance(value, list):
        value = value[0] if value else ""
    text = _FOLD.sub("", str(value)).strip() if value is not None else ""
    return text or None


def read_envelope(raw: bytes) -> Envelope:
    """Envelope of ``raw`` (header block only goes through mail-parser)."""
    end = _HEADER_END.search(raw, 0, _MAX_HEADER_BYTES)
    header_block = raw[: end.end()] if end else raw[:_MAX_HEADER_BYTES]
    parsed = mailparser.MailParser.from_bytes(header_block)
    senders = [addr.strip().lower() for _name, addr in parsed.from_ if addr and addr.strip()]
    message = parsed.message
    auth = [str(h) for h in message.get_all("Authentication-Results") or []]
    date = parsed.date if isinstance(parsed.date, datetime) else None
    return Envelope(
        senders=senders,
        subject=_first(parsed.subject),
        message_id=_first(parsed.message_id),
        sent_at=date,
        authentication_results=auth,
        header_names=len(message.keys()),
        from_headers=len(message.get_all("From") or []),
    )


_MESSAGE_ID = re.compile(
    rb"^message-id[ \t]*:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE
)


def message_id(raw: bytes) -> str | None:
    """The Message-ID header, read from the header block alone, without parsing the email.

    For recognising a message already seen before paying for a parse: on a second replay of
    an archive this is most of the work.
    """
    end = _HEADER_END.search(raw, 0, _MAX_HEADER_BYTES)
    found = _MESSAGE_ID.search(raw, 0, end.start() if end else _MAX_HEADER_BYTES)
    if not found:
        return None
    value = b" ".join(found.group(1).split()).decode("ascii", "replace")
    return value or None


def read_parts(raw: bytes) -> Parts:
    """Decoded text/html and text/plain bodies, and attached ``message/rfc822`` bytes."""
    end = _HEADER_END.search(raw, 0, _MAX_HEADER_BYTES)
    message = email.message_from_bytes(raw[: end.end()] if end else raw)
    if (
        end
        and not message.defects
        and message.get_content_maintype() not in ("multipart", "message")
    ):
        # A single-part body needs no MIME parsing: the stdlib would only split it into
        # lines and join them again, which costs more than reading the HTML. The payload is
        # stored as the parser stores it (ASCII + surrogateescape), so decoding is the same.
        message.set_payload(raw[end.end() :].decode("ascii", "surrogateescape"))
    elif end:
        message = email.message_from_bytes(raw)
    parts = Parts(defects=[type(d).__name__ for d in message.defects])
    _walk(message, parts, inside_attachment=False)
    return parts


def _walk(part: email.message.Message, parts: Parts, *, inside_attachment: bool) -> None:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], email.message.Message):
            parts.attached_messages.append(payload[0].as_bytes())
        elif isinstance(payload, str):  # a base64-encoded attached message
            decoded = part.get_payload(decode=True)
            if isinstance(decoded, bytes):
                parts.attached_messages.append(decoded)
        return
    if part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            attachment = inside_attachment or part.get_content_disposition() == "attachment"
            for child in payload:
                if isinstance(child, email.message.Message):
                    _walk(child, parts, inside_attachment=attachment)
        return
    if inside_attachment or part.get_content_disposition() == "attachment":
        return
    if content_type == "text/html":
        parts.html.append(decode_text(part))
    elif content_type == "text/plain" or part.get_content_maintype() == "":
        parts.plain.append(decode_text(part))


_FALLBACK_CHARSETS = ("utf-8", "windows-1252")


def decode_text(part: email.message.Message) -> str:
    """The part's text: transfer encoding undone, then its charset, then fallbacks."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    declared = part.get_content_charset()
    candidates = ((declared,) if declared else ()) + _FALLBACK_CHARSETS
    for charset in candidates:
        # Mail declared us-ascii often carries 8-bit text; let the fallbacks read it.
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")
