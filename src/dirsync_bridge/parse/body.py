"""Report bodies of every era: HTML tables found by header text, and plain text.

No raw HTML of a real report survives (reference/format.md 1.8), so nothing here depends on
a fixed layout. Tables are read by their header cells, in any order, ignoring columns we do
not know; a table without headers is read as ``identity | message`` when its second column
holds messages the catalogue knows. Plain text (the DirSync era, and text-only alternatives)
is read paragraph by paragraph. Both end as the same ``Row`` values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree

from .catalog import find_tracking_id, is_known_message


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


_HEADER_SEARCH_ROWS = 5  # a header row comes first, perhaps after a title row or two


def rows_from_table(table: Sequence[Sequence[str]]) -> list[Row] | None:
    """Read one table (rows of cell texts); None when it is not an error table."""
    for position, cells in enumerate(table[:_HEADER_SEARCH_ROWS]):
        roles = column_roles(cells)
        if roles:
            return _rows(table[position + 1 :], roles)
    pairs = [cells for cells in table if len(cells) == 2]
    if any(is_known_message(collapse(cells[1])) for cells in pairs):
        return _rows(pairs, {"identity": 0, "message": 1})
    return None


def _rows(table: Sequence[Sequence[str]], roles: dict[str, int]) -> list[Row]:
    # This runs once per error row of every report: the column indexes are looked up once,
    # and the (long) message cell is left for the catalogue to clean.
    at_message = roles["message"]
    at_identity, at_object, at_stated = (
        roles.get(r, -1) for r in ("identity", "object_id", "stated")
    )
    rows = []
    for cells in table:
        width = len(cells)
        identity = collapse(cells[at_identity]) or None if 0 <= at_identity < width else None
        message = cells[at_message] if at_message < width else ""
        if identity is None and (not message or message.isspace()):
            continue
        if max(map(len, cells)) <= _MAX_HEADER_LENGTH and column_roles(cells):
            continue  # a repeated header row
        text = "\n".join(cells)
        rows.append(
            Row(
                identity=identity,
                message=message,
                object_id=collapse(cells[at_object]) or None if 0 <= at_object < width else None,
                stated=collapse(cells[at_stated]) or None if 0 <= at_stated < width else None,
                tracking_id=find_tracking_id(text),
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# HTML

_BLOCK_TAGS = frozenset(
    {"p", "div", "table", "tr", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_SECTIONS = frozenset({"thead", "tbody", "tfoot"})
_CELLS = frozenset({"td", "th"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEXT = etree.XPath("string()")  # an element's text without comments, as lxml.html does it


def read_html(html: str) -> BodyFacts:
    """Error rows from every error table, and the block-aware text of everything else."""
    try:
        return _read_html(html)
    except ValueError:
        # lxml refuses text with control characters once it is in the tree; they are rare
        # enough that looking for them only after a refusal saves a scan of every body.
        return _read_html(_CONTROL.sub("", html))


def _read_html(html: str) -> BodyFacts:
    try:
        # Plain etree elements, not lxml.html's: its per-element class lookup in Python
        # costs more than the rest of the row extraction.
        root = etree.fromstring(html, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return BodyFacts()
    if root is None:
        return BodyFacts()
    facts = BodyFacts()
    error_tables = []
    for table in list(root.iter("table")):
        rows = rows_from_table(list(_own_rows(table)))
        if rows is not None:
            facts.rows.extend(rows)
            error_tables.append(table)
    if facts.rows and _cut_inside_a_row(html):
        # The parser closes what the sender never did: a row cut off mid-message would
        # become a wrong error (and a wrong ticket), so it is left out.
        facts.rows.pop()
    for table in error_tables:
        _remove_keeping_tail(table)
    # What is left is small (the error tables are gone): make its line breaks and blocks
    # newlines, so that paragraphs read as in plain text (a blank line ends one).
    for element in root.iter():
        tag = element.tag
        if tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif tag in _CELLS:
            element.tail = " " + (element.tail or "")
        elif tag in _BLOCK_TAGS:
            element.tail = "\n\n" + (element.tail or "")
    facts.text = str(_TEXT(root))
    facts.has_error_section = bool(error_tables)
    return facts


_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True)
_TAIL_CHARS = 64 * 1024


def _cut_inside_a_row(html: str) -> bool:
    # A truncated message (a cut download, a broken MIME part) ends inside a table row:
    # the last "<tr" has no "</table" after it. Only the end of the document is looked at.
    tail = html[-_TAIL_CHARS:].lower()
    return tail.rfind("<tr") > tail.rfind("</table")


def _own_rows(table: etree._Element) -> Iterable[list[str]]:
    # Rows of this table only, not of tables nested in its cells; a row that holds a nested
    # table is layout, not data.
    if table.find(".//table") is None:
        # Nothing nested: one pass over rows and cells in document order.
        cells: list[str] = []
        for element in table.iter("tr", "td", "th"):
            if element.tag == "tr":
                if cells:
                    yield cells
                cells = []
            else:
                # Most cells hold only text: reading it directly is ten times faster than XPath.
                cells.append((element.text or "") if len(element) == 0 else _cell_text(element))
        if cells:
            yield cells
        return
    for child in table:
        for row in [child] if child.tag == "tr" else child if child.tag in _SECTIONS else ():
            if row.tag != "tr":
                continue
            cell_elements = list(row.iterchildren("td", "th"))
            if any(cell.find(".//table") is not None for cell in cell_elements):
                continue
            yield [
                (cell.text or "") if len(cell) == 0 else _cell_text(cell) for cell in cell_elements
            ]


def _cell_text(cell: etree._Element) -> str:
    # A cell with markup inside: <br> and blocks separate words, they must not glue them.
    for element in cell.iter():
        if element.tag == "br" or element.tag in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return str(_TEXT(cell))


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:  # already removed with an enclosing error table
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


# ---------------------------------------------------------------------------------------------
# Plain text

_ERRORS_FOLLOW = re.compile(r"following errors occurred", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*[_=\-*]{5,}\s*$")
_TRACKING_ONLY = re.compile(r"^Tracking\s+I[Dd]\s*:\s*[0-9A-Fa-f-]{36}\.?$")
_CELL_SPLIT = re.compile(r"\t+|\s+\|\s*|\s*\|\s+")
_MAX_IDENTITY = 320


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each with its line breaks kept."""
    return [p for p in re.split(r"\n[ \t\r\f\v]*\n", text.replace("\r\n", "\n")) if p.strip()]


