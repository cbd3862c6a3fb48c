"""Hostile review rev56 D2: a message cell laid out as a small table ``code | description``
is an error table of its own (a header-less known pair), so the row around it is layout: the
error is ticketed under the error code as its identity, the row's object lost, the report
complete (its open ticket resolves as absent).
"""

from __future__ import annotations

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, BEN_DUP, DUPLICATE_KIND, errors_of, parse_html, table_report


def test_a_message_cell_holding_a_code_and_description_table_keeps_its_identity() -> None:
    inner = f"<table><tr><td>{DUPLICATE_KIND}</td><td>{BEN_DUP}</td></tr></table>"
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
        f"<tr><td>ben@contoso.com</td><td>{inner}</td></tr>\n"
    )
    html = table_report(rows)
    result = parse_html(html, "rev56-d2@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    # Seen at 840f0e4: [(ann, DUPLICATE), ('AttributeValueMustBeUnique', DUPLICATE)], complete.
    assert DUPLICATE_KIND not in [identity for identity, _kind in errors], errors
    assert ("ben@contoso.com", DUPLICATE_KIND) in errors or result.complete is False, errors
