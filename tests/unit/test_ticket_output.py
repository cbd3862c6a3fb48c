"""Ticket lists: CSV cells a spreadsheet never runs, and how wide a table may be."""

from __future__ import annotations

import io

import pytest

from dirsync_bridge.output import csv_cell
from dirsync_bridge.terminal import CLIPPED_WIDTH, width


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1-555@contoso.com", "'+1-555@contoso.com"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        # After the tab or CR, a spreadsheet splitting there would find =1+1: marked too.
        ("\t=1+1", "'\t'=1+1"),
        ("\r=1+1", "'\r'=1+1"),
        # Excel with ';' as list separator (de-DE, fr-FR) starts a cell after each ';'.
        ("tax;=cmd|' /C calc'!A0;x", "tax;'=cmd|' /C calc'!A0;x"),
        ("a; +1;b,@SUM(A1)", "a;' +1;b,'@SUM(A1)"),
        ("a\n-2\r\n=3", "a\n'-2\r'\n'=3"),
        ("a;b, c", "a;b, c"),  # no formula after the separators: unchanged
        ("ann@contoso.com", "ann@contoso.com"),  # an @ inside is an address, not a formula
        ("[dirsync] x = y", "[dirsync] x = y"),
        ("", ""),
        (None, ""),
        (3, "3"),  # counts are numbers, never from a report
    ],
)
def test_csv_cells_that_start_like_formulas_get_a_leading_quote(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_table_off_a_terminal_is_80_columns_whatever_columns_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert width(io.StringIO()) == CLIPPED_WIDTH == 80


def test_a_closed_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    stream.close()
    assert width(stream) == 80


@pytest.mark.parametrize(("columns", "expected"), [("200", 200), ("100", 100), ("20", 40)])
def test_a_table_on_a_terminal_is_as_wide_as_it(
    monkeypatch: pytest.MonkeyPatch, columns: str, expected: int
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert width(_Terminal()) == expected
