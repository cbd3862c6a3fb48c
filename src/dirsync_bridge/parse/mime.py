"""One MIME message as the parser needs it: envelope, text bodies, forwarded messages.

The envelope (From, Subject, Date, Message-ID, Authentication-Results) comes from the
standard library's header parser, fed the header block only, with the ``compat32`` policy:
header values stay as they came until one is asked for, and only these few are decoded.
From is read by the RFC 5322 parser of ``email.headerregistry`` unless it has the plain
shape every report sender uses; a From it finds defects in names nobody (see ``addresses``).
Bodies come from the stdlib parser, decoded with the part's own charset and a fallback
chain, so an 8-bit windows-1252 body keeps its curly quotes instead of losing them. A body is
decoded in pieces (``TextPart``), not whole: the HTML of a large report is most of its
message, and whole it was held three times more (the transfer encoding's text, its bytes,
the decoded text: four bytes a character after a single emoji).
"""

from __future__ import annotations

import binascii
import codecs
import dataclasses
import email
import email.message
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from functools import partial
from typing import TypeVar

from .cuts import boundary_cut, encoding_cut, whole_groups
from .from_addresses import FOLD as _FOLD
from .from_addresses import addresses
from .surrogates import without_lone_surrogates

# An email whose headers fill more than this is not a report; don't hand it to a parser.
_MAX_HEADER_BYTES = 1024 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# compat32, the parser's default: values kept as they came until one is asked for.
_HEADERS = BytesHeaderParser()


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


class Undecodable(Exception):
    """A piece of a text part that the charset being tried cannot decode."""


T = TypeVar("T")
_PIECE_BYTES = 1024 * 1024
_FALLBACK_CHARSETS = ("utf-8", "windows-1252")
# Codecs decoded a piece at a time: UTF-8 and the single-byte tables, whose pieces read
# exactly as their whole does. Every charset a report was seen in is one of them.
_IN_PIECES = re.compile(r"utf-8|ascii|iso8859-\d+|cp125\d|koi8-[ru]|mac-roman")
# The transfer encodings the stdlib undoes beyond quoted-printable: undone whole, as before.
_WHOLE_ENCODINGS = frozenset({"base64", "x-uuencode", "uuencode", "uue", "x-uue"})


@dataclass(frozen=True, slots=True)
class TextPart:
    """One text body, its transfer encoding and charset undone a piece at a time.

    ``data[start:]`` is the body as the transfer encoding left it (quoted-printable, or as
    it is); for a single-part message it is the message's own bytes, not a copy.
    """

    data: bytes
    start: int
    quoted_printable: bool
    charset: str | None
    """The charset the part declares (lower-cased), if any."""
    cut: str | None = None
    """Why its base64 shows it cut (``cuts.encoding_cut``): kept for an HTML part, which
    is cut only if its document did not close (a footer may follow a whole document)."""

    @classmethod
    def of(cls, part: email.message.Message) -> TextPart:
        """The body of a part the stdlib parsed, its transfer encoding undone whole."""
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if (groups := whole_groups(part)) is not None:
            data = groups  # not the base64 itself, which the stdlib gives up on
        return cls(data, 0, False, part.get_content_charset())

    def read(self, reader: Callable[[Callable[[], Iterator[str]]], T]) -> T:
        """``reader`` given the text in pieces, in the first charset that decodes it all.

        The declared charset, then UTF-8, then windows-1252 (mail declared us-ascii often
        carries 8-bit text); UTF-8 with replacement characters when none does. ``reader``
        gets a function that starts the pieces over, and may call it more than once.
        """
        declared = (self.charset,) if self.charset else ()
        for charset in declared + _FALLBACK_CHARSETS:
            try:
                codec = codecs.lookup(charset)
            except (LookupError, ValueError):  # unknown, or a name with a NUL in it
                continue
            # As bytes.decode does: a codec that does not make text (base64, rot13) is none.
            if not getattr(codec, "_is_text_encoding", True):
                continue
            try:
                return reader(partial(self._pieces, charset, "strict"))
            except Undecodable:
                continue
        return reader(partial(self._pieces, "utf-8", "replace"))

    def text(self) -> str:
        """The whole text (for plain-text bodies, read paragraph by paragraph).

        A codec named by the sender (``unicode_escape``) can make lone surrogates, which no
        output can encode: U+FFFD, as in a JSON value, and the rows around them are kept.
        """
        return without_lone_surrogates(self.read(lambda pieces: "".join(pieces())))

    def _pieces(self, charset: str, errors: str) -> Iterator[str]:
        try:
            if not _IN_PIECES.fullmatch(codecs.lookup(charset).name):
                # A codec whose pieces may not read as its whole does (UTF-16 without a
                # byte-order mark is one): decoded whole, as every body was before.
                yield b"".join(self._payload()).decode(charset, errors)
                return
            decoder = codecs.getincrementaldecoder(charset)(errors)
            for chunk in self._payload():
                yield decoder.decode(chunk)
            yield decoder.decode(b"", True)
        except UnicodeDecodeError as exc:
            raise Undecodable(charset) from exc

    def _payload(self) -> Iterator[bytes | memoryview]:
        data, end = memoryview(self.data), len(self.data)
        at = self.start
        while at < end:
            stop = at + _PIECE_BYTES
            if self.quoted_printable:
                # Cut just after a line break: no escape or soft break spans one, so each
                # piece decodes as it would within the whole.
                newline = self.data.find(b"\n", stop)
                stop = end if newline < 0 else newline + 1
                yield binascii.a2b_qp(data[at:stop])
            else:
                yield data[at : min(stop, end)]
            at = stop


