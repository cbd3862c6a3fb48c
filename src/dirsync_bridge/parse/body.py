"""Report bodies of every era: tables found by header text, plain text (tenant: batch_line).

No raw HTML of a real report survives (reference/format.md 1.8), so nothing here depends on
a fixed layout. Tables are read by their header cells, in any order, ignoring columns we do
not know; a table without headers is read as ``identity | message`` when its second column
holds messages the catalogue knows. HTML tables come here as rows of cell texts (``tables``
reads the HTML); plain text (the DirSync era, and text-only alternatives) is read paragraph
by paragraph. Both end as the same ``Row`` values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .catalog import find_tracking_id, is_known_message
from .closing import closes, rows_unread
from .dn_wrap import dn_unwrapped
from .glued import SEPARATOR as _SEPARATOR
from .glued import TRACKING_ONLY as _TRACKING_ONLY
from .glued import after_sentence, identity_ending, identity_heading, loose_end, tenant_level
from .identity_shape import DN as _DN
from .identity_shape import looks_like_identity as _looks_like_identity
from .scans import split_cells


class Row(NamedTuple):
    """One error as the body shows it, before classification."""

    identity: str | None
    message: str
    object_id: str | None = None
    stated: str | None = None
    tracking_id: str | None = None


@dataclass(slots=True)
class BodyFacts:
    """What a body says: its error rows, and the text outside the tables."""

    rows: list[Row] = field(default_factory=list)
    text: str = ""
    has_error_section: bool = False
    cut: str | None = None
    """Why the body shows it ends before its sender finished it (``cuts``); else None."""
    closed: bool = False
    """An HTML body that reached ``</body>`` or ``</html>``: its sender finished it, so a
    base64 group left incomplete after it (a gateway's footer appended) lost nothing."""
    guessed: set[int] = field(default_factory=set)
    """The rows (their places in ``rows``) read from plain-text paragraphs, each identity
    found (or not) by a guess at the paragraph before: such a row without one may name its
    object in a shape the guess does not know, so it is not left out as naming none, as a
    row read from cells is (``parsed_report.named_rows``)."""
    empty_table: bool = False
    """An HTML body whose error tables hold their header row alone: a report of no errors."""
    errors_sentence: bool = False
    """A plain-text body saying "The following errors occurred": rows must follow it."""
    unplaced: set[int] = field(default_factory=set)
    """Of ``guessed``, the rows read from a paragraph directly after one the reader could not
    place: neither an identity of a shape it knows nor an error it knows (``Ann Akers``,
    ``CONTOSO\\Ann Akers``). That paragraph may be the row's identity: such a row naming no
    object refuses the report (``parsed_report.unplaced_rows``)."""
    unread: int = 0
    """Paragraphs after a plain-text closing that may hold rows (a known error, a table with
    error rows, an identity with what may be its error after it, ``closing.rows_unread``):
    rows not read, so the report is read as incomplete."""
    glued: int = 0
    """Plain-text identities read from a line glued to an error's paragraph, a blank line
    missing (``glued``), and rows naming no object left out after a paragraph that may have
    held their identity in a shape not known: each a guess, the report is read as
    incomplete (review rev48: the row was filed "(tenant-level)" beside the named rows)."""
    unsure_rows: int = 0
    """HTML error-table rows not read with confidence (review rev54): a cell holding a table
    of several cells (read as its text, perhaps not the error meant; one cell reads as its
    message), or a row out of the table's shape that may hold an error (left out). The
    report is then read as incomplete."""
    orphans: int = 0
    """Plain-text identity paragraphs with no error after them (a table, or the end, came
    next): each may be an error's text read as an identity, so the report is read as
    incomplete (review rev47: dropped, the error was lost with no word; rev49: refused,
    a footer's address stopped every daily report)."""


def collapse(text: str | None) -> str:
    """Whitespace runs to one space, trimmed."""
    # split/join is several times faster than a regex here, and this runs once per cell.
    return " ".join(text.split()) if text else ""


# ---------------------------------------------------------------------------------------------
# Columns, recognised by header text (lower-cased, whitespace collapsed, trailing ':' dropped).

_ROLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("stated", re.compile(r"^error\s*(?:type|name)$")),
    ("object_id", re.compile(r"object\s*id|anchor|immutable\s*id|object\s*guid")),
    (
        "identity",
        re.compile(
            r"^(?:object\s+)?identity$|^(?:object|user|upn|user\s*principal\s*name|object\s+name)$"
        ),
    ),
    (
        "message",
        re.compile(r"^(?:error\s+)?(?:description|message|details?)$|^errors?$"),
    ),
)
_MAX_HEADER_LENGTH = 60


