"""HTML report bodies, streamed: each error row is read as it closes and leaves the tree.

A report's HTML is nearly all of its message, and nearly all of that is one table of error
rows. Parsed whole, 25 MiB of it became a tree several times that size before a row was
read. Here lxml's push parser is fed the text a piece at a time. Each table row is read when
its ``</tr>`` is reached; once its table is known to be an error table (a header row among
its first rows, or a known message in a header-less one) the row leaves the tree, so the
tree never holds more than a piece of the table. What stays is small: the greeting, the
batch-run sentence, layout and other tables.

The outcome is exactly that of reading the whole tree table by table (``_read_tree``, kept
for what streaming cannot follow): the same rows, the same text outside the error tables.
Streaming follows rows that are plain: a ``<tr>`` directly in its table (or in its
``<thead>``, ``<tbody>``, ``<tfoot>``), cells directly in the row, no cell, row or table in
a cell. A table not yet known to be an error table keeps its rows and is read whole when it
closes, as before; one that breaks the rule after its rows left the tree (cells outside
rows, a nested table) sends the whole body to ``_read_tree``, which holds the tree as every
body used to be held.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence

from lxml import etree

from .body import (
    HEADER_SEARCH_ROWS,
    HEADERLESS,
    BodyFacts,
    Row,
    column_roles,
    is_known_pair,
    row_reader,
    rows_from_table,
)

Pieces = Callable[[], Iterable[str]]
"""The body's text in pieces, from its start each time it is called."""

