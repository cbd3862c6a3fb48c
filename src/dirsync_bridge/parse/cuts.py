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
- an HTML body that opens a document (``<html`` or ``<body`` before its first table) and
  never reaches ``</body>`` or ``</html>``: Microsoft's reports are whole documents, so
  one cut anywhere (before its error table, between two tables, inside a cell of any
  length) shows it;
- an HTML fragment (no ``<html``, no ``<body``: a forward's quoted report) that ends inside
  a table (a table or a row begun after the last ``</table>``, comments aside).

A multipart message whose closing boundary is there arrived whole, whatever its parts look
like: then neither the HTML nor the base64 of its parts is taken as a sign (``mime``).

Bodies cut elsewhere show nothing, and are not guessed at: a plain-text (DirSync era) body
cut between two lines, or an HTML fragment cut outside a table, reads as a shorter report
(README, limits); a fragment cut inside a cell longer than the 64 Ki characters looked at
last is not seen either. A document that reached ``</body>`` has lost no row.
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
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)  # one cut before its "-->" runs to the end
# A document opens before its first table: looked for until either is found, so that a
# fragment's 25 MiB table is not searched through for a "<body" it will not hold.
_DOCUMENT_OPENS = re.compile(r"<(html|body|table)\b", re.I)
_DOCUMENT_ENDS = re.compile(r"</(?:html|body)\b", re.I)
# A tag split between two pieces is found with this many characters of the previous piece.
_OVERLAP = len("</table")


class Document:
    """Whether the HTML seen so far opened a document and whether it closed one.

    Fed each piece of the body as it is read: the start and the end of a 25 MiB body are
    never in one window, and the body is not read a second time to find them.
    """

    def __init__(self) -> None:
        self.opened = False
        self.closed = False
        self._looking = True  # for the start of a document: neither it nor a table seen yet
        self._last = ""

    def see(self, piece: str) -> None:
        """Note an ``<html`` or ``<body`` before any table, and a ``</body>`` or ``</html>``."""
        text = self._last + piece
        if self._looking and (found := _DOCUMENT_OPENS.search(text)):
            self.opened = found.group(1).lower() != "table"
            self._looking = False
        self.closed = self.closed or _DOCUMENT_ENDS.search(text) is not None
        self._last = piece[-_OVERLAP:]


def html_cut(tail: str, document: Document) -> str | None:
    """Why an HTML body whose last characters are ``tail`` is cut; None when nothing shows
    it. A document that reached ``</body>`` or ``</html>`` was finished, whatever it left
    unclosed before (sloppy HTML that never closes its last table)."""
    # A comment is no markup: "<!-- <table> -->", Outlook's "<!--[if mso]><tr>...".
    tail = _COMMENT.sub("", tail.lower())
    opened = _last(_OPENS, tail)  # the last table or row begun
    if opened > tail.rfind("</table") and opened > _last(_END, tail):
        return "the HTML ends inside a table, before its </table>"
    if document.opened and not document.closed:
        return "the HTML document ends before its </body> and </html>"
    return None


def _last(pattern: re.Pattern[str], text: str) -> int:
    """Where the last match of ``pattern`` starts in ``text``; -1 when there is none."""
    last = -1
    for found in pattern.finditer(text):
        last = found.start()
    return last
