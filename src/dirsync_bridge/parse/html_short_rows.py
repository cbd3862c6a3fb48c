"""Rows of an HTML error table that stop short of its header's message column.

A row with fewer cells than its header (no span at all: a browser leaves the columns after it
empty) was read as any row: its one cell the identity, no message. An error's text was filed
as an Unknown error named by that text, ``ben@contoso.com <error>`` likewise, an address alone
as an object with an Unknown error; each with the report complete, so ben's own open ticket
resolved as absent while his error was still there, and a junk ticket was filed. Such a row
is not read with certainty: it is counted unsure (``BodyFacts.unsure_rows``: the report is
incomplete), and left out unless it holds an identity alone (evidence the object is in error:
listed, its message empty). As ``html_spans``' odd rows, a row left out is a view of None.

Two short rows read as before: an empty one (a spacer) and one holding an error's
``Tracking Id:`` alone, which gives the error above its id (``body.add_row``), as genuine
reports put it. Header-less tables are not read here: a row of them not two cells wide is
left out already, unsure when it may hold an error (``body.shaped_reading``).

Both readers come here: the whole tree (``html_nest``) for a table's rows, the stream
(``table_stream``) for its first rows and for each row after them.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from .body import Row, Shape, collapse, shaped_reading, table_shape
from .glued import TRACKING_ONLY
from .identity_shape import looks_like_identity


class Short(Enum):
    """How a data row under a header is read."""

    NO = "read"  # it reaches the message column, or it is a spacer or a Tracking Id row
    LISTED = "listed"  # an identity alone: read, but unsure
    LEFT_OUT = "left out"  # anything else: not read, unsure


def short(cells: Sequence[str], roles: dict[str, int]) -> Short:
    """How a data row of a table whose header has these column roles is read."""
    if len(cells) > roles["message"]:
        return Short.NO
    filled = [at for at, cell in enumerate(cells) if collapse(cell)]
    if not filled:
        return Short.NO  # a spacer: no error, as before
    if len(filled) == 1 and TRACKING_ONLY.match(collapse(cells[filled[0]])):
        return Short.NO  # the error above's id (``body.add_row``), as before
    identity = roles.get("identity", -1)
    if filled == [identity] and looks_like_identity(collapse(cells[identity])):
        return Short.LISTED
    return Short.LEFT_OUT


def short_views(
    table: Sequence[Sequence[str] | None], shape: Shape
) -> tuple[list[Sequence[str] | None], int]:
    """The rows of a table of this shape with its short rows left out (None) unless listed,
    and how many short rows it has that are not read as before (each unsure)."""
    views = list(table)
    roles = shape.roles
    if roles is None:
        return views, 0
    unsure = 0
    for at in range(shape.header + 1, len(views)):
        cells = views[at]
        if cells is None or (found := short(cells, roles)) is Short.NO:
            continue
        unsure += 1
        if found is Short.LEFT_OUT:
            views[at] = None
    return views, unsure


def tracking_only(cells: Sequence[str]) -> bool:
    """A row of an error's ``Tracking Id:`` line alone."""
    filled = [flat for cell in cells if (flat := collapse(cell))]
    return len(filled) == 1 and bool(TRACKING_ONLY.match(filled[0]))


def orphan_ids(views: list[Sequence[str] | None], start: int) -> bool:
    """Leave out (None) a ``Tracking Id:`` row under a row left out (None, spacers between):
    it is that row's id, and read it would give the error above the left-out row that id
    (``body.add_row``; review rev60 D7: ann's ticket carried ben's id). Whether the table
    ends so, a row left out and no row read after it (the stream goes on from there)."""
    gone = False
    for at in range(start, len(views)):
        cells = views[at]
        if cells is None:
            gone = True
        elif gone and tracking_only(cells):
            views[at] = None
        elif gone and any(map(collapse, cells)):
            gone = False
    return gone


def html_shaped_reading(
    table: Sequence[Sequence[str] | None], shape: Shape
) -> tuple[list[Row], int]:
    """``body.shaped_reading`` of an HTML table: its short rows read as above."""
    return _shaped_reading(table, shape)[:2]


def _shaped_reading(
    table: Sequence[Sequence[str] | None], shape: Shape
) -> tuple[list[Row], int, bool]:
    views, unsure = short_views(table, shape)
    gone = orphan_ids(views, shape.header + 1)
    rows, left_out = shaped_reading(views, shape)
    return rows, left_out + unsure, gone


def html_table_reading(table: Sequence[Sequence[str]]) -> tuple[list[Row] | None, int, bool]:
    """``body.table_reading`` of an HTML table: its short rows read as above; and whether it
    ends under a row left out (``orphan_ids``)."""
    shape = table_shape(table)
    return (None, 0, False) if shape is None else _shaped_reading(table, shape)