@dataclass(slots=True)
class Parts:
    """The text bodies (not yet decoded) and the attached messages of one email."""

    html: list[TextPart] = field(default_factory=list)
    plain: list[TextPart] = field(default_factory=list)
    attached_messages: list[bytes] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    cut: str | None = None
    """Why the message shows it ends before its sender finished it (``cuts``); else None."""
    whole: bool = False
    """A multipart message whose every closing boundary is there: it arrived whole, so
    nothing in its parts (HTML left open, base64 without its padding) is a sign of a cut."""


def read_envelope(raw: bytes) -> Envelope:
    """Envelope of ``raw``, from its header block alone."""
    end = _HEADER_END.search(raw, 0, _MAX_HEADER_BYTES)
    message = _HEADERS.parsebytes(raw[: end.end()] if end else raw[:_MAX_HEADER_BYTES])
    wanted: dict[str, str] = {}
    from_headers = 0
    for name, value in message.raw_items():
        key = name.lower()
        if key == "from":
            from_headers += 1
        if key in _ENVELOPE_HEADERS:
            wanted.setdefault(key, value)  # the first of a repeated header, as mail readers do
    return Envelope(
        senders=addresses(wanted["from"]) if "from" in wanted else [],
        subject=header_text(wanted.get("subject")),
        message_id=header_text(wanted.get("message-id")),
        sent_at=_sent_at(wanted.get("date")),
        authentication_results=[str(h) for h in message.get_all("Authentication-Results") or []],
        header_names=len(message),
        from_headers=from_headers,
    )


_ENVELOPE_HEADERS = frozenset({"from", "subject", "message-id", "date"})
# A line break that folds a header (RFC 5322 2.2.3); the parser splits lines at CR, LF, CRLF.


def header_text(value: str | None) -> str | None:
    """An unstructured header's text: RFC 2047 words decoded, unfolded, trimmed; None if empty."""
    if value is None:
        return None
    if value.isascii():
        text = _decoded_words(value) if "=?" in value else value
    else:
        # 8-bit bytes: UTF-8 (RFC 6532), what is not UTF-8 dropped (a subject is shown, never
        # trusted). Encoded words have no place beside raw 8-bit text and stay as written.
        text = value.encode("utf-8", "surrogateescape").decode("utf-8", "ignore")
    return _FOLD.sub("", text).strip() or None


def _decoded_words(value: str) -> str:
    try:
        text = "".join(_chunk(data, charset) for data, charset in decode_header(value))
    except (HeaderParseError, ValueError):  # a broken encoded word: keep it as written
        return value
    if not text.isascii():
        # A codec named by the sender can make lone surrogates, which no output can encode.
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _chunk(data: bytes | str, charset: str | None) -> str:
    if isinstance(data, str):
        return data
    try:
        # Text between encoded words comes back as bytes with no charset: ASCII here.
        return data.decode(charset or "ascii")
    except (LookupError, ValueError):  # unknown, lying or NUL-holding charset: read as UTF-8
        return data.decode("utf-8", "ignore")


