"""Reports forwarded by a person: attached as a message, or pasted inline below a marker.

``message`` reads a forward only from a sender in ``[trust] forwarders``, and the report in
it only from an original sender on the allow-list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

from .body import BodyFacts, read_text
from .mime import Parts, read_envelope
from .scans import addresses_in, after_line_breaks, lines_from
from .tables import html_facts
from .trust import is_report_subject, strip_forward_prefix


def attached_report(parts: Parts) -> bytes | None:
    """The first attached message whose subject is a report's, as its raw bytes."""
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


def inline_forward(parts: Parts) -> InlineForward | None:
    """The report pasted below a forward marker: HTML parts first, then plain text."""
    for html in parts.html:
        facts = html_facts(parts, html)
        block = _forward_block(facts.text)
        if block:
            sender, subject, rest = block
            if facts.rows or facts.cut:
                # A cut forward is refused like a cut report: taken as one, the rows not yet
                # written would be absences, and the whole forward "already seen".
                found = BodyFacts(facts.rows, rest, has_error_section=True, cut=facts.cut)
            else:
                found = read_text(rest)
            # Rows left out go with it, as in a report sent direct (review rev63 D1).
            found.unsure_rows += facts.unsure_rows
            return InlineForward(sender, subject, found)
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