_BLOCK_TAGS = frozenset(
    {"p", "div", "table", "tr", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_SECTIONS = frozenset({"thead", "tbody", "tfoot"})
_CELLS = frozenset({"td", "th"})
_TABLE_PARTS = ("td", "th", "tr", "table")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEXT = etree.XPath("string()")  # an element's text without comments, as lxml.html does it
# The parser is fed this much at a time: the rows it builds before they are read and let go.
_FEED_CHARS = 64 * 1024
_TAIL_CHARS = 64 * 1024


def read_html(html: str) -> BodyFacts:
    """Error rows from every error table, and the block-aware text of everything else."""
    return read_html_pieces(lambda: (html,))


def read_html_pieces(pieces: Pieces) -> BodyFacts:
    """``read_html`` of the text that ``pieces`` gives, which is never all held at once."""
    try:
        return _read(pieces)
    except ValueError:
        # lxml refuses text with control characters once it is in the tree; they are rare
        # enough that looking for them only after a refusal saves a scan of every body.
        return _read(lambda: (_CONTROL.sub("", piece) for piece in pieces()))


def _read(pieces: Pieces) -> BodyFacts:
    try:
        return _Stream().read(pieces())
    except _Irregular:
        return _read_tree(pieces())


def _read_tree(pieces: Iterable[str]) -> BodyFacts:
    """Every table read from the whole tree: for tables streaming cannot follow."""
    parser = _parser(events=False)
    root, tail = _parse(parser, pieces, lambda: None)
    if root is None:
        return BodyFacts()
    rows: list[Row] = []
    error_tables = []
    for table in list(root.iter("table")):
        found = rows_from_table(list(_own_rows(table)))
        if found is not None:
            rows.extend(found)
            error_tables.append(table)
    return _finish(root, rows, error_tables, tail)


def _parser(*, events: bool) -> etree.HTMLParser:
    # Plain etree elements, not lxml.html's: its per-element class lookup in Python costs
    # more than the rest of the row extraction.
    if events:
        return etree.HTMLPullParser(
            events=("end",), tag=("table", "tr"), remove_comments=True, remove_pis=True
        )
    return etree.HTMLParser(remove_comments=True, remove_pis=True)


def _parse(
    parser: etree.HTMLParser, pieces: Iterable[str], step: Callable[[], None]
) -> tuple[etree._Element | None, str]:
    """Feed ``pieces`` to ``parser``, calling ``step`` after each feed and after the close.

    Returns the root (None when lxml finds no document, as it does in an empty body) and the
    last ``_TAIL_CHARS`` characters of the text.
    """
    recent: deque[str] = deque()  # the last parts fed, enough of them to hold the tail
    held = 0
    stopped = False
    try:
        for piece in pieces:
            for start in range(0, len(piece), _FEED_CHARS):
                part = piece[start : start + _FEED_CHARS]
                recent.append(part)
                held += len(part)
                while held - len(recent[0]) >= _TAIL_CHARS:
                    held -= len(recent.popleft())
                if stopped:
                    continue
                try:
                    parser.feed(part)
                except UnicodeEncodeError as exc:
                    # A lone surrogate (only an odd codec named by the sender makes one):
                    # libxml2, given the whole text, stops reading at it, and so does this.
                    parser.feed(part[: exc.start])
                    stopped = True
                step()
        root = parser.close()
    except (etree.ParserError, etree.XMLSyntaxError):
        return None, ""
    step()
    return root, "".join(recent)[-_TAIL_CHARS:]


def _finish(
    root: etree._Element, rows: list[Row], error_tables: list[etree._Element], tail: str
) -> BodyFacts:
    facts = BodyFacts(rows=rows)
    if facts.rows and _cut_inside_a_row(tail):
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


# ---------------------------------------------------------------------------------------------
# Streaming


class _Irregular(Exception):
    """A table that streaming cannot read as the whole tree would be read."""


class _Table:
    """One table of the stream, kept in the order of its opening tags (the tree's order)."""

    __slots__ = (
        "element",
        "error",
        "headerless",
        "irregular",
        "known_pair",
        "pending",
        "read",
        "rows",
        "seen",
    )

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        self.read: Callable[[Sequence[str]], Row | None] | None = None
        """Set once it is known to be an error table: its rows are read and let go."""
        self.headerless = False
        self.pending: list[etree._Element] = []
        """Its rows so far, still in the tree, until it is known to be an error table."""
        self.seen = 0
        """How many of them have cells (the header is looked for in the first few)."""
        self.known_pair = False
        self.irregular = False
        """Read whole when it closes: it has a row streaming does not follow."""
        self.error = False
        self.rows: list[Row] = []


class _Stream:
    """One body: rows read as the parser closes them, tables as it closes them."""

    def __init__(self) -> None:
        self.parser = _parser(events=True)
        self.tables: dict[etree._Element, _Table] = {}
        # The rows of a table come one after another: the last parent's table, at hand.
        self.last_parent: etree._Element | None = None
        self.last_table: _Table | None = None

    def read(self, pieces: Iterable[str]) -> BodyFacts:
        root, tail = _parse(self.parser, pieces, self._events)
        if root is None:
            return BodyFacts()
        # Every table is still in the tree (error tables emptied), in the tree's order.
        found = (self.tables.get(element) for element in root.iter("table"))
        errors = [table for table in found if table is not None and table.error]
        rows = [row for table in errors for row in table.rows]
        return _finish(root, rows, [table.element for table in errors], tail)

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
        # A table inside a table: the outer ones are read whole (their rows that hold it
        # are layout), unless rows have already left them.
        for outer in element.iterancestors("table"):
            self._irregular(self._table(outer))
        if table.read is not None:
            if next(element.iterdescendants(*_TABLE_PARTS), None) is not None:
                raise _Irregular  # cells outside its rows, or rows it did not take out
            table.error = True
            return
        found = rows_from_table(list(_own_rows(element)))
        table.pending = []
        if found is not None:
            table.rows = found
            table.error = True

    def _irregular(self, table: _Table) -> None:
        if table.read is not None:
            raise _Irregular
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
        for cell in tr:
            if cell.tag not in _CELLS:
                self._irregular(table)
                return
            if len(cell) == 0:
                # Most cells hold only text: reading it directly is ten times faster than XPath.
                texts.append(cell.text or "")
            elif next(cell.iterdescendants(*_TABLE_PARTS), None) is not None:
                self._irregular(table)
                return
            else:
                texts.append(_cell_text(cell) if leaving else _marks_undone(cell))
        if table.read is not None:
            if texts and (not table.headerless or len(texts) == 2):
                row = table.read(texts)
                if row is not None:
                    table.rows.append(row)
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
        elif parent.tag in _SECTIONS:
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
        found = rows_from_table(so_far)
        if found is None:
            raise _Irregular  # cannot be: the same test found it an error table
        roles = next(
            (roles for texts in so_far[:HEADER_SEARCH_ROWS] if (roles := column_roles(texts))),
            None,
        )
        table.headerless = roles is None
        table.read = row_reader(HEADERLESS if roles is None else roles)
        table.rows = found
        for tr in table.pending:
            parent = tr.getparent()
            if parent is not None:
                parent.remove(tr)
        table.pending = []


def _texts(tr: etree._Element) -> list[str]:
    return [(cell.text or "") if len(cell) == 0 else _cell_text(cell) for cell in tr]


# ---------------------------------------------------------------------------------------------
# Reading a table's tree (as every table was read before streaming)


def _cut_inside_a_row(tail: str) -> bool:
    # A truncated message (a cut download, a broken MIME part) ends inside a table row:
    # the last "<tr" has no "</table" after it. Only the end of the document is looked at.
    tail = tail[-_TAIL_CHARS:].lower()
    return tail.rfind("<tr") > tail.rfind("</table")


def _own_rows(table: etree._Element) -> Iterator[list[str]]:
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


def _marks_undone(cell: etree._Element) -> str:
    """``_cell_text`` of a cell that stays in the tree: its marks would be made twice."""
    marked = [
        (element, element.tail)
        for element in cell.iter()
        if element.tag == "br" or element.tag in _BLOCK_TAGS
    ]
    try:
        return _cell_text(cell)
    finally:
        for element, tail in marked:
            element.tail = tail


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
