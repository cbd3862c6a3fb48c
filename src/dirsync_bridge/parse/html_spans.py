"""Cells that span (``colspan``, ``rowspan``) in an HTML table with no table inside it.

A table's rows reach ``body`` as lists of cell texts, which say nothing of how wide a cell
is: a one-cell ``<th colspan=2>Errors</th>`` title above the real header was taken as the
header, a ``Users`` section title under it was filed as an error of an object named so, a
cell spanning the identity and message columns was read as an identity, and a rowspan's
continuation row (its identity cell missing) as an identity named by the error's text; each
with the report complete (reviews rev56 D6-D8, rev58 D3). The rule here: when unsure,
incomplete. A row is skipped as layout only when it is plainly a title: one cell as wide as
the table's header (or as a header-less table's two columns), holding short text that is no
identity and no known error. Any other row with a spanning cell, and a rowspan's continuation
rows, are left out and counted unsure (``BodyFacts.unsure_rows``): the report is incomplete.

The stream (``table_stream``) reads a row with a spanning cell only under a header it knows
and only when the row is read as before (``read_as_before``: empty, or a Tracking Id line;
no ``rowspan``). Any other such table is read whole by ``html_nest``, which comes here: both
readers read it alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from lxml import etree

from .body import collapse, column_roles, may_hold_error, table_shape
from .catalog import find_tracking_id
from .glued import TRACKING_ONLY
from .html_tree import own_text
from .identity_shape import looks_like_identity

# ASCII white space and digits, as a browser reads a non-negative integer (review rev60 D6)
_DIGITS = re.compile(r"[\t\n\f\r ]*\+?0*([0-9]{1,7})")
_MAX_COLSPAN = 1000  # the HTML standard's limits
_MAX_ROWSPAN = 65534
_MAX_TITLE = 60  # a title is short: as long as a header cell may be (``body``)
_WORDS = re.compile(r"[^\W\d_]+")
# fmt: off
_TITLE_WORDS = frozenset((
    "active", "and", "attribute", "attributes", "azure", "by", "computer", "computers",
    "conflict", "conflicts", "contact", "contacts", "data", "deleted", "deletion", "deletions",
    "detail", "details", "device", "devices", "directory", "duplicate", "duplicates", "entra",
    "error", "errors", "export", "failed", "failures", "for", "group", "groups", "id", "import",
    "in", "large", "list", "object", "objects", "of", "on", "other", "others", "premises",
    "problem", "problems", "provisioning", "quota", "report", "sync", "synchronization", "the",
    "type", "user", "users", "validation", "value", "values",
))
# fmt: on


def span(cell: etree._Element, name: str) -> int:
    """A cell's ``colspan`` or ``rowspan`` as a browser reads it: 1 when absent or not a
    number; a ``rowspan`` of 0 runs to the table's end."""
    value = cell.get(name)
    found = _DIGITS.match(value) if value is not None else None
    if found is None:
        return 1
    number = int(found[1])
    if name == "rowspan":
        return _MAX_ROWSPAN if number == 0 else min(number, _MAX_ROWSPAN)
    return max(1, min(number, _MAX_COLSPAN))


def spans(cell: etree._Element) -> bool:
    """Whether a cell spans more than one column or row."""
    return span(cell, "colspan") > 1 or span(cell, "rowspan") > 1


