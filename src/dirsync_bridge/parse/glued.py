"""A plain-text row glued to the paragraph beside it: a blank line missing (review rev48).

The reader pairs an identity paragraph with the error paragraph after it. With a blank line
missing, the identity is the first line of its error's paragraph ("ann@contoso.com" then
its message, perhaps tab-indented), or the last line of the paragraph before (the errors'
sentence, or the error before). Read as they were, the error named no object and was filed
"(tenant-level)" beside the named rows, or (an identity of a shape not known) a nameless
error was read with no doubt: the object's own ticket resolved as absent. Each glued
identity found is paired with its error, the report read as incomplete (the pairing is a
guess); a line that may be an identity of a shape not known makes a nameless object error
after it refuse the report (``BodyFacts.unplaced``).
"""

from __future__ import annotations

import re

from ..models import FAMILY_OF
from .catalog import classify
from .dn_wrap import dn_unwrapped
from .identity_shape import DN, looks_like_identity

# How a message ends: a full stop, or the like. A last line ending otherwise, and short, may
# be an identity in a shape the guess does not know ("Ann Akers") glued under the message.
_SENTENCE_ENDS = ".!?)]\"'"
_MAX_NAME_LINE = 64
# How the line above a glued identity ends: a sentence, or a label ("...synchronization:"),
# or it is a rule or an error's "Tracking ID:" line. A line ending otherwise ("could not be
# exported,", "Questions go to") runs on into the next: the identity-shaped line under it
# is its text ("hr=0x80230703", review rev55 D3).
_LINE_ENDS = _SENTENCE_ENDS + ":"
SEPARATOR = re.compile(r"^\s*[_=\-*]{5,}\s*$")
# The label in any capitalisation, as catalog.find_tracking_id reads it (ASCII letters only).
TRACKING_ONLY = re.compile(r"^(?ai:tracking)\s+(?ai:id)\s*:\s*[0-9A-Fa-f-]{36}\.?$")


def _lines(para: str) -> list[str]:
    return [line for line in para.splitlines() if line.strip()]


def identity_of(line: str) -> str:
    """An identity line as the reader keys it (a DN unwrapped as one line)."""
    flat = " ".join(line.split())
    return dn_unwrapped(line) if DN.match(flat) else flat


def identity_heading(para: str) -> tuple[str, str] | None:
    """(The identity, the message) when the first of ``para``'s lines, and only it, is one
    identity and lines follow it: "ann@contoso.com" glued over its message."""
    lines = _lines(para)
    if len(lines) < 2 or not looks_like_identity(" ".join(lines[0].split())):
        return None
    return identity_of(lines[0]), "\n".join(line.strip() for line in lines[1:])


def identity_ending(para: str) -> tuple[str, str] | None:
    """(The text before, the identity) when the last of ``para``'s lines, and only it, is
    one identity after other lines: the next row's identity glued under an error."""
    lines = _lines(para)
    if len(lines) < 2 or not looks_like_identity(" ".join(lines[-1].split())):
        return None
    above = lines[-2].strip()
    if not (
        above.endswith(tuple(_LINE_ENDS)) or SEPARATOR.match(above) or TRACKING_ONLY.match(above)
    ):
        return None  # the sentence above runs on into it: the line is its text
    return "\n".join(lines[:-1]), identity_of(lines[-1])


def tenant_level(message: str) -> bool:
    """Whether an error's text is the tenant's own (the object quota): it names no object by
    nature, so no identity is looked for before it (review rev55 D2, D3)."""
    return FAMILY_OF[classify(message).kind] == "quota"


def loose_end(para: str) -> bool:
    """Whether the last of ``para``'s lines (two or more) may be an identity in a shape not
    known: short, and not the end of a sentence."""
    lines = _lines(para)
    if len(lines) < 2:
        return False
    last = lines[-1].strip()
    # A name holds no digit: a "Tracking Id:" line or an "hr=0x..." code ends an error.
    return (
        len(last) <= _MAX_NAME_LINE
        and not last.endswith(tuple(_SENTENCE_ENDS))
        and not any(c.isdigit() for c in last)
    )


def after_sentence(para: str, sentence_at: int) -> str:
    """The lines of the errors' sentence paragraph after the sentence's own line."""
    line_end = para.find("\n", sentence_at)
    return "" if line_end < 0 else para[line_end + 1 :]
