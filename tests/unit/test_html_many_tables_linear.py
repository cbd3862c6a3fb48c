"""An HTML body of many error tables is read in time linear in its length.

Once its rows are read, each error table leaves the tree, its tail text handed to the
element before it. Appended at each removal, the text that a run of tables hands to one
element grew and was copied whole each time: quadratic in the tables (2,500 tables with a
line of text after each, 0.6 MB: 1.2 s; 10,000, 2.5 MB: 16 s; a 25 MB body, hours). No
timing here: the body below would take the old removal hours; the oracle checks the new
removal leaves the very tree the old one left.
"""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.html_tree import _remove_keeping_tails
from dirsync_bridge.parse.message import parse_message

from .test_dn_identity_guess import HEAD, HTML, NOT_FOUND

TENANT = (
    "The Directory Synchronization batch run was completed on Thursday, 26 September 2013 "
    "19:05:31 GMT for tenant Contoso."
)


def _remove_one_by_one(elements: list[etree._Element]) -> None:
    """The removal as it was: the oracle."""
    for element in elements:
        parent = element.getparent()
        if parent is None:
            continue
        tail = element.tail or ""
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
        parent.remove(element)


def _html(children: list[tuple[str, str]]) -> str:
    # (kind, tail): "t" an error table, "n" a table nested in one, "p" a paragraph.
    parts = []
    for i, (kind, tail) in enumerate(children):
        inner = "<table><tr><td>in</td></tr></table>" if kind == "n" else f"c{i}"
        tag = "p" if kind == "p" else "table"
        cell = inner if tag == "p" else f"<tr><td>{inner}</td></tr>"
        parts.append(f"<{tag} id='e{i}'>{cell}</{tag}>{tail}")
    return "<html><body>lead" + "".join(parts) + "</body></html>"


_CHILDREN = st.lists(
    st.tuples(st.sampled_from("tnp"), st.sampled_from(["", " x", "\ny ", "é z"])), max_size=12
)


@given(_CHILDREN, st.randoms(use_true_random=False))
def test_the_tables_leave_the_tree_their_tails_as_before(
    children: list[tuple[str, str]], random: object
) -> None:
    root = etree.fromstring(_html(children), etree.HTMLParser())
    tables = list(root.iter("table"))
    order = tables[:]
    random.shuffle(order)  # type: ignore[attr-defined]
    for chosen in (tables, order, [*tables, *tables]):
        before, after = copy.deepcopy(root), copy.deepcopy(root)
        paths = [root.getroottree().getpath(t) for t in chosen]
        _remove_one_by_one([before.getroottree().xpath(p)[0] for p in paths])
        _remove_keeping_tails([after.getroottree().xpath(p)[0] for p in paths])
        assert etree.tostring(after) == etree.tostring(before)


def test_a_25_mb_body_of_error_tables_each_followed_by_text_is_read_whole() -> None:
    table = (
        "<table><tr><th>Identity</th><th>Error</th></tr>"
        f"<tr><td>{{}}</td><td>{NOT_FOUND}</td></tr></table>" + " filler text" * 85
    )
    count = 25_000_000 // (len(table) + 6)
    body = "".join(table.format(f"u{i}@contoso.com") for i in range(count))
    # The tenant sentence ends the last table's tail: read only if every tail was kept.
    html = f"<html><body>{body}{TENANT}</body></html>"
    result = parse_message(HEAD + HTML + html.encode(), "tables.eml", None)
    assert not isinstance(result, Rejected), result
    assert result.tenant == "Contoso"
    assert len(result.errors) == count
    assert result.errors[-1].identity == f"u{count - 1}@contoso.com"
