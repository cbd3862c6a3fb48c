"""A body's HTML as lxml builds it: fed a piece at a time, a table's own rows read from the
tree, and the text of what is left once the error tables are out.

Both readers of ``tables`` use these: the stream (``table_stream``), which lets an error
table's rows go as they close, and the whole-tree reader it falls back on. The text comes out
the same whichever read the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from lxml import etree

from .body import BodyFacts, Row
from .cuts import Document

BLOCK_TAGS = frozenset(
    {"p", "div", "table", "tr", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
)
SECTIONS = frozenset({"thead", "tbody", "tfoot"})
CELLS = frozenset({"td", "th"})
_TEXT = etree.XPath("string()")  # an element's text without comments, as lxml.html does it
# The parser is fed this much at a time: the rows it builds before they are read and let go.
_FEED_CHARS = 64 * 1024


def new_parser(*, events: bool) -> etree.HTMLParser:
    """A parser for one body: one that reports each closed table and row, or a plain one."""
    # Plain etree elements, not lxml.html's: its per-element class lookup in Python costs
    # more than the rest of the row extraction.
    if events:
        return etree.HTMLPullParser(
            events=("end",), tag=("table", "tr"), remove_comments=True, remove_pis=True
        )
    return etree.HTMLParser(remove_comments=True, remove_pis=True)


def feed(
    parser: etree.HTMLParser,
    pieces: Iterable[str],
    step: Callable[[], None],
    document: Document | None = None,
) -> tuple[etree._Element | None, Document]:
    """Feed ``pieces`` to ``parser``, calling ``step`` after each feed and after the close;
    each piece is seen by ``document`` (a new one if None) before the parser reads it.

    Returns the root (None when lxml finds no document, as it does in an empty body) and
    what the text opened and closed, read to its end (``cuts``: whether it was cut).
    """
    document = Document() if document is None else document
    stopped = False
    try:
        for piece in pieces:
            for start in range(0, len(piece), _FEED_CHARS):
                part = piece[start : start + _FEED_CHARS]
                document.see(part)
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
        return None, document
    step()
    document.end()
    return root, document


def finish(
    root: etree._Element,
    rows: list[Row],
    error_tables: list[etree._Element],
    document: Document,
    unsure_rows: int = 0,
) -> BodyFacts:
    """The body's facts: these rows, and the text of the tree once the error tables are out.

    A body its ``document`` shows cut keeps every row, the last perhaps cut off mid-message:
    its message is refused until it is whole, unless a closing boundary proves it whole.
    """
    facts = BodyFacts(rows=rows, cut=document.cut(), closed=document.closed)
    facts.unsure_rows = unsure_rows
    # Only a table of its header row alone is empty: one with rows not read (empty cells, a
    # nested table) is rows unread, never a report of no errors (review rev54).
    facts.empty_table = bool(error_tables) and all(
        sum(1 for _ in table.iter("tr")) <= 1 for table in error_tables
    )
    _remove_keeping_tails(error_tables)
    # What is left is small (the error tables are gone): make its line breaks and blocks
    # newlines, so that paragraphs read as in plain text (a blank line ends one).
    for element in root.iter():
        tag = element.tag
        if tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif tag in CELLS:
            element.tail = " " + (element.tail or "")
        elif tag in BLOCK_TAGS:
            element.tail = "\n\n" + (element.tail or "")
    facts.text = str(_TEXT(root))
    facts.has_error_section = bool(error_tables)
    return facts


def plain_rows(table: etree._Element) -> Iterator[list[str]]:
    """The cell texts of each row of a table with no table inside, in document order."""
    cells: list[str] = []
    for element in table.iter("tr", "td", "th"):
        if element.tag == "tr":
            if cells:
                yield cells
            cells = []
        else:
            cells.append(own_text(element))
    if cells:
        yield cells


def own_text(cell: etree._Element) -> str:
    """The text of a cell with no table inside (``cell_text``: its marks stay in the tree)."""
    # Most cells hold only text: reading it directly is ten times faster than XPath.
    return (cell.text or "") if len(cell) == 0 else cell_text(cell)


def cell_text(cell: etree._Element) -> str:
    """The text of a cell with markup inside, its line breaks and blocks made newlines."""
    # A cell with markup inside: <br> and blocks separate words, they must not glue them.
    for element in cell.iter():
        if element.tag == "br" or element.tag in BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return str(_TEXT(cell))


def marks_undone(cell: etree._Element) -> str:
    """``cell_text`` of a cell that stays in the tree: its marks would be made twice."""
    marked = [
        (element, element.tail)
        for element in cell.iter()
        if element.tag == "br" or element.tag in BLOCK_TAGS
    ]
    try:
        return cell_text(cell)
    finally:
        for element, tail in marked:
            element.tail = tail


def _remove_keeping_tails(elements: Iterable[etree._Element]) -> None:
    """Remove each of ``elements`` in turn, its tail text left where it was.

    A tail goes to the element before it (or its parent's text), but only once all are
    removed: appended at each removal, the text that a run of removed tables hands to one
    element grew and was copied whole each time, quadratic in the tables (10,000 error
    tables with a line of text after each, 2.5 MB: 16 s). Each element's gathered pieces are
    kept in order and joined once; what the tree ends with is the same text.
    """
    # (element, "tail" or "text") -> the pieces appended to it, in order.
    appended: dict[tuple[etree._Element, str], list[str]] = {}
    for element in elements:
        parent = element.getparent()
        if parent is None:  # already removed with an enclosing error table
            continue
        pieces = [element.tail or "", *appended.pop((element, "tail"), ())]
        previous = element.getprevious()
        place = (previous, "tail") if previous is not None else (parent, "text")
        appended.setdefault(place, []).extend(pieces)
        parent.remove(element)
    for (target, which), pieces in appended.items():
        if which == "tail":
            target.tail = (target.tail or "") + "".join(pieces)
        else:
            target.text = (target.text or "") + "".join(pieces)
