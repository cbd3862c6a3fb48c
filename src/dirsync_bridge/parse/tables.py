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

The stream is ``table_stream``; what both readers share (the parser fed in pieces, a table's
own rows, the text left once the error tables are out) is ``html_tree``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lxml import etree

from .body import BodyFacts, Row
from .html_nest import Irregular, Reading, read_nest
from .html_tree import feed, finish, new_parser
from .mime import Parts, TextPart
from .table_stream import Stream

Pieces = Callable[[], Iterable[str]]
"""The body's text in pieces, from its start each time it is called."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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


def html_facts(parts: Parts, html: TextPart) -> BodyFacts:
    """``read_html_pieces`` of one HTML part of ``parts``; not cut when the message's
    closing boundary proves it arrived whole (sloppy HTML that never closes its table).

    Its base64 left in an incomplete group is a cut only while its document is open: a
    document that reached ``</body>`` lost nothing, and the odd group is what a gateway
    appended (a plain-text footer after the base64 block, decoded as junk after it).
    """
    facts = html.read(read_html_pieces)
    if parts.whole:
        facts.cut = None
    elif html.cut and not facts.closed:
        facts.cut = html.cut
    return facts


def _read(pieces: Pieces) -> BodyFacts:
    try:
        return Stream().read(pieces())
    except Irregular:
        return _read_tree(pieces())


def _read_tree(pieces: Iterable[str]) -> BodyFacts:
    """Every table read from the whole tree: for tables streaming cannot follow."""
    parser = new_parser(events=False)
    root, document = feed(parser, pieces, lambda: None)
    if root is None:
        return BodyFacts()
    rows: list[Row] = []
    error_tables = []
    unsure = 0
    # Each outermost table read with every table inside it (``html_nest``), once.
    readings: dict[etree._Element, Reading] = {}
    for table in root.iter("table"):
        if table not in readings:
            readings.update(read_nest(table, lambda _table: None))
        found, doubtful = readings[table]
        if found is not None:
            rows.extend(found)
            error_tables.append(table)
            unsure += doubtful
    # Let go of the tables held before the error tables leave the tree: lxml frees an
    # element of a detached tree by looking through all of that tree, so each one held
    # (every table nested in an error table) cost the whole table: quadratic (rev56 D3).
    readings.clear()
    return finish(root, rows, error_tables, document, unsure)
