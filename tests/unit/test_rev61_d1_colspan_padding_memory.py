"""Hostile review rev61 D1 (regression from 8493556): ``html_spans._laid_out`` lays every
row out as a list with one string per spanned column, and keeps every row's list at once.
A cell of ``colspan=1000`` is 22 bytes of HTML and 1,000 list entries: 1.9 MiB of such cells
took 749 MiB and 14 s to read (8493556: 43 MiB, 0.5 s); a 25 MiB report of them is some
10 GB. Time and memory are linear in the input only with a factor of several hundred.
"""

from __future__ import annotations

import tracemalloc

from dirsync_bridge.parse.tables import read_html_pieces

HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>\n"
MSG = "Unable to update this object because the user ID is not found."
WIDE = "<tr>" + "<td colspan=1000>x</td>" * 10 + "</tr>\n"


def test_cells_spanning_many_columns_cost_memory_in_proportion_to_the_html() -> None:
    html = (
        f"<html><body><table>{HEADER}<tr><td>a@x.com</td><td>{MSG}</td></tr>\n"
        f"{WIDE * 100}</table></body></html>"
    )
    tracemalloc.start()
    try:
        read_html_pieces(lambda: iter([html]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Seen at 8d9cbb0: some 386 bytes traced per byte of HTML (8493556: about 1).
    assert peak < 20 * len(html), (peak, len(html))