def column_roles(cells: Sequence[str]) -> dict[str, int]:
    """Map role -> column index for a header row; empty when the row is not a header."""
    roles: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = collapse(cell).lower().rstrip(":").strip()
        if not name or len(name) > _MAX_HEADER_LENGTH:
            continue
        for role, pattern in _ROLE_PATTERNS:
            if role not in roles and pattern.search(name):
                roles[role] = index
                break
    return roles if "message" in roles else {}


HEADER_SEARCH_ROWS = 5  # a header row comes first, perhaps after a title row or two
HEADERLESS = {"identity": 0, "message": 1}
"""The columns of a table without a header row: who, then what went wrong."""


def rows_from_table(table: Sequence[Sequence[str]]) -> list[Row] | None:
    """Read one table (rows of cell texts); None when it is not an error table."""
    return table_reading(table)[0]


def table_reading(table: Sequence[Sequence[str]]) -> tuple[list[Row] | None, int]:
    """``rows_from_table``, and how many rows its reading leaves out though they may hold an
    error (``may_hold_error``): above its header row, or not two cells in a header-less one."""
    shape = table_shape(table)
    return (None, 0) if shape is None else shaped_reading(table, shape)


class Shape(NamedTuple):
    """How a table is read: its header row and columns (``roles`` None: header-less)."""

    roles: dict[str, int] | None
    header: int
    strong: bool
    """A header row of two cells or more, or rows of known pairs: plainly an error table. A
    header of one cell (``Errors``, ``Details``) may be a title or a note's word."""


def table_shape(
    views: Sequence[Sequence[str] | None], pairs: Iterable[Sequence[str]] = ()
) -> Shape | None:
    """The shape of a table from these views of its rows, None for rows that cannot tell
    (a layout row around an error table), and more rows that may show a known pair; None
    when it is no error table."""
    shown = [(at, cells) for at, cells in enumerate(views) if cells is not None]
    for at, cells in shown[:HEADER_SEARCH_ROWS]:
        if roles := column_roles(cells):
            return Shape(roles, at, sum(1 for cell in cells if collapse(cell)) > 1)
    if any(is_known_pair(cells) for _, cells in shown) or any(map(is_known_pair, pairs)):
        return Shape(None, -1, True)
    return None


def shaped_reading(table: Sequence[Sequence[str] | None], shape: Shape) -> tuple[list[Row], int]:
    """The rows of a table of this shape (rows None are layout: neither read nor counted),
    and how many it leaves out though they may hold an error."""
    if shape.roles is not None:
        below = [cells for cells in table[shape.header + 1 :] if cells is not None]
        above = [cells for cells in table[: shape.header] if cells is not None]
        return _rows(below, shape.roles), _left_out(above)
    pairs = [cells for cells in table if cells is not None and len(cells) == 2]
    return _rows(pairs, HEADERLESS), _left_out(c for c in table if c is not None and len(c) != 2)


def _left_out(rows: Iterable[Sequence[str]]) -> int:
    return sum(1 for cells in rows if may_hold_error(cells))


def may_hold_error(cells: Sequence[str]) -> bool:
    """Whether a table row its reading leaves out may be an error row: a cell holding a
    known error, or a word that is an identity (one cell spanning both: ``ann@... <error>``)
    (review rev54: such rows were dropped, the report complete). A title, a spacer or a
    note is none, nor a row of an error's ``Tracking Id:`` alone (its GUID no identity)."""
    flat = [text for cell in cells if (text := collapse(cell))]
    if len(flat) == 1 and _TRACKING_ONLY.match(flat[0]):
        return False
    return any(
        is_known_message(text) or any(map(_looks_like_identity, text.split())) for text in flat
    )


def is_known_pair(cells: Sequence[str]) -> bool:
    """Two cells, the second a message the catalogue knows: a row of a header-less table."""
    return len(cells) == 2 and is_known_message(collapse(cells[1]))


def _rows(table: Sequence[Sequence[str]], roles: dict[str, int]) -> list[Row]:
    read = row_reader(roles)
    rows: list[Row] = []
    for cells in table:
        if (row := read(cells)) is not None:
            add_row(rows, row)
    return rows


