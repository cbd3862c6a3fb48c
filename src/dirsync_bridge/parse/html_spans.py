"""Cells that span (``colspan``, ``rowspan``) in an HTML error table: doubt, never layout.

A table's rows reach ``body`` as lists of cell texts, which say nothing of how wide a cell
is: a one-cell ``<th colspan=2>Errors</th>`` title above the real header was taken as the
header, a ``Users`` section title under it was filed as an error of an object named so, a
cell spanning the identity and message columns was read as an identity, and a rowspan's
continuation row (its identity cell missing) as an identity named by the error's text; each
with the report complete (reviews rev56 D6-D8, rev58 D3). Laying cells out as a browser does
was tried and reviewed (rev60, rev61): each rule for reading a span with confidence misread
another layout, and the grid cost memory with the spans' values. So the rule here is the
house's: when unsure, incomplete. A row with a cell that spans is read as before and counted
unsure (``BodyFacts.unsure_rows``: the report is incomplete, nothing resolves as absent),
unless it reads as before with certainty (empty, or an error's ``Tracking Id:`` alone). One
thing more is done: a one-cell row of a section's or a report's words alone (``Users``,
``Directory synchronization errors``) is plainly a title, never the header nor an error.

The stream (``table_stream``) does the same for a row under a header it knows; a spanning
row before that sends the table to the whole-tree reader (``html_nest``), which comes here:
both readers read it alike. Genuine reports have no span: the stream asks a cell of its spans
only when the body's text so far names one (``cuts.Document.spans``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from lxml import etree

from .body import collapse, may_hold_error, table_shape
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
    "error", "errors", "export", "for", "group", "groups", "id", "import",
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
    """The rows of ``table`` (no table inside it) as ``body.table_shape`` reads them, a row
    plainly a title None, and how many rows have a cell that spans (read, or a title, never
    with confidence). None when no cell of it spans: its rows are ``html_tree.plain_rows``."""
    if not any(spans(cell) for cell in table.iter("td", "th")):
        return None
    rows = list(_cell_rows(table))
    texts = [[own_text(cell) for cell in cells] for cells in rows]
    doubtful = [doubtful_row(cells, row) for cells, row in zip(rows, texts, strict=True)]
    titles = [doubt and is_title(row) for row, doubt in zip(texts, doubtful, strict=True)]
    views: list[list[str] | None] = [
        None if title else row for row, title in zip(texts, titles, strict=True)
    ]
    shape = table_shape(views)
    if shape is None:
        # No error table (its spans are layout), or one only by a title, its only header:
        # read as before, never with confidence.
        return list(texts), 0 if table_shape(texts) is None else sum(doubtful)
    # Only the header (its columns may not be the rows') and the rows read as data count:
    # ``body.shaped_reading`` counts the rows it leaves out (above the header; in a
    # header-less table those not two cells wide) that may hold an error, spans or none.
    return views, sum(
        doubt and not title
        for at, (doubt, title, row) in enumerate(zip(doubtful, titles, texts, strict=True))
        if (at >= shape.header if shape.roles is not None else len(row) == 2)
    )


def doubtful_row(cells: Sequence[etree._Element], texts: Sequence[str]) -> bool:
    """Whether a row has a cell that spans and is not read as before: its cells do not say
    which column each stands in, nor, with a rowspan, what the rows under it lack."""
    return any(spans(cell) for cell in cells) and not read_as_before(texts)


def is_title(texts: Sequence[str]) -> bool:
    """A row of one cell, plainly a title (``_title``): never the header, never an error."""
    return len(texts) == 1 and _title(collapse(texts[0]))


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
