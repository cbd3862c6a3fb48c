"""Tables inside tables: which of them are error tables, and what a row holding one reads as.

An outermost table and every table inside it are read together, once all are in the tree
(both readers of ``tables`` come here: the stream when the outermost table closes, the
whole tree table by table). The rules (hostile review rev56):

- A table is told an error table by its own rows (``body.table_shape``): its plain rows, and
  its rows holding tables none of which holds an error table, read by their own text, the
  tables' text left out (a header cell holding a note table is still the header: D10).
- A table plainly an error table (``Shape.strong``: a header row of two cells or more, or
  rows of known pairs) holds the tables in its cells as those cells' content, never error
  tables or headers of their own (a one-cell ``Details`` table, a ``code | description``
  table in a message cell: D1, D2, D9 took them for error tables, the row dropped or
  filed under the error code, the report complete).
- Any other table (a layout table, or a title row of one cell reading ``Errors``) lets the
  tables in its cells be error tables of their own if they plainly are (Microsoft's
  aadsync layout nests its error table in a layout table); a row around one is layout.
- A row whose cell holds a table is read in place, the cell's whole text its text; a cell
  whose tables hold more than one filled cell may not read as the error meant: the row is
  counted unsure (``BodyFacts.unsure_rows``), the report then incomplete.

Each element is read a bounded number of times whatever the depth: a table's own rows once,
a row's cells' whole text once, by the one error table that reads them (D3: every level
reread every level below it, time in the fourth power of the depth).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree

from .body import Row, Shape, table_shape
from .html_short_rows import html_shaped_reading
from .html_spans import doubtful_row, is_title, spanned_views
from .html_tree import BLOCK_TAGS, CELLS, SECTIONS, marks_undone, own_text, plain_rows

Reading = tuple[list[Row] | None, int]
"""A table's rows if it is an error table (else None), and how many rows were unsure."""


class Irregular(Exception):
    """A table that streaming cannot read as the whole tree would be read."""


class Streamed(NamedTuple):
    """A table the stream read as it went, its rows gone from the tree."""

    rows: list[Row]
    unsure: int
    strong: bool


@dataclass(slots=True)
class _Table:
    """One table of the nest, as its own rows tell."""

    shape: Shape | None = None
    error: bool = False
    holds: bool = False
    """It, or a table inside it, is an error table of its own."""
    plain: list[list[str] | None] | None = None
    """Its rows' texts, when no table is inside it (``html_tree.plain_rows``); a row None
    when a cell spans and it is plainly a title, or not read with confidence (``html_spans``)."""
    spanned: int = 0
    """Its rows left out as ``html_spans`` reads them, though they may hold an error."""
    rows: list[tuple[list[etree._Element], list[str], list[etree._Element]]] = field(
        default_factory=list
    )
    """Else each row's cells, their own texts, and the tables in its cells."""
    in_cells: set[etree._Element] = field(default_factory=set)
    """The tables in its cells (a set: looked up once for each table inside)."""
    streamed: Streamed | None = None


def read_nest(
    top: etree._Element, streamed: Callable[[etree._Element], Streamed | None]
) -> dict[etree._Element, Reading]:
    """The reading of ``top`` (a table inside no table) and of every table inside it.

    ``streamed`` gives what the stream already read of a table (None: nothing). A table read
    so whose rows this reading needs (one claimed as a cell's content) raises ``Irregular``.
    """
    tables = list(top.iter("table"))
    parent: dict[etree._Element, etree._Element] = {}
    children: dict[etree._Element, list[etree._Element]] = {}
    for table in tables[1:]:
        outer = next(table.iterancestors("table"))
        parent[table] = outer
        children.setdefault(outer, []).append(table)
    own: dict[etree._Element, _Table] = {}
    # Inner tables first (the reverse of document order): a row holding a table needs to
    # know whether that table holds an error table.
    for table in reversed(tables):
        own[table] = found = _own(table, streamed(table), own)
        if found.streamed is not None and table is not top and not found.error:
            raise Irregular  # its rows left the tree, yet it is a cell's content
        found.holds = found.error or any(own[inner].holds for inner in children.get(table, ()))
    readings: dict[etree._Element, Reading] = {}
    claimed: set[etree._Element] = set()
    for table in tables:
        found = own[table]
        held_by = parent.get(table)
        if held_by is not None and (held_by in claimed or _claims(own[held_by], table)):
            claimed.add(table)
            if found.streamed is not None:
                raise Irregular  # a cell's content, its rows already gone from the tree
            readings[table] = (None, 0)
        elif not found.error or found.shape is None:
            readings[table] = (None, 0)
        elif found.streamed is not None:
            readings[table] = (found.streamed.rows, found.streamed.unsure)
        elif found.plain is not None:
            read, left_out = html_shaped_reading(found.plain, found.shape)
            readings[table] = (read, left_out + found.spanned)
        else:
            nested_rows, left_out = _rows_read(found, found.shape, own)
            readings[table] = (nested_rows, left_out + found.spanned)
    return readings


