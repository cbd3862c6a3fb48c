"""A plain-text report's closing, and what after it may still be rows.

A letter's closing ("Thank you,", "Thanks.", "Regards:", "-- ", the unmonitored-address
notice) ends a plain-text report's rows, the report complete (review rev49). What follows is
a signature, unless it may be rows: those are counted as rows unread and the report is read
as incomplete (``BodyFacts.unread``). Both mistakes cost: rows dropped with the report
complete resolve real tickets (reviews rev51, rev52, rev53 D2/D3); a genuine signature read
as rows makes every daily report incomplete, so nothing ever resolves (rev49, rev53 D1/D4).

An identity after a closing is a row only with an error after it: text that is no signature
line (rev52: ``bob@contoso.com`` then a new Microsoft message). With nothing after it, or only
addresses, phone numbers, web addresses and closings, it is a signature's (rev53 D1). A name
or a title is a signature's line only where no identity comes directly before it: there it
may be an error's text ("InvalidSoftMatch", "Object Not Found"), and a row is never dropped
for a signature's look. An identity that is no address (a DN, DOMAIN\\user, a GUID,
"hr=0x80230703") is in no signature: after an identity, it may be its error's text.
Two addresses are no identity (review rev55): the signer's own, under a name line its local
part is made of ("Alex Wilber", ``alex.wilber@...``: D4), and one a line of prose runs on
into (a disclaimer's "...please notify" then ``postmaster@...``: D5). An identity that ends
a closing (a note with a row glued under it) is one, its error perhaps after it (D1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from enum import Enum

from .identity_shape import MAX_IDENTITY, identity_token, looks_like_identity
from .scans import split_cells

RowTest = Callable[[str, str], bool]
"""Whether a paragraph (as written, and whitespace-collapsed) holds rows the reader reads
whatever their place: a known error, or a table with error rows."""

# A letter's closing, or a signature's "-- " delimiter: no error text starts so.
# The word ends at a space or a punctuation mark ("Thanks.", "Regards:", review rev52) or
# the end: "thanks@contoso.com" is an identity (review rev51: it ended the rows, the
# objects after it resolved as absent); ``closes`` also refuses a word glued to an identity.
CLOSING = re.compile(
    r"^(?:(?:thank you|thanks|many thanks|regards|best regards|kind regards|sincerely"
    r"|best wishes|cheers)(?=[ ,!.:;]|$)|--(?: |$)"
    r"|this (?:message|e-?mail) was sent from an unmonitored)",
    re.IGNORECASE,
)


class _Piece(Enum):
    ADDRESS = "address"  # an identity that may also be a signature's address
    IDENTITY = "identity"  # any other identity (DN, DOMAIN\\user, GUID): in no signature
    NAME = "name"  # a few capitalised words: a signature's name, or an error's text
    SIGNATURE = "signature"  # a signature's line (phone, web address, addresses): no error
    TEXT = "text"  # anything else: it may be an error's text


_NAMED = (_Piece.ADDRESS, _Piece.IDENTITY)


def closes(para: str, flat: str, holds_rows: RowTest) -> bool:
    """Whether ``para`` is a letter's closing: never a paragraph that holds rows (a known
    error, a table's error rows: "Regards Team | <error>", review rev52), nor one whose
    closing word is part of an identity (``Cheers.Events@contoso.com`` heading its error,
    rev53 D3), nor one holding an identity with its error's text after it (rev53 D2), nor
    a tab table's line ("Regards<TAB><error>"). Tabs before or after the words are a
    layout's (an HTML layout table rendered as text): they refused Microsoft's own closing,
    every such report incomplete (rev53 D4)."""
    if not CLOSING.match(flat):
        return False
    if identity_token(flat.split(maxsplit=1)[0]):
        return False
    if any("\t" in line.strip() for line in para.splitlines()):
        return False
    return not holds_rows(para, flat) and not _scan(_pieces(para, None), False)[0]


def rows_unread(paras: list[str], holds_rows: RowTest, closing: str = "") -> int:
    """How many of ``paras`` (what follows ``closing``) may hold rows: a known error, a table
    with error rows, or an identity with what may be its error after it (in its paragraph
    or a later one): an error the catalogue does not know (review rev52). An identity that
    ends a closing (a forwarder's note with the next pasted row glued under it, a blank line
    missing) is one too (review rev55 D1: its row was lost, the report complete)."""
    read: list[list[_Piece] | None] = []  # each paragraph's pieces; None: it holds rows
    before: _Piece | None = None  # the last piece of the paragraphs before
    if tail := _named_tail(closing):
        read.append(tail)
        before = tail[-1]
    for para in paras:
        flat = " ".join(para.split())
        if looks_like_identity(flat):  # neither a known error nor a table: no more to try
            read.append(pieces := [_identity(flat)])
            before = pieces[-1]
        elif holds_rows(para, flat):
            read.append(None)
            before = None
        elif closes(para, flat, holds_rows):
            # Another closing ("Thank you," after a forwarder's note): only an identity
            # glued under it may be a row's (rev55 D1).
            read.append(tail := _named_tail(para))
            before = tail[-1] if tail else None
        else:
            read.append(pieces := _pieces(para, before))
            before = pieces[-1] if pieces else before
    count = 0
    error_after = False  # what may be an error's text comes after this paragraph
    for held in reversed(read):
        if held is None:
            count += 1
            error_after = True
        else:
            row, error_after = _scan(held, error_after)
            count += row
    return count


def _named_tail(closing: str) -> list[_Piece]:
    """A closing's pieces from its first identity on (none: no identity in it). ``closes``
    left no text after that identity: what follows the closing may be its error."""
    pieces = _pieces(closing, None) if closing else []
    at = next((i for i, piece in enumerate(pieces) if piece in _NAMED), len(pieces))
    return pieces[at:]


def _scan(pieces: list[_Piece], error_after: bool) -> tuple[bool, bool]:
    """Whether an identity among ``pieces`` has what may be its error after it (with
    ``error_after``, the paragraphs after them hold such text); and whether ``pieces`` or
    those after them hold what may be an error's text."""
    row = False
    for piece in reversed(pieces):
        if piece in _NAMED:
            row = row or error_after
        # Directly after an identity, a name or an identity of no signature's shape may be
        # its error's text, as the reader takes it before a closing (review rev47).
        error_after = error_after or piece in (_Piece.TEXT, _Piece.IDENTITY)
    return row, error_after


