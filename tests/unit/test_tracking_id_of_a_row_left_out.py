"""A ``Tracking Id:`` row under a row left out is that row's id: it leaves with it (review
rev60 D7). Read, it gave the error above the left-out row its id (``body.add_row``): ann's
ticket carried ben's. The stream and the whole tree read it alike, wherever the left-out row
falls: among the rows read before the header is known, or streamed after many.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.parse.tables import read_html_pieces

from ..reportgen import ANN_DUP, HEADER_ROW, duplicate, read_both

HEADER = HEADER_ROW + "\n"
BENS_ID = "466344fe-a7c5-403e-8b0a-8621752ac178"
LEFT_OUT = f"<tr><td>ben@contoso.com {duplicate('ProxyAddresses', 'smtp:ben@x.com')}</td></tr>\n"
SIZES = [1, 3, 64, 4096, 1 << 20]  # the property test's (test_tables)


def _row(who: str) -> str:
    return f"<tr><td>{who}@contoso.com</td><td>{ANN_DUP}</td></tr>\n"


def _tracking(cell: str = "td") -> str:
    return f"<tr><{cell}>Tracking Id: {BENS_ID}</{cell}></tr>\n"


CASES = {
    "first-rows": _row("ann") + LEFT_OUT + _tracking() + _row("cat"),
    "streamed": _row("ann") * 30 + LEFT_OUT + _tracking() + _row("cat"),
    "spacer-between": _row("ann") * 30 + LEFT_OUT + "<tr><td></td></tr>\n" + _tracking(),
    "spanning-id-row": _row("ann") * 30 + LEFT_OUT + _tracking("td colspan=2") + _row("cat"),
    "spanning-left-out": _row("ann") * 3
    + f"<tr><td colspan=2>ben@contoso.com {ANN_DUP}</td></tr>\n"
    + _tracking()
    + _row("cat"),
}


@pytest.mark.parametrize("rows", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("size", SIZES)
def test_the_id_of_a_row_left_out_goes_to_no_other_row(rows: str, size: int) -> None:
    html = f"<html><body><table>{HEADER}{rows}</table></body></html>"
    streamed, whole = read_both(html, size)
    assert (streamed.rows, streamed.unsure_rows) == (whole.rows, whole.unsure_rows)
    assert [row.identity for row in streamed.rows if row.tracking_id == BENS_ID] == []
    assert streamed.unsure_rows >= 1


def test_a_tracking_id_row_after_a_row_read_is_still_its_id() -> None:
    html = f"<html><body><table>{HEADER}{LEFT_OUT}{_row('ann')}{_tracking()}</table></body></html>"
    facts = read_html_pieces(lambda: iter([html]))
    assert [(row.identity, row.tracking_id) for row in facts.rows] == [("ann@contoso.com", BENS_ID)]