def add_row(rows: list[Row], row: Row) -> None:
    """``row`` after ``rows``; but a row that is only a ``Tracking Id:`` line (a report that
    puts each error's id in a row of its own, under it) gives the error above its id, as a
    plain-text body's line does (``read_text``). An error of its own, it was an unknown
    problem named by a GUID that changes every report: a new ticket each time."""
    if rows and row.tracking_id is not None:
        held = [v for v in (row.identity, collapse(row.message), row.object_id, row.stated) if v]
        if len(held) == 1 and _TRACKING_ONLY.match(held[0]):
            last = rows[-1]
            if last.tracking_id is None:
                rows[-1] = last._replace(tracking_id=row.tracking_id)
            return
    rows.append(row)


def row_reader(roles: dict[str, int]) -> Callable[[Sequence[str]], Row | None]:
    """The reader of one data row of a table whose columns have these roles.

    None for a row that is no error: empty, or the header repeated. Rows are read one at a
    time, so that a streamed table never needs its rows all at once.
    """
    # This runs once per error row of every report: the column indexes are looked up once,
    # and the (long) message cell is left for the catalogue to clean.
    at_message = roles["message"]
    at_identity, at_object, at_stated = (
        roles.get(r, -1) for r in ("identity", "object_id", "stated")
    )
    # Many rows of a large report carry the very same message (an object too large, a user
    # ID not found): each text is kept once, which is a third of the rows' memory there.
    messages: dict[str, str] = {}

    def read(cells: Sequence[str]) -> Row | None:
        width = len(cells)
        identity = collapse(cells[at_identity]) or None if 0 <= at_identity < width else None
        message = cells[at_message] if at_message < width else ""
        if identity is None and (not message or message.isspace()):
            return None
        if max(map(len, cells)) <= _MAX_HEADER_LENGTH and column_roles(cells):
            return None  # a repeated header row
        joined = "\n".join(cells)
        # Positional: a named tuple made with keywords costs a third more, once per row.
        return Row(
            identity,
            messages.setdefault(message, message),
            collapse(cells[at_object]) or None if 0 <= at_object < width else None,
            collapse(cells[at_stated]) or None if 0 <= at_stated < width else None,
            find_tracking_id(joined),
        )

    return read


# ---------------------------------------------------------------------------------------------
# Plain text

