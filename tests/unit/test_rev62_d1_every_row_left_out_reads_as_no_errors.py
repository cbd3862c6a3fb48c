"""Hostile review rev62 D1 (regression from 8493556, critical): when every data row of an
error table is left out (short of the header's message column, ``html_short_rows``; or a
row spanning the identity and message columns, left out as short), the stream lets the rows
go from the tree as it reads them; ``html_tree.finish`` then counts the header row alone
(``empty_table``), and ``message.read_body``, finding no row, falls back to the text reading,
which drops the HTML reading's ``unsure_rows``. The result: a report of NO errors, COMPLETE,
which resolves every open problem of the tenant (ann's and ben's tickets closed while their
errors are still listed). At 8493556 both rows were read (filed, the tickets kept open).
The whole tree, given the same table (one more row holding an empty table), refuses it:
the stream and the whole tree disagree as well. Without the sentence "The following errors
occurred" the whole tree too reads it as a complete report of no errors: the root is
``read_body`` dropping ``unsure_rows`` along with a reading of no rows.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Rejected, Report

from ..reportgen import ANN_DUP, BEN_DUP, html_report, parse_html

HEADER_3 = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>\n"
HEADER_2 = "<tr><th>Identity</th><th>Error Description</th></tr>\n"
ROWS_2 = (
    f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
)


def _result(table: str) -> Report | Rejected:
    return parse_html(html_report(table), "rev62-d1@x")


def _resolves_absent_errors(result: Report | Rejected) -> bool:
    """A complete report listing neither ann nor ben: their open tickets resolve."""
    if not isinstance(result, Report) or not result.complete:
        return False
    named = {error.identity for error in result.errors}
    return not {"ann@contoso.com", "ben@contoso.com"} <= named


def test_rows_short_of_a_wider_header_never_read_as_a_report_of_no_errors() -> None:
    result = _result(f"<table>{HEADER_3}{ROWS_2}</table>")
    # Seen at f52158a: Report complete=True errors=() (8493556: ann and ben, Unknown).
    assert not _resolves_absent_errors(result), result


def test_a_lone_error_row_spanning_both_columns_never_reads_as_no_errors() -> None:
    result = _result(
        f"<table>{HEADER_2}<tr><td colspan=2>ben@contoso.com {BEN_DUP}</td></tr></table>"
    )
    # Seen at f52158a: Report complete=True errors=() (8493556: the row read, filed).
    assert not (isinstance(result, Report) and result.complete and not result.errors), result


def test_the_stream_and_the_whole_tree_agree_on_a_table_of_short_rows() -> None:
    nested = "<tr><td></td><td><table><tr><td></td></tr></table></td></tr>\n"
    streamed = _result(f"<table>{HEADER_3}{ROWS_2}</table>")
    whole_tree = _result(f"<table>{HEADER_3}{ROWS_2}{nested}</table>")
    # Seen at f52158a: ('Report', True) vs ('Rejected', None).
    assert (type(streamed).__name__, getattr(streamed, "complete", None)) == (
        type(whole_tree).__name__,
        getattr(whole_tree, "complete", None),
    )


def test_messages_spanning_the_object_id_and_message_columns_never_read_as_no_errors() -> None:
    # A browser shows each message under both columns, the rows whole; read as short rows.
    rows = (
        f"<tr><td>ann@contoso.com</td><td colspan=2>{ANN_DUP}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td colspan=2>{BEN_DUP}</td></tr>\n"
    )
    result = _result(f"<table>{HEADER_3}{rows}</table>")
    # Seen at f52158a: Report complete=True errors=() (8493556: ann and ben, Unknown).
    assert not _resolves_absent_errors(result), result


@pytest.mark.parametrize("nested", [False, True], ids=["streamed", "whole-tree"])
def test_rows_left_out_count_without_the_errors_sentence(nested: bool) -> None:
    # Without "The following errors occurred" nothing refuses a body of no row read: the
    # HTML reading's unsure rows are dropped with it (``message.read_body`` falls back to
    # the text), in either reader.
    inner = "<tr><td></td><td><table><tr><td></td></tr></table></td></tr>\n" if nested else ""
    html = html_report(f"<table>{HEADER_3}{ROWS_2}{inner}</table>").replace(
        "<p>The following errors occurred during synchronization:</p>", "<p>Errors:</p>"
    )
    result = parse_html(html, "rev62-d1@x")
    # Seen at f52158a: Report complete=True errors=() both (8493556: ann and ben, Unknown).
    assert not _resolves_absent_errors(result), result
