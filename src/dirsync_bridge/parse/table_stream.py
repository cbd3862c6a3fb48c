"""Rows read as the parser closes them: an error table's rows leave the tree as they are read.

A table is known to be an error table by a header row among its first rows, or a known
message in a header-less one; until then its rows stay in the tree, and a table never known
is read whole when it closes. A table that breaks the plain shape after its rows left
(``tables``' module docstring) raises ``Irregular``: the body is read again from the whole
tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from lxml import etree

from .body import (
    HEADER_SEARCH_ROWS,
    HEADERLESS,
    BodyFacts,
    Row,
    add_row,
    collapse,
    column_roles,
    is_known_pair,
    may_hold_error,
    row_reader,
)
from .cuts import Document
from .html_nest import Irregular, Streamed, read_nest
from .html_short_rows import Short, html_table_reading, short, tracking_only
from .html_spans import is_title, read_as_before, spans
from .html_tree import CELLS, SECTIONS, cell_text, feed, finish, marks_undone, new_parser

_TABLE_PARTS = ("td", "th", "tr", "table")


class _Table:
    """One table of the stream, kept in the order of its opening tags (the tree's order)."""

    __slots__ = (
        "element",
        "error",
        "headerless",
        "irregular",
        "known_pair",
        "orphan",
        "pending",
        "read",
        "roles",
        "rows",
        "seen",
        "short_of",
        "strong",
        "unsure",
    )

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        self.read: Callable[[Sequence[str]], Row | None] | None = None
        """Set once it is known to be an error table: its rows are read and let go."""
        self.headerless = False
        self.roles: dict[str, int] | None = None
        """Its header's column roles once it is known (None: header-less)."""
        self.short_of = -1
        self.orphan = False
        """A row was left out and no row read since: a Tracking Id row now is its id."""
        """A row of no more cells than this is short of its message column (``short``)."""
        self.pending: list[etree._Element] = []
        """Its rows so far, still in the tree, until it is known to be an error table."""
        self.seen = 0
        """How many of them have cells (the header is looked for in the first few)."""
        self.known_pair = False
        self.irregular = False
        """Read whole when it closes: it has a row streaming does not follow."""
        self.error = False
        self.rows: list[Row] = []
        self.unsure = 0
        """Its rows not read with confidence (``html_nest``, ``body.table_reading``)."""
        self.strong = False
        """Its header row has two cells or more, or it is header-less (``body.Shape``)."""


class Stream:
    """One body: rows read as the parser closes them, tables as it closes them."""

    def __init__(self) -> None:
        self.parser = new_parser(events=True)
        self.document = Document()
        self.tables: dict[etree._Element, _Table] = {}
        # The rows of a table come one after another: the last parent's table, at hand.
        self.last_parent: etree._Element | None = None
        self.last_table: _Table | None = None

    def read(self, pieces: Iterable[str]) -> BodyFacts:
        self.document = Document()
        root, document = feed(self.parser, pieces, self._events, self.document)
        if root is None:
            return BodyFacts()
        # Every table is still in the tree (error tables emptied), in the tree's order.
        found = (self.tables.get(element) for element in root.iter("table"))
        errors = [table for table in found if table is not None and table.error]
        rows = [row for table in errors for row in table.rows]
        unsure = sum(table.unsure for table in errors)
        elements = [table.element for table in errors]
        # The tables held let go before the error tables leave the tree (``tables._read_tree``:
        # freed from a detached tree, each costs the whole of it).
        errors.clear()
        self.tables.clear()
        self.last_parent = self.last_table = None
        return finish(root, rows, elements, document, unsure)

    def _events(self) -> None:
        for _event, element in self.parser.read_events():
            if element.tag == "tr":
                self._row(element)
            else:
                self._table_end(element)

    def _table(self, element: etree._Element) -> _Table:
        table = self.tables.get(element)
        if table is None:
            table = self.tables[element] = _Table(element)
        return table

    def _table_end(self, element: etree._Element) -> None:
        table = self._table(element)
        # A table inside a table: the outer one is read whole (its rows that hold it are
        # read with it, ``html_nest``), unless rows have already left it. Only the nearest:
        # it marks its own outer table when it closes (all of them, each time, took time
        # in the square of the depth).
        outer = next(element.iterancestors("table"), None)
        if outer is not None:
            self._irregular(self._table(outer))
        if table.read is not None:
            if next(element.iterdescendants(*_TABLE_PARTS), None) is not None:
                raise Irregular  # cells outside its rows, or rows it did not take out
            table.error = True
            return
        if outer is not None:
            return  # read with its outermost table, once that one closes
        for held, (found, unsure) in read_nest(element, self._streamed).items():
            record = self._table(held)
            record.pending = []
            record.error = found is not None
            record.rows = found or []
            record.unsure = unsure

    def _streamed(self, element: etree._Element) -> Streamed | None:
        """What the stream read of a table whose rows left the tree as they were read."""
        table = self.tables.get(element)
        if table is None or table.read is None:
            return None
        return Streamed(table.rows, table.unsure, table.strong)

    def _irregular(self, table: _Table) -> None:
        if table.read is not None:
            raise Irregular
        table.irregular = True
        table.pending = []

    def _row(self, tr: etree._Element) -> None:
        parent = tr.getparent()
        if parent is None:
            return  # never: the parser's rows are all inside <html>
        table = self.last_table
        if parent is not self.last_parent or table is None:
            table = self._table_of(tr, parent)
            if table is None:
                return
        if table.irregular:
            return
        leaving = table.read is not None
        texts = []
        spanning = False
        may_span = self.document.spans  # the text up to this row's end names a span
        for cell in tr:
            if cell.tag not in CELLS:
                self._irregular(table)
                return
            if may_span and cell.keys() and spans(cell):
                spanning = True
            if len(cell) == 0:
                # Most cells hold only text: reading it directly is ten times faster than XPath.
                texts.append(cell.text or "")
            elif next(cell.iterdescendants(*_TABLE_PARTS), None) is not None:
                self._irregular(table)
                return
            else:
                texts.append(cell_text(cell) if leaving else marks_undone(cell))
        if spanning and not read_as_before(texts):
            if not leaving:
                # Before its header is known: the table is read whole (``html_spans``).
                self._irregular(table)
                return
            if is_title(texts):
                table.orphan = True  # a None view to the whole tree (``orphan_ids``)
                parent.remove(tr)
                return
            # Read as before, never with confidence (``html_spans``); a header-less table's
            # row not two cells wide is left out and counted below as before.
            table.unsure += not table.headerless or len(texts) == 2
        if table.read is not None:
            if texts and (not table.headerless or len(texts) == 2):
                if len(texts) > table.short_of and not table.orphan:
                    row = table.read(texts)  # a whole row: the common case, kept short
                else:
                    row = _uncommon(table, texts)
                if row is not None:
                    add_row(table.rows, row)
            elif texts and may_hold_error(texts):
                table.unsure += 1  # not two cells in a header-less table, yet an error's
            parent.remove(tr)
            return
        table.pending.append(tr)
        if not texts:
            return
        table.seen += 1
        if table.seen <= HEADER_SEARCH_ROWS and column_roles(texts):
            self._known(table)
            return
        table.known_pair = table.known_pair or is_known_pair(texts)
        if table.known_pair and table.seen >= HEADER_SEARCH_ROWS:
            self._known(table)

    def _table_of(self, tr: etree._Element, parent: etree._Element) -> _Table | None:
        """The table of a row directly in it (or in its sections); None for any other row."""
        if parent.tag == "table":
            element: etree._Element | None = parent
        elif parent.tag in SECTIONS:
            element = parent.getparent()
            if element is not None and element.tag != "table":
                element = None
        else:
            element = None
        if element is not None:
            self.last_parent, self.last_table = parent, self._table(element)
            return self.last_table
        # A row elsewhere in a table makes it one streaming does not follow; a row outside
        # every table is only text.
        outer = next(tr.iterancestors("table"), None)
        if outer is not None:
            self._irregular(self._table(outer))
        return None

    def _known(self, table: _Table) -> None:
        """``table`` is an error table: its rows so far are read, and they leave the tree."""
        so_far = [_texts(tr) for tr in table.pending]
        so_far = [texts for texts in so_far if texts]
        found, table.unsure, table.orphan = html_table_reading(so_far)
        if found is None:
            raise Irregular  # cannot be: the same test found it an error table
        header: list[str] = []
        roles: dict[str, int] | None = None
        for texts in so_far[:HEADER_SEARCH_ROWS]:
            if found_roles := column_roles(texts):
                header, roles = texts, found_roles
                break
        table.headerless = roles is None
        table.roles = roles
        table.short_of = -1 if roles is None else roles["message"]
        table.strong = roles is None or sum(1 for text in header if collapse(text)) > 1
        table.read = row_reader(HEADERLESS if roles is None else roles)
        table.rows = found
        for tr in table.pending:
            parent = tr.getparent()
            if parent is not None:
                parent.remove(tr)
        table.pending = []


def _uncommon(table: _Table, texts: list[str]) -> Row | None:
    """A row short of its table's message column, or one under a row left out, read as the
    whole tree reads it (``html_short_rows``)."""
    found = Short.NO
    if len(texts) <= table.short_of and table.roles:
        found = short(texts, table.roles)
        table.unsure += found is not Short.NO
    if found is Short.LEFT_OUT:
        table.orphan = True
        return None
    if table.orphan and tracking_only(texts):
        return None  # the id of the row left out above (``orphan_ids``)
    table.orphan = table.orphan and not any(map(collapse, texts))
    assert table.read is not None
    return table.read(texts)


def _texts(tr: etree._Element) -> list[str]:
    return [(cell.text or "") if len(cell) == 0 else cell_text(cell) for cell in tr]
