"""Hostile review rev60 D7 (regression from 8493556): a spanning row left out as not read
with confidence (ben's identity and error in one ``colspan=2`` cell) followed by its own
``Tracking Id:`` row (read as before: ``read_as_before``) gives that id to the row read
before it: ann's ticket carries ben's tracking id. The report is incomplete, but ann's error
is filed with an id that is not its own (``body.add_row`` gives an id to the row above it).
At 8493556 the id went with ben's (misread) row.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, CAT_DUP, parse_html, table_report

BENS_ID = "466344fe-a7c5-403e-8b0a-8621752ac178"


@pytest.mark.parametrize(
    "left_out",
    [
        f"<tr><td colspan=2>ben@contoso.com {BEN_DUP}</td></tr>\n",
        "<tr><th colspan=2>Users</th></tr>\n",
    ],
    ids=["odd-row", "title-row"],
)
def test_a_tracking_id_row_after_a_row_left_out_is_not_given_to_another_objects_error(
    left_out: str,
) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n{left_out}"
        f"<tr><td colspan=2>Tracking Id: {BENS_ID}</td></tr>\n"
        f"<tr><td>cat@contoso.com</td><td>{CAT_DUP}</td></tr>\n"
    )
    result = parse_html(table_report(rows), "rev60-d7@x")
    assert isinstance(result, Report), result
    ann = [error for error in result.errors if error.identity == "ann@contoso.com"]
    # Seen at 0677149: ann's error with tracking id 466344fe-... (ben's row's id).
    assert ann and ann[0].tracking_id is None, [(e.identity, e.tracking_id) for e in ann]
