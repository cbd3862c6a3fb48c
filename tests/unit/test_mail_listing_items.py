"""A mailbox listing's items as Graph would never send them: each is ``OddItem`` (never a
KeyError, ValueError or AttributeError), and the listing reads on past it while no longer
proving itself complete from where it was met."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dirsync_bridge.graph.paging import Paging
from dirsync_bridge.sources.mail_listing import Listing, MailItem, OddItem

ROOT = "https://graph.example"
GOOD = {
    "id": "AAMk-1",
    "receivedDateTime": "2026-01-05T10:00:00Z",
    "lastModifiedDateTime": "2026-01-05T10:00:00Z",
    "subject": "Directory Synchronization Error Report",
    "from": {"emailAddress": {"address": "msonlineservicesteam@microsoftonline.com"}},
    "categories": ["x"],
}


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "AAMk-1",
        [GOOD],
        {**GOOD, "id": None},
        {**GOOD, "id": ""},
        {**GOOD, "id": 7},
        {k: v for k, v in GOOD.items() if k != "receivedDateTime"},
        {**GOOD, "receivedDateTime": "yesterday"},
        {**GOOD, "receivedDateTime": 1_700_000_000},
        {**GOOD, "lastModifiedDateTime": "soon"},
        {**GOOD, "receivedDateTime": "9999-12-31T23:59:59-01:00"},  # past the end in UTC
        {**GOOD, "lastModifiedDateTime": "0001-01-01T00:00:00+01:00"},
        {**GOOD, "from": "someone"},
        {**GOOD, "from": {"emailAddress": "someone"}},
        {**GOOD, "from": {"emailAddress": {"address": 12}}},
        {**GOOD, "subject": 12},
        {**GOOD, "categories": "x"},
        {**GOOD, "internetMessageId": ["<a@b>"]},
    ],
)
def test_an_item_graph_would_never_send_is_an_odd_item(raw: Any) -> None:
    with pytest.raises(OddItem) as raised:
        MailItem.from_graph(raw)
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 120


def test_a_message_as_graph_sends_it_is_read() -> None:
    item = MailItem.from_graph(GOOD)
    assert (item.id, item.sender, item.categories) == (
        "AAMk-1",
        "msonlineservicesteam@microsoftonline.com",
        ("x",),
    )
    bare = MailItem.from_graph({"id": "AAMk-2", "receivedDateTime": "2026-01-05T10:00:00Z"})
    assert (bare.subject, bare.sender, bare.modified, bare.internet_message_id) == (
        "",
        "",
        None,
        None,
    )
    assert MailItem.from_graph({**GOOD, "from": None}).sender == ""


class OnePage:
    """A Graph client stub: one page, no next link."""

    root = ROOT

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def paging(self, what: str) -> Paging:
        return Paging(self.root, what)

    def get_json(self, path: str, *, what: str, params: Any = None) -> dict[str, Any]:
        return {"value": self.items}


def item(n: int, minute: int) -> dict[str, Any]:
    stamp = f"2026-01-05T10:{minute:02d}:00Z"
    return {"id": f"AAMk-{n}", "receivedDateTime": stamp, "lastModifiedDateTime": stamp}


def test_the_listing_reads_past_an_odd_item_and_is_unproven_from_the_item_before_it() -> None:
    since = datetime(2026, 1, 5, 9, tzinfo=UTC)
    client = OnePage([item(1, 0), item(2, 5), None, item(3, 9)])
    listing = Listing(client, "/users/x/messages", "list the mailbox", since)  # type: ignore[arg-type]
    assert [i.id for i in listing] == ["AAMk-1", "AAMk-2", "AAMk-3"]
    assert listing.unproven_from == datetime(2026, 1, 5, 10, 5, tzinfo=UTC)
    assert listing.odd == ["an item that is not an object (NoneType)"]


def test_an_odd_item_first_on_the_page_leaves_the_listing_unproven_from_its_start() -> None:
    since = datetime(2026, 1, 5, 9, tzinfo=UTC)
    client = OnePage([{"id": "AAMk-9"}, item(1, 0)])
    listing = Listing(client, "/users/x/messages", "list the mailbox", since)  # type: ignore[arg-type]
    assert [i.id for i in listing] == ["AAMk-1"]
    assert listing.unproven_from == since
    assert len(listing.odd) == 1


def test_a_listing_without_odd_items_is_complete() -> None:
    since = datetime(2026, 1, 5, 9, tzinfo=UTC)
    listing = Listing(OnePage([item(1, 0)]), "/m", "list", since)  # type: ignore[arg-type]
    assert [i.id for i in listing] == ["AAMk-1"]
    assert (listing.unproven_from, listing.odd) == (None, [])
