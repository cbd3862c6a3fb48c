"""Signs that a message ends before its sender finished it: read while still being written.

An ``.eml`` a save or a copy has not finished, or the last message of an mbox a delivery
agent is still appending to, is read the next run whole. Taken as a whole report now, its
missing rows would count as absences, and the whole message, read later, would be the same
report "already seen" (same Message-ID): the rows not yet written would never be ticketed.
So a message that shows it was cut is refused (``truncated``), and never remembered as seen.

Only what the format itself proves is taken as a cut, never a guess:

- a multipart body without its closing boundary (or without any), as the standard
  library's parser records it (``CloseBoundaryNotFoundDefect``,
  ``StartBoundaryNotFoundDefect``);
- a base64 part whose last group is incomplete (its padding or length is wrong);
- an HTML body that ends inside a table (a table or a row begun after the last
  ``</table>``) with no ``</body>`` or ``</html>`` after it.

Single-part bodies cut elsewhere show nothing, and are not guessed at: a plain-text (DirSync
era) body cut between two lines, or an HTML one cut before its error table began, reads as a
shorter report (README, limits; an HTML body without ``</html>`` is no sign: fragments
without one are sent whole). An HTML body cut after its error table closed has lost no row.
"""

from __future__ import annotations

import email.message
import re
from email.errors import (
    CloseBoundaryNotFoundDefect,
    InvalidBase64LengthDefect,
    InvalidBase64PaddingDefect,
    StartBoundaryNotFoundDefect,
)


def boundary_cut(message: email.message.Message) -> str | None:
    """Why a multipart body (of ``message`` or any part in it) is cut; None when none is."""
    for part in message.walk():
        for defect in part.defects:
            if isinstance(defect, CloseBoundaryNotFoundDefect):
                return f"the {part.get_content_type()} body ends before its closing boundary"
            if isinstance(defect, StartBoundaryNotFoundDefect):
                return f"the {part.get_content_type()} body ends before its first part"
    return None


def encoding_cut(part: email.message.Message) -> str | None:
    """Why a text part's base64 is cut (read once its payload was decoded); else None."""
    for defect in part.defects:
        if isinstance(defect, InvalidBase64PaddingDefect | InvalidBase64LengthDefect):
            return f"the {part.get_content_type()} part's base64 ends in an incomplete group"
    return None


_OPENS = re.compile(r"<t(?:able|r)(?:[\s>/]|$)")  # a tag cut after its name counts
_END = re.compile(r"</(?:body|html)[\s>]")


def html_cut(tail: str) -> str | None:
    """Why an HTML body whose last characters are ``tail`` is cut; None when nothing shows
    it. A document that reached ``</body>`` or ``</html>`` was finished, whatever it left
    unclosed before (sloppy HTML that never closes its last table)."""
    tail = tail.lower()
    opened = _last(_OPENS, tail)  # the last table or row begun
    if opened > tail.rfind("</table") and opened > _last(_END, tail):
        return "the HTML ends inside a table, before its </table>"
    return None


def _last(pattern: re.Pattern[str], text: str) -> int:
    """Where the last match of ``pattern`` starts in ``text``; -1 when there is none."""
    last = -1
    for found in pattern.finditer(text):
        last = found.start()
    return last