_QUOTED = re.compile(r"^[ \t>]*")


def _pieces(para: str, before: _Piece | None) -> list[_Piece]:
    """What each line of ``para`` holds, cell by cell (tabs, " | "), in order: an identity
    (one heading a cell counts, its text after it), a signature's line, or other text.
    A name directly after an identity (``before``: the piece before the paragraph) is
    text. A quote's ">" marks are left out: a report quoted after a closing holds rows.

    An address is always an identity here, even the signer's own under their name or one a
    line of prose runs on into: rules that told those apart (review rev55 D4, D5) dropped
    real rows with the report complete (review rev57 D1-D3); counted, such a signature makes
    the report incomplete (nothing resolves by it), never a row lost."""
    pieces: list[_Piece] = []
    for line in para.splitlines():
        for piece, _text in _line_pieces(_QUOTED.sub("", line)):
            if piece is _Piece.NAME:
                last = pieces[-1] if pieces else before
                piece = _Piece.TEXT if last in _NAMED else _Piece.SIGNATURE
            pieces.append(piece)
    return pieces


def _line_pieces(line: str) -> Iterator[tuple[_Piece, str]]:
    """Each cell's piece, with its text (the identity alone, when it heads the cell)."""
    for cell in split_cells(line.strip()):
        flat = " ".join(cell.split())
        if not flat:
            continue
        if looks_like_identity(flat):
            yield _identity(flat), flat
            continue
        head, _, rest = flat.partition(" ")
        if identity_token(head):  # "bob@contoso.com: <error>", "ann@x.com <mailto:...>"
            token = head.rstrip(",;:.!?")
            yield _identity(token), token
            if not rest:
                continue
            flat = rest
        yield _kind(flat), flat


# An address, perhaps as Outlook writes it: "alex@contoso.com<mailto:alex@contoso.com>".
_ADDRESS = re.compile(r"[^\s@<>=\\]+@[^\s@<>=\\]+\.[A-Za-z]{2,}(?:<mailto:[^\s<>]+>)?")
# An address in "<>", "[]" or "()", or written "mailto:" ("alex@x.com <mailto:alex@...>").
_ADDRESS_MARKS = "<>[]()"
# A phone number, perhaps labelled ("Tel:", "M", "Mobile:") or with an extension.
_PHONE = re.compile(
    r"(?:[A-Za-z]{1,10}\.?:? ?)?\+?\(?\d[\d ().\-/]*\d(?: ?(?:x|ext\.?) ?\d{1,6})?",
    re.IGNORECASE,
)
# A mail client's own line, under the address it signs.
_SENT_FROM = re.compile(r"(?:sent from my|get outlook for) ", re.IGNORECASE)
# A web address, perhaps labelled ("Web: www.contoso.com").
_WEB = re.compile(r"(?:[A-Za-z]{1,10}:? ?)?(?:https?://|www\.)\S+", re.IGNORECASE)
# A name, a title or a company: a few words, each capitalised or in capitals ("Alex Wilber",
# "IT Administrator", "Contoso Ltd.", "Head of IT", "O'Brien-Smith"). Not CamelCase: an
# error's type ("InvalidSoftMatch") is no name.
_WORD = r"(?:[A-Z][a-z]*(?:['\u2019-][A-Z]?[a-z]+)*\.?|[A-Z][A-Z0-9&]*\.?|&|of|and|the|for)"
_NAME = re.compile(rf"{_WORD}(?: {_WORD}){{0,4}}")
_MAX_SIGNATURE_LINE = 60


def _identity(flat: str) -> _Piece:
    return _Piece.ADDRESS if _address(flat) else _Piece.IDENTITY


def _address(token: str) -> bool:
    return len(token) <= MAX_IDENTITY and bool(
        _ADDRESS.fullmatch(token.strip(_ADDRESS_MARKS).removeprefix("mailto:"))
    )


def _kind(flat: str) -> _Piece:
    """What text (a cell of a line, whitespace-collapsed, no identity heading it) is: a
    signature's line (addresses alone, a phone number, a web address, a closing's words,
    "Sent from my iPhone"), a name, or other text."""
    if all(_address(token) for token in flat.split()):
        return _Piece.SIGNATURE
    if len(flat) > _MAX_SIGNATURE_LINE:
        return _Piece.TEXT
    if _PHONE.fullmatch(flat) and 7 <= sum(c.isdigit() for c in flat) <= 20:
        return _Piece.SIGNATURE
    if _WEB.fullmatch(flat) or CLOSING.match(flat) or _SENT_FROM.match(flat):
        return _Piece.SIGNATURE
    return _Piece.NAME if _NAME.fullmatch(flat) else _Piece.TEXT
