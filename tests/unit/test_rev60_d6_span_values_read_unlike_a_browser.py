"""Hostile review rev60 D6: ``html_spans.span`` reads a span's value unlike HTML's rules for
non-negative integers (ASCII whitespace, then ASCII digits, any number of them). It reads at
most six digits, so ``colspan="0000002"`` is 1 (a browser: 2) and ``rowspan="0000002"`` runs
to the table's end; and Python's ``\\d``/``\\s`` take any Unicode digit or space, so
``colspan="٢"`` (Arabic-Indic two) is 2 (a browser: 1, not a number).

- A cell ``colspan="0000002"`` spanning the identity and message columns is read as before
  (not as a spanning row): an identity "ben@... Unable to sync this object", the report
  complete: the rev56 D7 defect, back by a leading zero (not a regression: as at 8493556).
- ann's identity cell with ``colspan="٢"`` (one column to a browser) makes ann's whole row
  a spanning row, left out, the report incomplete (regression: read at 8493556).
"""

from __future__ import annotations

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, CAT_DUP, DUPLICATE_KIND, errors_of, parse_html, table_report

CAT_ROW = f"<tr><td>cat@contoso.com</td><td>{CAT_DUP}</td></tr>\n"


def test_a_colspan_with_leading_zeros_spans_as_in_a_browser() -> None:
    row = '<tr><td colspan="0000002">ben@contoso.com Unable to sync this object</td></tr>\n'
    result = parse_html(table_report(row + CAT_ROW), "rev60-d6@x")
    assert isinstance(result, Report), result
    identities = [error.identity or "" for error in result.errors]
    # Seen at 0677149: identity 'ben@contoso.com Unable to sync this object', complete True.
    assert result.complete is False, identities
    assert not any(" " in identity for identity in identities), identities


def test_a_colspan_of_a_unicode_digit_is_no_span_as_in_a_browser() -> None:
    row = f'<tr><td colspan="\u0662">ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n'
    result = parse_html(table_report(row + CAT_ROW), "rev60-d6@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 0677149: [cat] alone, complete False (8493556: ann and cat, complete True).
    assert errors == [("ann@contoso.com", DUPLICATE_KIND), ("cat@contoso.com", DUPLICATE_KIND)]