def spanned_views(table: etree._Element) -> tuple[list[list[str] | None], int] | None:
    """The rows of ``table`` (no table inside it) as ``body.table_shape`` reads them, plainly
    a title or a row out of shape None, and how many rows were left out though they may hold
    an error. None when no cell of it spans: its rows are ``html_tree.plain_rows``."""
    if not any(spans(cell) for cell in table.iter("td", "th")):
        return None
    rows = list(_cell_rows(table))
    texts = [[own_text(cell) for cell in cells] for cells in rows]
    laid = [_laid_out(cells, row) for cells, row in zip(rows, texts, strict=True)]
    # "read", "header" (laid out), "title" (plainly one), "caption" (a title of other words)
    # or "odd" (not read with confidence)
    kinds: list[str] = []
    down = 0  # rows still under a rowspan from a row above
    plain: list[bool] = []  # under no rowspan, and starting none
    for cells, row, (columns, _) in zip(rows, texts, laid, strict=True):
        plain.append(down == 0 and all(span(cell, "rowspan") == 1 for cell in cells))
        spanning = down > 0 or any(span(cell, "colspan") > 1 for cell in cells)
        if not spanning or read_as_before(row):
            kinds.append("read")
        elif down == 0 and sum(map(bool, map(collapse, row))) > 1 and column_roles(columns):
            kinds.append("header")  # read laid out as a browser shows it (rev60 D8)
        elif down == 0 and len(cells) == 1 and _short_text(collapse(row[0])):
            # Plainly a title only of a section's words; else one in a header-less table,
            # whose rows not two cells wide are left out as before (``body.shaped_reading``).
            kinds.append("title" if _title(collapse(row[0])) else "caption")
        else:
            kinds.append("odd")
        down = max(down - 1, max(span(cell, "rowspan") for cell in cells) - 1 if cells else 0)
    views: list[list[str] | None] = [
        row if kind == "read" else columns if kind == "header" else None
        for row, (columns, _), kind in zip(texts, laid, kinds, strict=True)
    ]
    shape = table_shape(views)
    if shape is not None and shape.roles is not None:
        # A row whose identity and message each start a cell of their own is read laid out
        # (``ann | <td colspan=2>error</td>`` under three columns); any other stays odd.
        wanted = {shape.roles["message"], shape.roles.get("identity", -1)} - {-1}
        for at in range(shape.header + 1, len(kinds)):
            columns, starts = laid[at]
            if kinds[at] == "header":
                kinds[at], views[at] = "odd", None  # a header again, mid-table: not read
            elif kinds[at] == "odd" and plain[at] and wanted <= starts:
                kinds[at], views[at] = "read", columns
    if shape is None:
        # An error table only by a row that spans (a one-cell ``Errors`` title its only
        # header): read as before, never with confidence.
        if table_shape(texts) is None:
            return list(texts), 0
        return list(texts), sum(kind != "read" for kind in kinds)
    # ``shape.header`` is a row's place: a header's cells span nothing (else it is odd).
    header = views[shape.header] if shape.roles is not None else None
    width = 2 if header is None else len(header)
    unsure = 0
    for at, kind in enumerate(kinds):
        below = shape.roles is None or at > shape.header
        if kind == "odd":
            unsure += below or may_hold_error(texts[at])
        elif kind == "caption" and below and shape.roles is not None:
            unsure += 1  # a name or an error the catalogue does not know, maybe
        elif kind in ("title", "caption") and below:
            unsure += span(rows[at][0], "colspan") < width  # not the table's whole width
    return views, unsure


def _laid_out(cells: Sequence[etree._Element], texts: Sequence[str]) -> tuple[list[str], set[int]]:
    """A row's cell texts laid out by ``colspan`` as a browser lays them (a spanned column
    empty), and the columns a cell starts at."""
    columns: list[str] = []
    starts: set[int] = set()
    for cell, text in zip(cells, texts, strict=True):
        starts.add(len(columns))
        columns.append(text)
        columns.extend([""] * (span(cell, "colspan") - 1))
    return columns, starts


def read_as_before(texts: Sequence[str]) -> bool:
    """Whether a row with a spanning cell reads as it did before spans were looked at: an
    empty row is no error, a row of an error's ``Tracking Id:`` alone gives the error above
    its id (``body.add_row``). The stream reads these rows under a header it knows."""
    filled = [flat for text in texts if (flat := collapse(text))]
    return not filled or (len(filled) == 1 and bool(TRACKING_ONLY.match(filled[0])))


def _title(flat: str) -> bool:
    """Short text of a section's or a report's words alone (``Users``, ``Groups (3)``,
    ``Directory synchronization errors``). Any other word may be an object's name (``Ben
    Bell``, ``jdoe``) or an error the catalogue does not know (``Unable to sync this
    object``): under a header such a row is not skipped (review rev60 D1, D2)."""
    words = _WORDS.findall(flat.lower())
    return bool(words) and all(word in _TITLE_WORDS for word in words) and _short_text(flat)


def _short_text(flat: str) -> bool:
    """Short text that is no identity, holds none, and is no known error or Tracking Id."""
    return (
        len(flat) <= _MAX_TITLE
        and not looks_like_identity(flat)
        and not may_hold_error([flat])
        and find_tracking_id(flat) is None
    )


def _cell_rows(table: etree._Element) -> Iterator[list[etree._Element]]:
    """The cells of each row, as ``html_tree.plain_rows`` reads their texts."""
    cells: list[etree._Element] = []
    for element in table.iter("tr", "td", "th"):
        if element.tag == "tr":
            if cells:
                yield cells
            cells = []
        else:
            cells.append(element)
    if cells:
        yield cells
