"""Hostile review rev56 D3: rows holding a chain of one-cell tables nested ~80 deep (as deep as
libxml2 builds) take some 130-160 s a MiB to read (1 s a MiB at 252afde, which skipped such
rows): ``read_table`` counts the filled cells of every table under a row, each by the text of
its whole subtree, for every table of the chain (O(depth^4) a row). A 25 MiB body: about an
hour of one pass.
"""

from __future__ import annotations

import time

from dirsync_bridge.parse.tables import read_html

HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>"


def test_rows_of_deeply_nested_one_cell_tables_read_in_linear_time() -> None:
    chain = "x"
    for _ in range(80):
        chain = f"<table><tr><td>{chain}</td></tr></table>"
    row = f"<tr><td>ben@contoso.com</td><td>{chain}</td></tr>"
    html = f"<table>{HEADER}{row * 24}</table>"  # 64 KiB
    started = time.perf_counter()
    read_html(html)
    elapsed = time.perf_counter() - started
    # Seen at 840f0e4: ~5 s (0.02 s at 252afde); 64 KiB of plain rows read in ~2 ms.
    assert elapsed < 1.0, f"{elapsed:.1f} s for 64 KiB"