# RFC 5322 3.3 with its obsolete zones, and a trailing comment such as "(PST)". The stdlib
# parser is lenient (it reads a date out of garbage); a Date of another shape is no date.
# The space after the weekday's comma is inside its group: "[ \t]*(...,)?[ \t]*", two runs
# of spaces side by side, split a long run of them every way before failing (quadratic).
_DATE_SHAPE = re.compile(
    r"[ \t]*(?:(?i:mon|tue|wed|thu|fri|sat|sun)[ \t]*,[ \t]*)?"
    r"(?P<day>\d{1,2})[ \t]+(?P<month>[A-Za-z]{3})[ \t]+(?P<year>\d{4}|\d{2})[ \t]+"
    r"(?P<time>\d{2}:\d{2}(?::\d{2})?)[ \t]+"
    r"(?P<zone>[+-]\d\d[0-5]\d|[A-Za-z]{1,5})(?:[ \t]*\([^()\\]*\))?[ \t]*"
)


def _sent_at(value: str | None) -> datetime | None:
    shape = _DATE_SHAPE.fullmatch(_FOLD.sub("", value)) if value is not None else None
    if shape is None:
        return None
    day, month, year, time, zone = shape.group("day", "month", "year", "time", "zone")
    if len(year) == 2:  # 00-49 are 20xx, 50-99 19xx (RFC 5322 4.3; the stdlib's pivot is 69)
        year = ("20" if year < "50" else "19") + year
    try:
        # The weekday is left out: it says nothing the date does not.
        parsed = parsedate_to_datetime(f"{day} {month} {year} {time} {zone}")
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.year < 1900:
        return None
    if not parsed.tzinfo:
        # -0000 and unknown zone names mean "zone unknown" (RFC 5322 4.3): taken as UTC.
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 31 Dec 9999 23:59 -0100 is past the last day in UTC: no date
        return None


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


def read_parts(raw: bytes, *, whole: bool = False) -> Parts:
    """The text/html and text/plain bodies, and the attached ``message/rfc822`` bytes.

    ``whole``: the message is known to have arrived whole (attached to a message whose
    closing boundary is there), so nothing in it is taken for a sign of a cut.
    """
    end = _HEADER_END.search(raw, 0, _MAX_HEADER_BYTES)
    message = email.message_from_bytes(raw[: end.end()] if end else raw)
    body = None
    if (
        end
        and not message.defects
        and message.get_content_maintype() not in ("multipart", "message")
    ):
        # A single-part body needs no MIME parsing: the stdlib would only split it into
        # lines and join them again, which costs more than reading the HTML; and the body
        # is read in place, from the message's own bytes.
        body = end.end()
    elif end:
        message = email.message_from_bytes(raw)
    parts = Parts(defects=[type(d).__name__ for d in message.defects])
    parts.cut = None if body or whole else boundary_cut(message)
    parts.whole = whole or (body is None and message.is_multipart() and parts.cut is None)
    _walk(message, parts, inside_attachment=False, body=(raw, body) if body else None)
    return parts


def _walk(
    part: email.message.Message,
    parts: Parts,
    *,
    inside_attachment: bool,
    body: tuple[bytes, int] | None = None,
) -> None:
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
        text = _text_part(part, body)
        # Its defects once its payload is decoded; read with its HTML (tables.html_facts).
        cut = None if parts.whole else encoding_cut(part)
        parts.html.append(dataclasses.replace(text, cut=cut) if cut else text)
    elif content_type == "text/plain" or part.get_content_maintype() == "":
        parts.plain.append(_text_part(part, body))
        if not parts.whole:
            parts.cut = parts.cut or encoding_cut(part)  # its defects once decoded


def _text_part(part: email.message.Message, body: tuple[bytes, int] | None) -> TextPart:
    if body is None:
        return TextPart.of(part)
    raw, start = body
    # The transfer encoding as the stdlib reads it (the first header, lower-cased, unstripped).
    encoding = str(part.get("content-transfer-encoding", "")).lower()
    if encoding in _WHOLE_ENCODINGS:
        # Stored as the parser stores a body (ASCII + surrogateescape), decoded the same way.
        part.set_payload(raw[start:].decode("ascii", "surrogateescape"))
        return TextPart.of(part)
    return TextPart(raw, start, encoding == "quoted-printable", part.get_content_charset())
