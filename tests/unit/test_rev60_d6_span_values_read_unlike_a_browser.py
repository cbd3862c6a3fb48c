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

from datetime import UTC, datetime

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>\n"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
CAT = duplicate("ProxyAddresses", "smtp:cat@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"
CAT_ROW = f"<tr><td>cat@contoso.com</td><td>{CAT}</td></tr>\n"


def _report(table: str) -> Report | Rejected:
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    return parse_message(_email(html, AT, "rev60-d6@x"), "x.eml", None)


def test_a_colspan_with_leading_zeros_spans_as_in_a_browser() -> None:
    row = '<tr><td colspan="0000002">ben@contoso.com Unable to sync this object</td></tr>\n'
    result = _report(f"<table>{HEADER}{row}{CAT_ROW}</table>")
    assert isinstance(result, Report), result
    identities = [error.identity or "" for error in result.errors]
    # Seen at 0677149: identity 'ben@contoso.com Unable to sync this object', complete True.
    assert result.complete is False, identities
    assert not any(" " in identity for identity in identities), identities


def test_a_colspan_of_a_unicode_digit_is_no_span_as_in_a_browser() -> None:
    row = f'<tr><td colspan="\u0662">ann@contoso.com</td><td>{ANN}</td></tr>\n'
    result = _report(f"<table>{HEADER}{row}{CAT_ROW}</table>")
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 0677149: [cat] alone, complete False (8493556: ann and cat, complete True).
    assert errors == [("ann@contoso.com", DUPLICATE), ("cat@contoso.com", DUPLICATE)]
