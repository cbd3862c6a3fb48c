"""Rows shorter than their header in an HTML error table (``parse.html_short_rows``).

Under an ``Identity | Error Description`` header, a row with fewer cells than the header (no
span at all) was read with its one cell as the identity and no message: an error text filed
as an Unknown error named by that text, an address as an object with an Unknown error, the
report complete. Complete, every open ticket of the tenant it did not list resolved as
absent: ben's real duplicate resolved while his error was still there, and a junk ticket was
filed. Now such a row is left out (or, an identity alone, listed) and the report incomplete;
the stream and the whole tree read it alike.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.pipeline import run_pass
from dirsync_bridge.ports import RawMessage

from ..fakes import ListSource, MemorySink
from ..reportgen import (
    ANN_DUP,
    AT,
    BEN_DUP,
    DUPLICATE_KIND,
    HEADER_ROW,
    _email,
    errors_of,
    parse_html,
    read_both,
    read_streamed,
    table_report,
)
from .test_core_with_fakes import parts

HEADER = HEADER_ROW + "\n"
TRACKING = "Tracking Id: 466344fe-a7c5-403e-8b0a-8621752ac178"
SIZES = [1, 3, 64, 4096, 1 << 20]  # the property test's (test_tables)

SHORT_ROWS = {
    "an-error-text": f"<tr><td>{BEN_DUP}</td></tr>\n",
    "an-address-and-an-error-text": f"<tr><td>ben@contoso.com {BEN_DUP}</td></tr>\n",
    "an-address-alone": "<tr><td>ben@contoso.com</td></tr>\n",
}


def _row(who: str, message: str) -> str:
    return f"<tr><td>{who}@contoso.com</td><td>{message}</td></tr>\n"


def _report(rows: str, header: str = HEADER) -> Report | Rejected:
    return parse_html(table_report(rows, header), "short@x")


def _errors(result: Report | Rejected) -> list[tuple[str | None, str]]:
    assert isinstance(result, Report), result
    return errors_of(result)


@pytest.mark.parametrize("short", SHORT_ROWS.values(), ids=SHORT_ROWS.keys())
def test_a_row_shorter_than_the_header_never_leaves_the_report_complete(short: str) -> None:
    result = _report(_row("ann", ANN_DUP) + short)
    errors = _errors(result)
    assert ("ann@contoso.com", DUPLICATE_KIND) in errors
    # Seen before html_short_rows: complete True, the row an Unknown error named by its text.
    assert isinstance(result, Report) and result.complete is False, errors


@pytest.mark.parametrize(
    "short", [SHORT_ROWS["an-error-text"], SHORT_ROWS["an-address-and-an-error-text"]]
)
def test_a_short_row_holding_an_error_text_is_never_filed_under_that_text(short: str) -> None:
    errors = _errors(_report(_row("ann", ANN_DUP) + short + _row("cat", ANN_DUP)))
    assert errors == [("ann@contoso.com", DUPLICATE_KIND), ("cat@contoso.com", DUPLICATE_KIND)]


def test_a_short_row_of_an_identity_alone_is_listed_but_the_report_incomplete() -> None:
    result = _report(_row("ann", ANN_DUP) + SHORT_ROWS["an-address-alone"])
    assert _errors(result) == [("ann@contoso.com", DUPLICATE_KIND), ("ben@contoso.com", "Unknown")]
    assert isinstance(result, Report) and result.complete is False


def test_a_row_not_reaching_the_message_of_a_three_column_header_is_left_out() -> None:
    header = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>\n"
    rows = (
        f"<tr><td>ann@contoso.com</td><td>1</td><td>{ANN_DUP}</td></tr>\n"
        f"<tr><td>x</td><td>{BEN_DUP}</td></tr>\n"
    )
    result = _report(rows, header)
    assert _errors(result) == [("ann@contoso.com", DUPLICATE_KIND)]
    assert isinstance(result, Report) and result.complete is False


def _message(day: int, rows: str) -> RawMessage:
    at = AT + timedelta(days=day)
    return RawMessage(f"report-{day}.eml", _email(table_report(rows), at, f"<r{day}@contoso.com>"))


def test_bens_open_ticket_does_not_resolve_while_his_row_is_short_and_no_junk_is_filed(
    tmp_path: Path,
) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    sink = MemorySink()
    first = _message(0, _row("ann", ANN_DUP) + _row("ben", BEN_DUP))
    later = [_message(day, _row("ann", ANN_DUP) + SHORT_ROWS["an-error-text"]) for day in (1, 2, 3)]
    try:
        run_pass(ListSource([first, *later]), parts(tmp_path, ledger, sink))
        summaries = {t.content.summary: t for t in sink.tickets.values()}
        # Seen before html_short_rows: 3 tickets (one named by ben's error text), ben resolved.
        assert len(summaries) == 2, list(summaries)
        ben = next(t for s, t in summaries.items() if s.endswith("ben@contoso.com"))
        assert ben.status == "open"
    finally:
        ledger.close()


# ---------------------------------------------------------------------------------------------
# What stays as it was: a Tracking Id row under its error, spacer rows, rows reaching the
# message column, header-less tables.


def test_a_one_cell_tracking_id_row_under_its_error_is_still_its_id_the_report_complete() -> None:
    rows = _row("ann", ANN_DUP) + f"<tr><td>{TRACKING}</td></tr>\n" + _row("cat", ANN_DUP)
    result = _report(rows)
    assert _errors(result) == [
        ("ann@contoso.com", DUPLICATE_KIND),
        ("cat@contoso.com", DUPLICATE_KIND),
    ]
    assert isinstance(result, Report) and result.complete is True
    assert result.errors[0].tracking_id == "466344fe-a7c5-403e-8b0a-8621752ac178"


@pytest.mark.parametrize("spacer", ["<tr><td></td></tr>\n", "<tr><td> &nbsp; </td></tr>\n"])
def test_an_empty_one_cell_spacer_row_leaves_the_report_complete(spacer: str) -> None:
    result = _report(_row("ann", ANN_DUP) + spacer + _row("cat", ANN_DUP))
    assert _errors(result) == [
        ("ann@contoso.com", DUPLICATE_KIND),
        ("cat@contoso.com", DUPLICATE_KIND),
    ]
    assert isinstance(result, Report) and result.complete is True


def test_a_row_reaching_the_message_column_with_fewer_cells_than_the_header_is_read() -> None:
    header = "<tr><th>Identity</th><th>Error Description</th><th>Object ID</th></tr>\n"
    result = _report(_row("ann", ANN_DUP), header)
    assert _errors(result) == [("ann@contoso.com", DUPLICATE_KIND)]
    assert isinstance(result, Report) and result.complete is True


# ---------------------------------------------------------------------------------------------
# The stream reads them as the whole tree does


STREAMED = {
    "after-many-streamed-rows": _row("ann", ANN_DUP) * 40 + SHORT_ROWS["an-error-text"],
    "identity-after-many": _row("ann", ANN_DUP) * 40 + SHORT_ROWS["an-address-alone"],
    "among-the-first-rows": SHORT_ROWS["an-address-and-an-error-text"] + _row("ann", ANN_DUP) * 40,
    "then-a-tracking-row": _row("ann", ANN_DUP) * 9
    + SHORT_ROWS["an-address-alone"]
    + f"<tr><td>{TRACKING}</td></tr>\n"
    + _row("cat", ANN_DUP),
}


@pytest.mark.parametrize("rows", STREAMED.values(), ids=STREAMED.keys())
@pytest.mark.parametrize("size", SIZES)
def test_short_rows_read_alike_streamed_or_whole(rows: str, size: int) -> None:
    html = f"<html><body><table>{HEADER}{rows}</table><p>Bye</p></body></html>"
    streamed, whole = read_both(html, size)
    assert (streamed.rows, streamed.text, streamed.unsure_rows) == (
        whole.rows,
        whole.text,
        whole.unsure_rows,
    )
    assert streamed.unsure_rows == 1
    assert all(row.identity is None or len(row.identity) < 40 for row in streamed.rows)


def test_a_short_row_after_streamed_rows_is_read_by_the_stream_not_the_whole_tree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    html = (
        f"<html><body><table>{HEADER}{STREAMED['after-many-streamed-rows']}</table></body></html>"
    )
    facts, whole_reads = read_streamed(html, 64, monkeypatch)
    assert whole_reads == 0 and facts.unsure_rows == 1 and len(facts.rows) == 40
