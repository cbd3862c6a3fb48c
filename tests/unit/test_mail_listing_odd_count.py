"""How many odd items a mailbox listing reports: one that the next (overlapping) page lists
again is one item, not two; two alike on one page are two (``Listing.odd``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dirsync_bridge.graph.paging import Paging
from dirsync_bridge.sources.mail_listing import PAGE, Listing

ROOT = "https://graph.example"
T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class Folder:
    """A Graph stub that answers as Graph does: items with lastModifiedDateTime >= the
    filter's, in change order, ``$top`` a page, an offset next link."""

    root = ROOT

    def __init__(self, items: list[tuple[datetime, Any]]) -> None:
        self.items = sorted(items, key=lambda pair: pair[0])
        self.requests = 0

    def paging(self, what: str) -> Paging:
        return Paging(self.root, what)

    def get_json(self, path: str, *, what: str, params: Any = None) -> dict[str, Any]:
        self.requests += 1
        if params is None:  # a next link
            query = parse_qs(urlsplit(path).query)
            since, skip = query["since"][0], int(query["skip"][0])
        else:
            since = params["$filter"].split(" ge ")[1].split(" ")[0]
            skip = 0
        found = [raw for at, raw in self.items if stamp(at) >= since]
        page = found[skip : skip + PAGE]
        answer: dict[str, Any] = {"value": page}
        if skip + PAGE < len(found):
            answer["@odata.nextLink"] = f"{ROOT}/m?since={since}&skip={skip + PAGE}"
        return answer


def good(n: int, at: datetime) -> tuple[datetime, dict[str, Any]]:
    text = stamp(at)
    return at, {"id": f"AAMk-{n}", "receivedDateTime": text, "lastModifiedDateTime": text}


def test_one_odd_item_at_the_end_of_a_full_page_is_counted_once() -> None:
    """ONE odd item (an id-less item whose change time sorts it last on the first full
    page): the listing re-asks from the last good item's time, so the next page lists the
    same odd item again. It is one item: the pass's line must say 1 listed item, not 2."""
    items = [good(n, T0 + timedelta(minutes=n)) for n in range(PAGE - 1)]
    odd_at = T0 + timedelta(minutes=PAGE)
    items.append((odd_at, {"receivedDateTime": stamp(odd_at)}))  # no id
    items += [good(1000 + n, odd_at + timedelta(minutes=1 + n)) for n in range(5)]
    listing = Listing(Folder(items), "/m", "list the mailbox", T0 - timedelta(hours=1))  # type: ignore[arg-type]
    read = [i.id for i in listing]
    assert len(read) == PAGE - 1 + 5  # every good message read once
    assert len(listing.odd) == 1, listing.odd


def test_two_odd_items_alike_on_one_page_are_two() -> None:
    at = T0 + timedelta(minutes=1)
    items = [good(1, T0), (at, None), (at, None), good(2, at + timedelta(minutes=1))]
    listing = Listing(Folder(items), "/m", "list the mailbox", T0 - timedelta(hours=1))  # type: ignore[arg-type]
    assert [i.id for i in listing] == ["AAMk-1", "AAMk-2"]
    assert len(listing.odd) == 2, listing.odd
