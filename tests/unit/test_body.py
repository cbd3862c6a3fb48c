"""Bodies: tables found by header text, header-less tables, plain text paragraphs."""

from __future__ import annotations

from dirsync_bridge.parse.body import column_roles, read_text
from dirsync_bridge.parse.tables import read_html

MSG = (
    "Unable to update this object because the following attributes associated with this object "
    "have values that may already be associated with another object in your local directory "
    "services: [UserPrincipalName {0};]. Correct or remove the duplicate values in your local "
    "directory."
)


def _html(table: str) -> str:
    return f"<html><body><p>Hello,</p>{table}</body></html>"


def test_headers_are_found_in_any_order_and_unknown_columns_ignored() -> None:
    facts = read_html(
        _html(
            "<table><tr><th>Occurred</th><th>Error Description</th><th>On-premises object ID</th>"
            "<th>Identity</th></tr>"
            f"<tr><td>today</td><td>{MSG.format('a@x.com')}</td><td>x4V0iaeB60KXxjftcwd7Hw==</td>"
            "<td>a@x.com</td></tr></table>"
        )
    )
    [row] = facts.rows
    assert (row.identity, row.object_id) == ("a@x.com", "x4V0iaeB60KXxjftcwd7Hw==")
    assert row.message.startswith("Unable to update")


def test_bold_td_headers_in_thead_or_not_are_headers() -> None:
    for wrap in ("<thead>{}</thead>", "{}"):
        header = wrap.format("<tr><td><b>Identity</b></td><td><b>Error  Description</b></td></tr>")
        facts = read_html(
            _html(
                f"<table>{header}<tr><td>b@x.com</td><td>{MSG.format('b@x.com')}</td></tr></table>"
            )
        )
        assert [r.identity for r in facts.rows] == ["b@x.com"]


def test_headerless_two_column_table_is_read_when_it_holds_known_messages() -> None:
    facts = read_html(
        _html(
            f"<table><tr><td>c@x.com</td><td>{MSG.format('c@x.com')}</td></tr>"
            "<tr><td>d@x.com</td><td>Something nobody has seen.</td></tr></table>"
        )
    )
    assert [(r.identity, r.message) for r in facts.rows][1] == (
        "d@x.com",
        "Something nobody has seen.",
    )


def test_layout_tables_are_not_error_tables() -> None:
    facts = read_html(
        _html(
            "<table><tr><td>logo</td><td><table>"
            "<tr><th>Identity</th><th>Error Description</th></tr>"
            f"<tr><td>e@x.com</td><td>{MSG.format('e@x.com')}</td></tr></table></td></tr></table>"
            "<table><tr><td>Contact</td><td>Privacy statement</td></tr></table>"
        )
    )
    assert [r.identity for r in facts.rows] == ["e@x.com"]


def test_empty_identity_cell_is_none_and_br_keeps_words_apart() -> None:
    facts = read_html(
        _html(
            "<table><tr><th>Identity</th><th>Error Description</th></tr>"
            "<tr><td> </td><td>Unable to update this object<br>because the user ID is not found."
            "<br>Tracking Id: 466344fe-a7c5-403e-8b0a-8621752ac178</td></tr></table>"
        )
    )
    [row] = facts.rows
    assert row.identity is None
    assert row.tracking_id == "466344fe-a7c5-403e-8b0a-8621752ac178"
    assert "object because" in " ".join(row.message.split())


def test_text_outside_tables_keeps_paragraphs() -> None:
    facts = read_html(
        "<p>The Directory Synchronization batch run was completed on Tuesday, 03 January 2012 "
        "23:54:02 GMT for tenant Contoso.</p><p>The following errors occurred during "
        "synchronization:</p>"
    )
    assert "for tenant Contoso.\n" in facts.text


def test_header_roles() -> None:
    assert column_roles(["Identity", "Error Description", "On-Premises Object Id"]) == {
        "identity": 0,
        "message": 1,
        "object_id": 2,
    }
    assert column_roles(["Error Type", "Object", "Error"]) == {
        "stated": 0,
        "identity": 1,
        "message": 2,
    }
    assert column_roles(["Identity", "Value"]) == {}


def test_plain_text_identity_then_message_paragraphs() -> None:
    text = (
        "Hello Admin,\n\nThe following errors occurred during synchronization:\n\n"
        f"a@x.com\n\n{MSG.format('a@x.com')}\n\nb@x.com\n\nNew kind of\nerror text.\n\n"
        "Tracking ID: cb441337-5739-4d70-9b2e-4f10d87598a0\n\n_______________\n\nFooter text."
    )
    facts = read_text(text)
    assert [(r.identity, " ".join(r.message.split())) for r in facts.rows] == [
        ("a@x.com", " ".join(MSG.format("a@x.com").split())),
        ("b@x.com", "New kind of error text."),
    ]
    assert facts.rows[1].tracking_id == "cb441337-5739-4d70-9b2e-4f10d87598a0"


def test_plain_text_without_error_section_takes_only_known_messages() -> None:
    facts = read_text(f"Hi there,\n\nSome chatter.\n\n{MSG.format('z@x.com')}\n")
    assert [r.identity for r in facts.rows] == [None]


def test_plain_text_tab_separated_table_with_headers() -> None:
    facts = read_text(f"Identity\tError Description\nq@x.com\t{MSG.format('q@x.com')}\n")
    assert [r.identity for r in facts.rows] == ["q@x.com"]