def _own(
    table: etree._Element, streamed: Streamed | None, own: dict[etree._Element, _Table]
) -> _Table:
    """What ``table``'s own rows tell of it (every table inside it already told)."""
    nested = next(table.iterancestors("table"), None) is not None
    if streamed is not None:
        # Its rows are gone: nested and no plain error table, ``read_nest`` raises.
        error = streamed.strong or not nested
        return _Table(shape=Shape(None, -1, streamed.strong), error=error, streamed=streamed)
    found = _Table()
    pairs: list[list[str]] = []
    doubts: list[bool] = []  # of each own row, when a table is inside it: a cell spans
    if table.find(".//table") is None:
        spanned = spanned_views(table)
        if spanned is None:
            found.plain = list(plain_rows(table))
        else:
            found.plain, found.spanned = spanned
        views: list[list[str] | None] = list(found.plain)
    else:
        views = []
        for cells in _row_cells(table):
            texts: list[str] = []
            held: list[etree._Element] = []
            for cell in cells:
                text, inside = _own_text_and_tables(cell)
                texts.append(text)
                held.extend(inside)
            found.in_cells.update(held)
            if not held:  # a plain row: read as a table with no table inside reads it
                texts = [own_text(cell) for cell in cells]
            doubts.append(doubtful_row(cells, texts) and not is_title(texts))
            found.rows.append((cells, texts, held))
            # A row around an error table is layout: it tells nothing of this table.
            views.append(None if any(own[inner].holds for inner in held) else texts)
            if len(cells) == 2 and held and all(_one_cell(own[inner]) for inner in held):
                # Its message in a one-cell table is a known pair too (D5: a header-less
                # table of such rows was no error table). Those tables hold no table: each
                # cell's whole text is read once more at most.
                pairs.append(
                    [marks_undone(cell) if len(cell) else cell.text or "" for cell in cells]
                )
    found.shape = shape = table_shape(views, pairs)
    if shape is not None and any(doubts):
        # Counted as in a table with no table inside (``html_spans.spanned_views``): the
        # header and the rows read as data, never a title (review rev62 D2).
        found.spanned = sum(
            doubt
            for at, (doubt, (_, texts, _)) in enumerate(zip(doubts, found.rows, strict=True))
            if (at >= shape.header if shape.roles is not None else len(texts) == 2)
        )
    # Nested, only a plain error table is one of its own: a one-cell "Details" note is not.
    found.error = found.shape is not None and (found.shape.strong or not nested)
    return found


def _one_cell(table: _Table) -> bool:
    """A table of one row of one cell, no table inside it."""
    plain = table.plain
    return plain is not None and len(plain) == 1 and plain[0] is not None and len(plain[0]) == 1


def _claims(outer: _Table, table: etree._Element) -> bool:
    """Whether ``outer`` holds ``table`` in one of its cells as that cell's content."""
    if not outer.error or outer.shape is None or not outer.shape.strong:
        return False
    return table in outer.in_cells


def _rows_read(found: _Table, shape: Shape, own: dict[etree._Element, _Table]) -> Reading:
    """The rows of an error table with tables in its cells."""
    rows: list[list[str] | None] = []
    unsure = 0
    for cells, texts, held in found.rows:
        if not held:
            rows.append(texts)
            continue
        if not shape.strong and any(own[inner].holds for inner in held):
            rows.append(None)  # layout around an error table, read as a table of its own
            continue
        # A cell holding a table: its text is the cell's (review rev54 G6: skipped as
        # layout, the row was lost and the report complete).
        rows.append(
            [
                marks_undone(cell) if len(cell) else text
                for cell, text in zip(cells, texts, strict=True)
            ]
        )
        unsure += any(_filled_over_one(cell) for cell in cells if len(cell))
    read, left_out = html_shaped_reading(rows, shape)
    return read, unsure + left_out


def _row_cells(table: etree._Element) -> Iterator[list[etree._Element]]:
    """The cells of each row directly in ``table`` (or in its sections)."""
    for child in table:
        for row in [child] if child.tag == "tr" else child if child.tag in SECTIONS else ():
            if row.tag == "tr":
                yield list(row.iterchildren("td", "th"))


def _own_text_and_tables(cell: etree._Element) -> tuple[str, list[etree._Element]]:
    """A cell's text with the tables in it left out (each a line break), and those tables.

    The tree is left as it is: the text marks line breaks and blocks as ``cell_text`` does.
    """
    if len(cell) == 0:
        return cell.text or "", []
    pieces: list[str] = []
    tables: list[etree._Element] = []
    walker = etree.iterwalk(cell, events=("start", "end"))
    for event, element in walker:
        if event == "start":
            if element.tag == "table":
                tables.append(element)
                walker.skip_subtree()
            else:
                pieces.append(element.text or "")
        elif element is not cell:
            if element.tag == "br" or element.tag in BLOCK_TAGS:
                pieces.append("\n")
            pieces.append(element.tail or "")
    return "".join(pieces), tables


def _filled_over_one(cell: etree._Element) -> bool:
    """Whether the tables in ``cell`` hold more than one cell with text of its own.

    One walk of the cell: each piece of text goes to the innermost cell around it. Two
    one-cell tables in two cells of a row, or a cell wrapped twice, are one each (D4).
    """
    filled = 0
    open_cells: list[bool] = []  # the nested cells open around the walk: text seen in each
    for event, element in etree.iterwalk(cell, events=("start", "end")):
        if element is cell:
            continue
        if event == "start":
            if element.tag in CELLS:
                open_cells.append(False)
            if open_cells and element.text and not element.text.isspace():
                open_cells[-1] = True
            continue
        if element.tag in CELLS:
            filled += open_cells.pop()
            if filled > 1:
                return True
        if open_cells and element.tail and not element.tail.isspace():
            open_cells[-1] = True
    return False