_ERRORS_FOLLOW = re.compile(r"following errors occurred", re.IGNORECASE)


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each with its line breaks kept."""
    return [p for p in re.split(r"\n[ \t\r\f\v]*\n", text.replace("\r\n", "\n")) if p.strip()]


def read_text(text: str) -> BodyFacts:
    """Error rows of a plain-text body (DirSync era, or a text-only alternative)."""
    facts = BodyFacts(text=text)
    paras = paragraphs(text)
    found = next(((i, m) for i, p in enumerate(paras) if (m := _ERRORS_FOLLOW.search(p))), None)
    start = found[0] + 1 if found else None
    facts.has_error_section = facts.errors_sentence = start is not None
    body = paras[start:] if start is not None else paras

    pending_identity: str | None = None
    after_unplaced = False  # the paragraph before was one the reader could not place
    after_loose = False  # the paragraph before was read, but may end in an identity
    if found and after_sentence(paras[found[0]], found[1].end()).strip():
        # Lines glued under the errors' sentence: the last may be the first row's identity.
        ending = identity_ending(paras[found[0]])
        if ending and _error_next(body, -1):
            pending_identity = ending[1]
            facts.glued += 1
        else:
            after_loose = loose_end(paras[found[0]])
    for at, para in enumerate(body):
        flat = collapse(para)
        if _SEPARATOR.match(para):
            if start is not None:
                break
            after_unplaced = after_loose = False
            continue
        if (start is not None or facts.rows) and _closes(para, flat):
            # The letter's end, with no rule before it: what follows (a signature, an
            # address, the unmonitored-mailbox notice) is no error (review rev49: each read
            # as an Unknown row, or an identity with no error, every daily report). What may
            # be rows after it (a forwarder's note between pasted rows) are rows unread: the
            # report is then incomplete (reviews rev51, rev52, rev53: they resolved as
            # absent); a signature's address alone is none (rev53: nothing ever resolved).
            facts.unread = rows_unread(body[at + 1 :], _holds_rows, para)
            break
        if _TRACKING_ONLY.match(flat) and facts.rows:
            last = facts.rows[-1]
            if last.tracking_id is None:
                facts.rows[-1] = last._replace(tracking_id=find_tracking_id(flat))
            after_unplaced = after_loose = False  # the paragraph before had an id: no identity
            continue
        table = _plain_table(para)
        if any(len(cells) > 1 for cells in table) and (rows := rows_from_table(table)):
            facts.rows.extend(rows)
            facts.has_error_section = True
            facts.orphans += pending_identity is not None
            pending_identity = None
            after_unplaced = after_loose = False
            continue
        known = is_known_message(flat)
        shaped = _looks_like_identity(flat)
        # An identity paragraph is followed by its error: whatever comes next is that error's
        # text, though it look like an identity (review rev47: "CN=...,DC=com could not be
        # exported, hr=0x80230703" replaced the identity before it, whose error was lost).
        if known or (flat and (pending_identity is not None or (start is not None and not shaped))):
            identity, message, glued_next = pending_identity, para, None
            if identity is None and not known and (heading := identity_heading(para)):
                identity, message = heading  # "ann@contoso.com" glued over its message
                facts.glued += 1
            if (ending := identity_ending(message)) and _error_next(body, at):
                message, glued_next = ending  # the next row's identity glued under it
                facts.glued += 1
            if identity is None and after_unplaced:
                facts.unplaced.add(len(facts.rows))
            if identity is None and after_loose and not after_unplaced:
                # Not guessed: left out naming no object (parsed_report). The tenant's own
                # error names none by nature: kept, nothing is left out (review rev55 D2).
                facts.glued += not tenant_level(message)
            else:
                facts.guessed.add(len(facts.rows))
            facts.rows.append(Row(identity, message, tracking_id=find_tracking_id(flat)))
            known = is_known_message(collapse(message))
            # Identity-shaped, it may have been an identity whose error is missing: an
            # object's error naming none after it refuses the report, as after an unplaced one.
            after_unplaced = not known and (identity is None or shaped)
            # Read as an error's text, not known ("Ann Akers" after an identity), or ending in
            # a line that may be a name: an object's error naming none after it may be its.
            after_loose = not known or loose_end(message)
            pending_identity = glued_next
        elif shaped:
            pending_identity = dn_unwrapped(para) if _DN.match(flat) else flat
            after_unplaced = after_loose = False
        else:  # before the errors' sentence (or with none), not read as an error of its own
            after_unplaced = True
    facts.orphans += pending_identity is not None
    return facts


def _error_next(body: list[str], at: int) -> bool:
    """Whether the paragraph after ``body[at]`` may be an object's error (no identity, no
    rule, no closing, no ``Tracking ID:`` line, not the tenant's own error): an identity
    glued before it is then its identity, not an error's last words (review rev55 D3)."""
    if at + 1 >= len(body):
        return False
    para = body[at + 1]
    flat = collapse(para)
    if _looks_like_identity(flat) or _SEPARATOR.match(para) or _TRACKING_ONLY.match(flat):
        return False
    return not _closes(para, flat) and not tenant_level(para)


def _holds_rows(para: str, flat: str) -> bool:
    """A known error, or a table with error rows: rows read wherever they stand."""
    return is_known_message(flat) or bool(rows_from_table(_plain_table(para)))


def _closes(para: str, flat: str) -> bool:
    """Whether ``para`` is a letter's closing (``closing.closes``)."""
    return closes(para, flat, _holds_rows)


def _plain_table(para: str) -> list[list[str]]:
    """The cells of a paragraph's lines, read as a plain-text table's rows.

    Each line is trimmed; but under a header row that is not itself indented, a line that
    starts with a tab has an empty first cell: its identity left empty. Trimmed, its error
    text was read as its identity, a ticket named by Microsoft's message (review rev45).
    Only under a header: a tab-indented message (a paragraph, or a line under its identity)
    is no table's row, and read as a header-less table's nameless row it would lose the
    identity before it.
    """
    lines = [line for line in para.splitlines() if line.strip()]
    table = [split_cells(line.strip()) for line in lines]
    if len(table) < 2 or all(len(cells) < 2 for cells in table):
        return table  # no table (the common paragraph): no header to look for
    header = next(
        (at for at, cells in enumerate(table[:HEADER_SEARCH_ROWS]) if column_roles(cells)), None
    )
    if header is None or _tab_indented(lines[header]):
        return table  # header-less, or indented as a whole (each line trimmed alike)
    for at in range(header + 1, len(table)):
        # "\t| message" already reads an empty first cell from its "|"; a row with as many
        # cells as the header has its identity: "\tann@contoso.com\t<message>" is ann's
        # (review rev48: every such row was read as nameless, ann's ticket resolved).
        if _tab_indented(lines[at]) and table[at][0] and len(table[at]) < len(table[header]):
            table[at] = ["", *table[at]]
    return table


def _tab_indented(line: str) -> bool:
    return "\t" in line[: len(line) - len(line.lstrip())]
