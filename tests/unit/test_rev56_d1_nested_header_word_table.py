"""Hostile review rev56 D1: a message cell holding a small table whose one cell is a word that
reads as a header ("Details", "Error", "Message") makes the row layout: dropped, report complete.

``read_table`` skips a row when any table nested in it is an error table of its own, and a
one-row table of ``Details`` is one (a header row, ``column_roles``, and no data rows). The
row's identity and message, both in plain sight, are lost; the report stays complete, so the
object's open ticket resolves as absent.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, DUPLICATE_KIND, errors_of, parse_html, table_report


@pytest.mark.parametrize("word", ["Details", "Error", "Message"])
def test_a_message_cell_with_a_small_header_word_table_keeps_its_row(word: str) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}"
        f"<table><tr><td>{word}</td></tr></table></td></tr>\n"
    )
    html = table_report(rows)
    result = parse_html(html, "rev56-d1@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 840f0e4: [('ann@contoso.com', DUPLICATE)], complete True: ben's row dropped.
    assert ("ben@contoso.com", DUPLICATE_KIND) in errors or result.complete is False, errors
