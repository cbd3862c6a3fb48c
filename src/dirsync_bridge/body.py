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

import lxml.html
from lxml import etree

from .catalog import find_tracking_id, is_known_message

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Row:
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
    return _SPACE.sub(" ", text or "").strip()


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


def rows_from_table(table: Sequence[Sequence[str]]) -> list[Row] | None:
    """Read one table (rows of cell texts); None when it is not an error table."""
    for position, cells in enumerate(table):
        roles = column_roles(cells)
        if roles:
            return [row for cells in table[position + 1 :] if (row := _row(cells, roles))]
    pairs = [cells for cells in table if len(cells) == 2]
    if any(is_known_message(collapse(cells[1])) for cells in pairs):
        roles = {"identity": 0, "message": 1}
        return [row for cells in pairs if (row := _row(cells, roles))]
    return None


def _row(cells: Sequence[str], roles: dict[str, int]) -> Row | None:
    def cell(role: str) -> str | None:
        index = roles.get(role)
        if index is None or index >= len(cells):
            return None
        return collapse(cells[index]) or None

    identity, message = cell("identity"), cell("message")
    if identity is None and message is None:
        return None
    if column_roles(cells):  # a repeated header row
        return None
    return Row(
        identity=identity,
        message=cells[roles["message"]] if message is not None else "",
        object_id=cell("object_id"),
        stated=cell("stated"),
        tracking_id=find_tracking_id(" ".join(cells)),
    )


# ---------------------------------------------------------------------------------------------
# HTML

_BLOCK_TAGS = ("p", "div", "table", "tr", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6")


def read_html(html: str) -> BodyFacts:
    """Error rows from every error table, and the block-aware text of everything else."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return BodyFacts()
    # Line breaks and blocks become newlines so that cell text keeps its word breaks and
    # the text outside tables keeps its paragraphs (a blank line ends one, as in plain text).
    for element in root.iter("br"):
        element.tail = "\n" + (element.tail or "")
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n\n" + (element.tail or "")
    for element in root.iter("td", "th"):
        element.tail = " " + (element.tail or "")

    facts = BodyFacts()
    error_tables: list[lxml.html.HtmlElement] = []
    for table in root.iter("table"):
        rows = rows_from_table(list(_own_rows(table)))
        if rows is not None:
            facts.rows.extend(rows)
            error_tables.append(table)
    for table in error_tables:
        if table.getparent() is not None:
            table.drop_tree()
    facts.text = str(root.text_content())  # type: ignore[attr-defined]
    facts.has_error_section = bool(error_tables)
    return facts


def _own_rows(table: lxml.html.HtmlElement) -> Iterable[list[str]]:
    # Rows of this table only, not of tables nested in its cells; a row that holds a nested
    # table is layout, not data.
    for row in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        cells = row.xpath("./td|./th")
        if any(cell.find(".//table") is not None for cell in cells):
            continue
        yield [cell.text_content() for cell in cells]


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
                facts.rows[-1] = Row(
                    last.identity, last.message, last.object_id, last.stated, find_tracking_id(flat)
                )
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


def _looks_like_identity(flat: str) -> bool:
    # Identities in text reports are single tokens: a UPN, an address, a GUID.
    return 0 < len(flat) <= _MAX_IDENTITY and " " not in flat and not flat.endswith(":")
