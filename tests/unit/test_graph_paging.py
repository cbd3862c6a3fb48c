"""graph.paging: which next links get the token, and when a listing is incomplete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dirsync_bridge.errors import Retriable
from dirsync_bridge.graph import paging as paging_module
from dirsync_bridge.graph.paging import Paging
from dirsync_bridge.sources.mail_listing import Listing

ROOT = "https://graph.microsoft.com"


@pytest.mark.parametrize(
    "link",
    [
        f"{ROOT}/v1.0/users?$skiptoken=a",
        "HTTPS://Graph.Microsoft.com:443/v1.0/users?$skiptoken=a",
    ],
)
def test_a_link_on_the_graph_root_is_followed(link: str) -> None:
    assert Paging(ROOT, "list users").next({"@odata.nextLink": link}) == link


@pytest.mark.parametrize(
    "link",
    [
        "http://graph.microsoft.com/v1.0/users?$skiptoken=a",  # plain http
        "https://graph.microsoft.com.evil.example/v1.0/users",
        "https://graph.microsoft.com:8443/v1.0/users",
        "https://evil.example/v1.0/users",
        "//evil.example/v1.0/users",
        "/v1.0/users",  # not a link: sent to the root it would be a guess
        "https://graph.microsoft.com:99999/v1.0/users",
        7,
        ["x"],
    ],
)
def test_a_link_off_the_graph_root_is_not_followed(link: Any) -> None:
    with pytest.raises(Retriable, match="was not followed; the listing is incomplete"):
        Paging(ROOT, "list users").next({"@odata.nextLink": link})


def test_the_simulators_http_root_is_its_own_origin() -> None:
    """A configured graph_url (the simulator's, on 127.0.0.1) is the root links must share."""
    root = "http://127.0.0.1:8123"
    assert Paging(root, "x").next({"@odata.nextLink": f"{root}/v1.0/users?$skip=1"})
    with pytest.raises(Retriable):
        Paging(root, "x").next({"@odata.nextLink": "http://127.0.0.1:8124/v1.0/users"})


@pytest.mark.parametrize("page", [{}, {"@odata.nextLink": None}, {"@odata.nextLink": ""}])
def test_no_link_is_the_last_page(page: dict[str, Any]) -> None:
    assert Paging(ROOT, "x").next(page) is None


def test_a_link_already_followed_ends_the_listing() -> None:
    paging = Paging(ROOT, "list users")
    page = {"@odata.nextLink": f"{ROOT}/v1.0/users?$skiptoken=loop"}
    paging.next(page)
    with pytest.raises(Retriable, match="repeats a page already read"):
        paging.next(page)


def test_a_listing_of_endless_new_links_ends_at_max_pages(monkeypatch: Any) -> None:
    monkeypatch.setattr(paging_module, "MAX_PAGES", 3)
    paging = Paging(ROOT, "list users")
    with pytest.raises(Retriable, match="more than 3 pages"):
        for n in range(5):
            paging.next({"@odata.nextLink": f"{ROOT}/v1.0/users?$skiptoken={n}"})


@pytest.mark.parametrize("page", [{}, {"value": None}, {"value": {}}, {"value": "nope"}])
def test_a_page_without_its_value_list_is_no_page(page: dict[str, Any]) -> None:
    with pytest.raises(Retriable, match="without its value list"):
        Paging(ROOT, "list users").items(page)
    assert Paging(ROOT, "x").items({"value": []}) == []


class Mailbox:
    """A Graph client stub: one page of one message whose next link names another host."""

    root = ROOT

    def __init__(self) -> None:
        self.asked: list[str] = []

    def paging(self, what: str) -> Paging:
        return Paging(self.root, what)

    def get_json(self, path: str, *, what: str, params: Any = None) -> dict[str, Any]:
        self.asked.append(path)
        item = {
            "id": "m1",
            "lastModifiedDateTime": "2026-01-05T10:00:00Z",
            "receivedDateTime": "2026-01-05T10:00:00Z",
        }
        if len(self.asked) > 3:  # without the guard the link would be followed forever
            return {"value": [item]}
        return {"value": [item], "@odata.nextLink": "http://evil.example/v1.0/me/messages"}


def test_the_mailbox_listing_does_not_follow_a_link_off_graph() -> None:
    client = Mailbox()
    since = datetime(2026, 1, 5, 10, tzinfo=UTC)
    listing = Listing(client, "/users/x/messages", "list the mailbox", since)  # type: ignore[arg-type]
    with pytest.raises(Retriable, match="not followed"):
        list(listing)
    assert all("evil" not in path for path in client.asked)
