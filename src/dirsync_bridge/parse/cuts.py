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
- a base64 part whose last group is incomplete (its padding or length is wrong), unless
  it is an HTML part whose document closed: a gateway's plain-text footer appended after
  the base64 block of a whole report leaves that group (``tables.html_facts``);
- an HTML body that opens a document (``<html`` or ``<body`` before its first table) and
  never reaches ``</body>`` or ``</html>``: Microsoft's reports are whole documents, so
  one cut anywhere (before its error table, between two tables, inside a cell of any
  length) shows it;
- an HTML fragment (no ``<html``, no ``<body``: a forward's quoted report) that ends inside
  a table: a table or a row begun after the last ``</table>``, or a table (a layout table
  around the report) begun and never closed.

Comments, scripts and styles are no markup here: a ``<body>`` or ``</body>`` an editor's
comment names neither opens nor closes a document. The whole body is read for these tags,
a piece at a time (``Document``), not only its last characters.

A multipart message whose closing boundary is there arrived whole, whatever its parts look
like: then neither the HTML nor the base64 of its parts is taken as a sign (``mime``), nor
of a message attached to it (``message``).

Bodies cut elsewhere show nothing, and are not guessed at: a plain-text (DirSync era) body
cut between two lines, or an HTML fragment cut outside every table, reads as a shorter
report (README, limits). A document that reached ``</body>`` has lost no row.
"""

from __future__ import annotations

import binascii
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


_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]+")


def whole_groups(part: email.message.Message) -> bytes | None:
    """The bytes of the whole base64 groups of a part the stdlib could not decode; None
    for any other part.

    One character past a whole group, the stdlib gives up and returns the base64 itself: a
    body cut there, or a whole one with a gateway's footer appended after its base64. Its
    whole groups are what was sent; its HTML tells which it is (``tables.html_facts``).
    """
    if not any(isinstance(d, InvalidBase64LengthDefect) for d in part.defects):
        return None
    data = _NOT_BASE64.sub("", str(part.get_payload())).encode("ascii")
    for drop in range(4):  # the incomplete group's characters; decoding stops at padding
        try:
            return binascii.a2b_base64(data[: len(data) - drop])
        except binascii.Error:
            continue
    return b""


# The tags the cut rules look at, outside comments: a comment is no markup ("<!-- <table>
# -->", Outlook's "<!--[if mso]><tr>...", an editor's "<!-- copied from the <body> -->"), and
# neither is a script's or a style's text. A tag counts once its name is whole: followed by
# a space, ">" or "/", or by the end of the body (a cut right after "<table").
_TOKEN = re.compile(r"<(?:!--|(/?)(html|body|table|tr|script|style)(?=[\s>/]|\Z))", re.I)
_COMMENT_END = re.compile(r"-->")
_RAW_END = {
    "script": re.compile(r"</script(?=[\s>/]|\Z)", re.I),
    "style": re.compile(r"</style(?=[\s>/]|\Z)", re.I),
}
# A piece's last characters are read again with the next one: "</script" and the character
# after it, the longest token, may be split between two pieces.
_HOLD = len("</script") + 1
_OPEN, _CLOSE, _END = "open", "close", "end"


class Document:
    """What the HTML seen so far opened and closed: a document, its tables.

    Fed each piece of the body as it is read (``see``), then ``end``: the start and the end
    of a 25 MiB body are never in one window, and the body is not read a second time. Each
    character is read once (at most ``_HOLD`` of them twice), so this is linear.
    """

    def __init__(self) -> None:
        self.opened = False
        """An ``<html`` or ``<body`` before any table: a whole document was sent."""
        self.closed = False
        """A ``</body>`` or ``</html>`` seen: the document was finished."""
        self.depth = 0
        """Tables begun and not yet closed (a stray ``</table>`` closes none)."""
        self._looking = True  # for the start of a document: neither it nor a table seen yet
        self._last: str | None = None  # the last table or row begun, </table>, or </body>
        self._inside: re.Pattern[str] | None = None  # the end of the comment or text we are in
        self._held = ""

    def see(self, piece: str) -> None:
        """Note the tags of ``piece``, the body's next characters."""
        text = self._held + piece
        stop = max(0, len(text) - _HOLD)
        self._held = text[self._scan(text, stop) :]

    def end(self) -> None:
        """The body ended: read what was held back, a tag cut after its name included."""
        text, self._held = self._held, ""
        self._scan(text, len(text) + 1)

    def _scan(self, text: str, stop: int) -> int:
        """Read the tokens of ``text`` that start before ``stop``; where to read on from."""
        at = 0
        while at < stop:
            if self._inside is not None:
                found = self._inside.search(text, at)
                if found is None or found.start() >= stop:
                    return stop if found is None else found.start()
                self._inside = None
                at = found.end()
                continue
            token = _TOKEN.search(text, at)
            if token is None or token.start() >= stop:
                return stop if token is None else token.start()
            at = token.end()
            name = (token.group(2) or "").lower()
            if not name:
                self._inside = _COMMENT_END
            elif token.group(1):
                self._closing(name)
            elif name in _RAW_END:
                self._inside = _RAW_END[name]
            else:
                self._opening(name)
        return at

    def _opening(self, name: str) -> None:
        if self._looking and name != "tr":
            self.opened = name != "table"
            self._looking = False
        if name == "table" or name == "tr":
            self._last = _OPEN
            self.depth += name == "table"

    def _closing(self, name: str) -> None:
        if name == "table":
            self._last = _CLOSE
            self.depth = max(0, self.depth - 1)
        elif name in ("body", "html"):
            self._last = _END
            self.closed = True

    def cut(self) -> str | None:
        """Why the HTML read (to its end) is cut; None when nothing shows it. A document
        that reached ``</body>`` or ``</html>`` was finished, whatever it left unclosed
        before (sloppy HTML that never closes its last table)."""
        if self._last == _OPEN:  # a table or row begun after the last </table> and </body>
            return "the HTML ends inside a table, before its </table>"
        if self.closed:
            return None
        if self.opened:
            return "the HTML document ends before its </body> and </html>"
        if self.depth > 0:  # a fragment: a table it is wrapped in (layout) left open
            return "the HTML ends inside a table, before its </table>"
        return None
