"""Hostile review rev20, fix 3 (csv_cell): a formula behind leading blanks at the cell start.

csv_cell's own split rule treats ``[ \\t\\r\\n]*=`` after a separator as a formula start
(spreadsheets trim such blanks: LibreOffice's "Trim spaces" import option, Excel's Text Import
"trim"), but at the very start of a cell it only looks at the first character.
"""

from __future__ import annotations

import csv
import io

import pytest

from dirsync_bridge.output import csv_cell

CELLS = [' =HYPERLINK("http://x","y")', "  +cmd|' /C calc'!A0", "\n=1+1", " @SUM(1)"]


@pytest.mark.parametrize("cell", CELLS, ids=["space=", "spaces+", "LF=", "space@"])
def test_a_formula_behind_leading_blanks_at_the_cell_start_is_marked(cell: str) -> None:
    marked = csv_cell(cell)
    # after ';' the same text is marked: 'a; =1' -> "a;' =1"
    assert csv_cell("a;" + cell) != "a;" + cell
    # was: ' =HYPERLINK(...)' unchanged at the start of a cell
    assert marked.lstrip(" \t\r\n").startswith("'"), repr(marked)


def test_csv_cells_read_back_by_python_csv_are_the_marked_values() -> None:
    values = ["=1", "a;=1", "x\r\n=2", '"=3"', "tab\t-4", "\uff1d5"]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([csv_cell(v) for v in values])
    row = next(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert row == [csv_cell(v) for v in values]
