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

Tags are read as the HTML5 tokenizer reads them: comments (``<!-->`` and ``<!--->`` whole,
``--!>`` an end too), quoted attribute values and the text of raw-text and RCDATA elements
(a script, a style, a ``<textarea>``, a ``<title>``) are no markup here: a ``<body>`` or
``</body>`` an editor's comment names neither opens nor closes a document, and an
``alt="<table>"`` begins no table. The whole body is read for these tags,
a piece at a time (``Document``), not only its last characters.

A multipart message whose closing boundary is there arrived whole, whatever its parts look
like: then neither the HTML nor the base64 of its parts is taken as a sign (``mime``), nor
of a message attached to it (``message``).

Bodies cut elsewhere show nothing, and are not guessed at: a plain-text (DirSync era) body
cut between two lines, or an HTML fragment cut outside every table, reads as a shorter
report (README, limits). A document that reached ``</body>`` has lost no row; one that
omits both ``</body>`` and ``</html>`` (HTML allows it) is taken as cut: it cannot be told
from one cut after its last table, and Microsoft's reports close both.
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


# The tags the cut rules look at, read as the HTML5 tokenizer reads them: a comment is no
# markup ("<!-- <table> -->", Outlook's "<!--[if mso]><tr>...", an editor's "<!-- copied from
# the <body> -->"), nor is a quoted attribute value (alt="<!--logo">, alt="<table>"), nor the
# text of a raw-text or RCDATA element (a script, a style, a <textarea>, a <title>) up to its
# end tag. A tag counts once its name is read (a cut right after "<table" counts).
_COUNTED = ("html", "body", "table", "tr")
_RAW = (  # <plaintext> is left out: it never ends, and no report sends one
    "script", "style", "textarea", "title", "xmp", "noscript", "iframe", "noembed", "noframes",
)  # fmt: skip
_RAW_END = {name: re.compile(rf"</{name}(?=[\t\n\f\r />]|\Z)") for name in _RAW}
# Other tags are read only when a quote (or a "<") comes before their ">": one with no
# quoted value holds nothing to skip, and is passed over by the regex itself (a report is
# mostly <td>s: read one by one, they made this five times slower).


def _data(counted: tuple[str, ...], plain: str) -> re.Pattern[str]:
    # ``plain``: the bare cells and rows a report is made of ("<td>", "</td>"...), which hold
    # nothing and count for nothing here, turned down at their "<" (five times faster).
    return re.compile(
        rf"<(?!{plain})(?:(!--)|([!?])|(/?)(?:(" + "|".join(counted + _RAW) + r")"
        r"(?=[\t\n\f\r />]|\Z)"
        r"|[A-Za-z](?=[^<>\"']*(?:[\"'<]|\Z))))"
    )


_DATA = _data(_COUNTED, r"/?t[dh]>|/tr>")
# Inside a table a row changes no verdict (the open table already says "cut" unless the
# document closes): rows without a quoted value are then passed over by the regex, which
# read one by one cost a third of a 10,000-row report's parse.
_DATA_IN_TABLE = _data(tuple(name for name in _COUNTED if name != "tr"), r"/?t[dhr]>")
_UNTIL = {
    "comment": re.compile(r"--!?>"),  # "--!>" ends one too
    "bogus": re.compile(r">"),  # <!DOCTYPE ...>, <![CDATA[...]]>, <?xml ...?>
    # An "=" starts a value to skip only when a quote comes next (or the piece ends first):
    # an unquoted value is passed over with the tag.
    "tag": re.compile(r">|=(?=[\t\n\f\r ]*(?:[\"'>]|\Z))"),
    "value": re.compile(r"[^\t\n\f\r ]"),  # after "=": a quote opens a quoted value
    '"': re.compile(r'"'),
    "'": re.compile(r"'"),
}
# A piece's last characters are read again with the next one: a token ("</noframes" and the
# character after it, "<!--" and the two after it) may be split between pieces.
_HOLD = 20
_OPEN, _CLOSE, _END = "open", "close", "end"


_SPANS = ("colspan", "rowspan")