def read_text(text: str) -> BodyFacts:
    """Error rows of a plain-text body (DirSync era, or a text-only alternative)."""
    facts = BodyFacts(text=text)
    paras = paragraphs(text)
    start = next((i + 1 for i, p in enumerate(paras) if _ERRORS_FOLLOW.search(p)), None)
    facts.has_error_section = start is not None
    body = paras[start:] if start is not None else paras

    pending_identity: str | None = None
    for para in body:
        flat = collapse(para)
        if _SEPARATOR.match(para):
            if start is not None:
                break
            continue
        if _TRACKING_ONLY.match(flat) and facts.rows:
            last = facts.rows[-1]
            if last.tracking_id is None:
                facts.rows[-1] = last._replace(tracking_id=find_tracking_id(flat))
            continue
        table = [_CELL_SPLIT.split(line.strip()) for line in para.splitlines() if line.strip()]
        if any(len(cells) > 1 for cells in table) and (rows := rows_from_table(table)):
            facts.rows.extend(rows)
            facts.has_error_section = True
            pending_identity = None
            continue
        if is_known_message(flat) or (
            flat
            and (start is not None or pending_identity is not None)
            and not _looks_like_identity(flat)
        ):
            facts.rows.append(Row(pending_identity, para, tracking_id=find_tracking_id(flat)))
            pending_identity = None
        elif _looks_like_identity(flat):
            pending_identity = flat
    return facts


_IDENTITY = re.compile(
    r"^[^\s,;:]*[@=\\][^\s]*[^\s,;:.!?]$|^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f-]{27}\}?$"
)


def _looks_like_identity(flat: str) -> bool:
    # Identities in text reports are single tokens: a UPN or address, a DN, DOMAIN\user, a
    # GUID. A greeting ("Hello,") or a one-word line is not one.
    return 0 < len(flat) <= _MAX_IDENTITY and bool(_IDENTITY.match(flat))
