"""Hostile review rev45 of 210e853: nameless rows of plain-text report bodies.

210e853 keeps every row of a body that has one plain-text paragraph row (``BodyFacts.guessed``
is one flag for the whole body), where lowsc's rule leaves out a row read from table cells
with an empty identity and no object id. These are the shapes it gets wrong, each marked
fixed by the lead but the last, the tab-separated table's nameless row, fixed by shapes (a
leading tab is an empty identity cell under a header row only).
"""

from __future__ import annotations

from dirsync_bridge.models import Rejected

from ..reportgen import NOT_FOUND, errors_of, parse_plain
from ..reportgen import PLAIN_INTRO as INTRO
from ..reportgen import PROXY_DUP as DUP


def _errors(body: str) -> list[tuple[str | None, str]]:
    result = parse_plain(body, "rev45@x.test")
    assert not isinstance(result, Rejected), result
    return errors_of(result)


def test_a_nameless_table_row_alone_is_left_out() -> None:
    # lowsc's rule, as it holds today (the control for the next test).
    body = INTRO + "Identity | Error\nann@contoso.com | " + DUP + "\n | " + DUP + "\n"
    assert _errors(body) == [("ann@contoso.com", "AttributeValueMustBeUnique")]


def test_a_nameless_table_row_is_left_out_beside_a_paragraph_row() -> None:
    body = (
        INTRO + "Identity | Error\nann@contoso.com | " + DUP + "\n | " + DUP + "\n\n"
        "ben@contoso.com\n\n" + NOT_FOUND + "\n"
    )
    # Today: [ann, (None, AttributeValueMustBeUnique), ben]
    assert (None, "AttributeValueMustBeUnique") not in _errors(body)


def test_a_dn_with_a_space_names_the_error_after_it() -> None:
    body = INTRO + "CN=Ann Akers,OU=Users,DC=contoso,DC=com\n\n" + DUP + "\n"
    # Today: [(None, 'Unknown'), (None, 'AttributeValueMustBeUnique')]
    assert all(identity is not None for identity, _kind in _errors(body))


def test_a_tab_table_row_with_an_empty_identity_is_not_named_by_its_error() -> None:
    body = INTRO + "Identity\tError Description\nann@contoso.com\t" + DUP + "\n\t" + DUP + "\n"
    # Before shapes: [ann, (DUP, 'Unknown')]: a ticket named by the error's own text
    assert [identity for identity, _kind in _errors(body)] == ["ann@contoso.com"]


# Neighbours of the tab-table fix (shapes): a leading tab is an empty first cell only in a
# table with a header row, and only where the header itself is not indented so.


def test_a_report_of_only_a_nameless_tab_table_row_is_rejected_not_named_by_its_error() -> None:
    body = INTRO + "Identity\tError Description\n\t" + DUP + "\n"
    result = parse_plain(body, "rev45@x.test")
    # Before: one Unknown error whose identity was the duplicate's text, a ticket named so.
    assert isinstance(result, Rejected), [(e.identity, e.kind) for e in result.errors]
    assert result.code == "not-a-report"
    assert "\n" not in result.detail


def test_a_nameless_tab_table_row_between_named_rows_is_left_out() -> None:
    body = (
        INTRO + "Identity\tError Description\nann@contoso.com\t" + DUP + "\n\t" + DUP + "\n"
        "ben@contoso.com\t" + NOT_FOUND + "\n"
    )
    assert _errors(body) == [
        ("ann@contoso.com", "AttributeValueMustBeUnique"),
        ("ben@contoso.com", "UserIdNotFound"),
    ]


def test_a_tab_indented_message_paragraph_after_its_identity_is_named_by_it() -> None:
    # Not a header-less table's row naming no object: the identity paragraph names it.
    body = INTRO + "ann@contoso.com\n\n\t" + DUP + "\n\nben@contoso.com\n\n\t" + NOT_FOUND + "\n"
    assert _errors(body) == [
        ("ann@contoso.com", "AttributeValueMustBeUnique"),
        ("ben@contoso.com", "UserIdNotFound"),
    ]


def test_a_tab_table_indented_as_a_whole_reads_its_identities() -> None:
    body = (
        INTRO + "\tIdentity\tError Description\n\tann@contoso.com\t" + DUP + "\n"
        "\tben@contoso.com\t" + NOT_FOUND + "\n"
    )
    assert _errors(body) == [
        ("ann@contoso.com", "AttributeValueMustBeUnique"),
        ("ben@contoso.com", "UserIdNotFound"),
    ]


def test_a_pipe_table_row_indented_by_a_tab_with_an_empty_identity_is_left_out() -> None:
    body = INTRO + "Identity | Error\nann@contoso.com | " + DUP + "\n\t| " + NOT_FOUND + "\n"
    assert _errors(body) == [("ann@contoso.com", "AttributeValueMustBeUnique")]