class Document:
    """What the HTML seen so far opened and closed: a document, its tables.

    Fed each piece of the body as it is read (``see``), then ``end``: the start and the end
    of a 25 MiB body are never in one window, and the body is not read a second time. Each
    character is read once (at most ``_HOLD`` of them twice), so this is linear. Where the
    last piece stopped (in a comment, a tag, a quoted value, a script) is carried over.
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
        self._mode = "data"  # or an _UNTIL key, or "raw": what the text read next is
        self._raw: re.Pattern[str] | None = None  # the end tag of the raw text we are in
        self._raw_next: re.Pattern[str] | None = None  # ... or enter at this tag's ">"
        self._held = ""
        self.spans = False
        """A ``colspan`` or ``rowspan`` seen: a cell may span (``html_spans``). Noted here, in
        the one pass over the lowered body, so that a body with none (Microsoft's reports)
        is never asked of each cell."""
        self._tail = ""

    def see(self, piece: str) -> None:
        """Note the tags of ``piece``, the body's next characters."""
        # Lower-cased, so the patterns need no IGNORECASE (a third faster over a large body);
        # the positions read are this text's own, never mapped back to the piece.
        lowered = piece.lower()
        if not self.spans:
            edge = self._tail + lowered[:6]  # a name split between two pieces
            self.spans = any(name in lowered or name in edge for name in _SPANS)
            self._tail = lowered[-6:] if len(lowered) > 5 else (self._tail + lowered)[-6:]
        text = self._held + lowered
        stop = max(0, len(text) - _HOLD)
        self._held = text[self._scan(text, stop) :]

    def end(self) -> None:
        """The body ended: read what was held back, a tag cut after its name included."""
        text, self._held = self._held, ""
        self._scan(text, len(text) + 1)

    def _until(self) -> re.Pattern[str]:
        if self._mode == "data":
            return _DATA_IN_TABLE if self.depth else _DATA
        if self._mode == "raw" and self._raw is not None:
            return self._raw
        return _UNTIL[self._mode]

    def _scan(self, text: str, stop: int) -> int:
        """Read the tokens of ``text`` that start before ``stop``; where to read on from."""
        at = 0
        while at < stop:
            found = self._until().search(text, at)
            if found is None or found.start() >= stop:
                return stop if found is None else found.start()
            at = self._step(found, text)
        return at

    def _step(self, found: re.Match[str], text: str) -> int:
        """Take the token ``found`` in the current mode; where to read on from."""
        mode, at = self._mode, found.end()
        if mode == "data":
            return self._markup(found, text)
        if mode == "tag" and found.group() == "=":
            self._mode = "value"
        elif mode == "value" and found.group() in ("'", '"'):
            self._mode = found.group()
        elif mode == "value" and found.group() != ">":
            self._mode = "tag"  # an unquoted value: read on as the tag
            at = found.start()
        elif mode in ("tag", "value"):  # the tag's ">": raw text, or markup again
            # "<title/>", "<style/>": inline SVG, where a tag closes itself; no raw text.
            itself = found.start() > 0 and text[found.start() - 1] == "/"
            self._raw, self._raw_next = None if itself else self._raw_next, None
            self._mode = "data" if self._raw is None else "raw"
        elif mode == "raw":  # its end tag: read as a tag to its ">"
            self._mode, self._raw = "tag", None
        elif mode in ('"', "'"):
            self._mode = "tag"
        else:  # the end of a comment or of a bogus comment
            self._mode = "data"
        return at

    def _markup(self, found: re.Match[str], text: str) -> int:
        """A ``<`` token read in text: a comment, a doctype or the like, or a tag."""
        at = found.end()
        if found.group(1):  # "<!-->" and "<!--->" are whole (empty) comments
            for abrupt in (">", "->"):
                if text.startswith(abrupt, at):
                    return at + len(abrupt)
            self._mode = "comment"
        elif found.group(2):
            self._mode = "bogus"
        else:
            name = (found.group(4) or "").lower()  # "": another tag, read for its quotes
            if found.group(3):
                self._closing(name)
                self._raw_next = None
            else:
                if name in _COUNTED:
                    self._opening(name)
                self._raw_next = _RAW_END.get(name)
            self._mode = "tag"
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
