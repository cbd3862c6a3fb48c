"""How a pass lists a mailbox folder: from a watermark on ``lastModifiedDateTime``, in pages
that cannot lose a message when the folder changes while they are read.

Why a watermark on ``lastModifiedDateTime``: each pass lists the folder's messages changed
since the newest change the last pass saw, minus ``overlap`` (late deliveries, clock skew),
with ``$filter=lastModifiedDateTime ge X&$orderby=lastModifiedDateTime asc``: the ordering
property is the first filter property, which is what Graph requires (``InefficientFilter``
otherwise, apis.md 1.1). A delivered message is modified when it arrives, so new mail is
listed as before; and a message *moved* into the folder is a new copy there (apis.md 1.3,
[G-move]), modified at the move, whatever its ``receivedDateTime``: a report rescued from
Junk Email days later is listed by the next pass, where a ``receivedDateTime`` watermark
would have passed it by for ever. The cost: a message someone reads, flags or categorises
is listed again once, and skipped without a fetch because the ledger has its id; a quiet
pass is still one request. The first pass (no watermark yet) also demands
``receivedDateTime ge`` the look-back (still led by the ordering property), so that
``first_run_lookback`` keeps its meaning when a person touched old mail recently.

Why each page is a new query, not the ``@odata.nextLink``: Outlook's next link is an offset
(``$skip``, apis.md 1.1) into the *live* result. When a message before the offset leaves the
result while the pages are read (a person deletes it, or opens it, which moves its
``lastModifiedDateTime`` to now and so to the end of the order), every later message shifts
one place towards the start, and the one at the page boundary is never listed; the
watermark then moves past it, and the overlap cannot reach back that far. So a page is
``lastModifiedDateTime ge <the last change the previous page showed>``: whatever left or
moved meanwhile, every message changed at or after that moment is in the answer, in order,
and one changed before it was in an earlier answer (a message that changes gets a new,
later ``lastModifiedDateTime``, and is listed again further on). The pages overlap by the
messages of that last second (the filter's precision); they are listed once. A listing so
read is complete up to its last page: the watermark may move to the newest change it saw.

One case has no such query: a whole page changed within one second (a person marked a few
hundred messages read at once), so the next page could only start where this one did. Then
the next link is followed until the pages move past that second, and the listing is not
proven complete from that second on (``unproven_from``): the pass keeps its watermark at or
before it, so that the next pass lists those messages again (known ones are skipped without
a fetch) and meets any that the shifting offset made this one miss.

Why not delta: it needs a token per folder, a full re-sync on 410 ``SyncStateNotFound``
(whose expiry Outlook does not bound), and it reports the moves and read-marks this tool
itself makes; the watermark has none of that.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from ..graph.client import GraphClient

PAGE: Final = 100
SELECT: Final = "id,internetMessageId,receivedDateTime,lastModifiedDateTime,subject,from,categories"


@dataclass(frozen=True, slots=True)
class MailItem:
    """One message as listed: enough to decide whether to fetch it."""

    id: str
    internet_message_id: str | None
    received: datetime
    subject: str
    sender: str
    categories: tuple[str, ...] = ()
    modified: datetime | None = None
    """``lastModifiedDateTime``: what the watermark follows (None: not listed with it)."""

    @property
    def changed(self) -> datetime:
        """When the message last changed in the mailbox (its arrival if not known)."""
        return self.modified or self.received

    @classmethod
    def from_graph(cls, raw: object) -> MailItem:
        """A listed message (Graph JSON) as a ``MailItem``; ``OddItem`` if it cannot be one.

        Graph sends every field this tool reads in one shape; anything else (a null item, no
        id, a date that is not one, ``from`` not an object) is an answer that cannot be read,
        never guessed at: ``Listing`` goes on past it, no longer proven complete from there."""
        if not isinstance(raw, dict):
            raise OddItem(f"an item that is not an object ({type(raw).__name__})")
        ident = raw.get("id")
        if not isinstance(ident, str) or not ident:
            raise OddItem(f"an item without an id ({_shown(ident)})")
        address = _member(_member(raw, "from"), "emailAddress")
        modified = raw.get("lastModifiedDateTime")
        return cls(
            id=ident,
            internet_message_id=_text(raw, "internetMessageId") or None,
            received=_time(raw.get("receivedDateTime"), "receivedDateTime"),
            subject=_text(raw, "subject"),
            sender=_text(address, "address"),
            categories=_categories(raw.get("categories")),
            modified=None if modified is None else _time(modified, "lastModifiedDateTime"),
        )


class OddItem(ValueError):
    """A listed item that is not a message as Graph sends one."""


def _shown(value: object) -> str:
    """A value an odd item held, short and on one line (``repr`` escapes controls)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _member(raw: dict[str, Any], key: str) -> dict[str, Any]:
    found = raw.get(key)
    if found is None:
        return {}
    if not isinstance(found, dict):
        raise OddItem(f"{key} is not an object ({_shown(found)})")
    return found


def _text(raw: dict[str, Any], key: str) -> str:
    found = raw.get(key)
    if found is None:
        return ""
    if not isinstance(found, str):
        raise OddItem(f"{key} is not a string ({_shown(found)})")
    return found


def _categories(found: object) -> tuple[str, ...]:
    if found is None:
        return ()
    if not isinstance(found, list) or not all(isinstance(c, str) for c in found):
        raise OddItem(f"categories is not a list of strings ({_shown(found)})")
    return tuple(found)


def _time(found: object, key: str) -> datetime:
    if not isinstance(found, str):
        raise OddItem(f"{key} is not a date ({_shown(found)})")
    try:
        return graph_time(found)
    except (ValueError, OverflowError):  # 9999-12-31T23:59:59-01:00: past the last day in UTC
        raise OddItem(f"{key} is not a date ({_shown(found)})") from None


class Listing:
    """The messages of one folder changed at or after ``since``, oldest change first, each
    once; iterate once. ``unproven_from``: after iterating, the change time from which the
    listing may have missed a message (None: complete). ``odd``: what each listed item that
    could not be read was (``OddItem``); the listing goes on past it, and ``unproven_from``
    stays at or before where it was met, so that the next pass lists it again."""

    def __init__(
        self,
        client: GraphClient,
        path: str,
        what: str,
        since: datetime,
        received_since: datetime | None = None,
    ) -> None:
        """``path``: the folder's ``.../messages``; nothing is sent until iterated."""
        self._client, self._path, self._what = client, path, what
        self._since, self._received_since = since, received_since
        self.unproven_from: datetime | None = None
        self.odd: list[str] = []
        self._odd_counted: Counter[str] = Counter()  # each odd item's JSON: times counted

    def __iter__(self) -> Iterator[MailItem]:
        seen: set[str] = set()
        start = self._since
        # Outlook's offset links get the token: followed only as graph.paging allows.
        paging = self._client.paging(self._what)
        page = self._page(start)
        while True:
            items: list[MailItem] = []
            odd_here: Counter[str] = Counter()
            for raw in paging.items(page):
                try:
                    items.append(MailItem.from_graph(raw))
                except OddItem as exc:
                    # Listed in change order: it changed at or after the item before it.
                    self._unproven(items[-1].changed if items else start)
                    # Without an id, an odd item is known by its JSON: one the next page
                    # lists again (pages overlap) is counted once; two alike on one page,
                    # twice.
                    key = json.dumps(raw, sort_keys=True, default=repr)
                    odd_here[key] += 1
                    if odd_here[key] > self._odd_counted[key]:
                        self._odd_counted[key] += 1
                        self.odd.append(str(exc))
            for item in items:
                if item.id not in seen:
                    seen.add(item.id)
                    yield item
            link = paging.next(page)
            if link is None:
                return
            last = items[-1].changed if items else start
            if stamp(last) > stamp(start):
                start = last
                page = self._page(start)
                continue
            # A whole page within one second: only the offset link goes on from here.
            self._unproven(start)
            page = self._client.get_json(link, what=self._what)

    def _unproven(self, since: datetime) -> None:
        if self.unproven_from is None or since < self.unproven_from:
            self.unproven_from = since

    def _page(self, start: datetime) -> dict[str, Any]:
        conditions = f"lastModifiedDateTime ge {stamp(start)}"
        if self._received_since is not None:
            conditions += f" and receivedDateTime ge {stamp(self._received_since)}"
        params = {
            "$filter": conditions,
            "$orderby": "lastModifiedDateTime asc",
            "$select": SELECT,
            "$top": str(PAGE),
        }
        return self._client.get_json(self._path, what=self._what, params=params)


def stamp(value: datetime) -> str:
    """Graph's filter literal: an unquoted UTC timestamp to the second (apis.md 1.1).

    The year always has four digits: ``strftime("%Y")`` writes year 1 (Graph's unset date)
    as ``1``, which OData refuses, and every later pass's listing with it."""
    at = value.astimezone(UTC)
    return f"{at.year:04d}-{at:%m-%dT%H:%M:%S}Z"


def graph_time(value: str) -> datetime:
    """Graph's ``2024-09-01T10:00:00Z`` (sometimes with fractions) as a UTC datetime.

    OverflowError for a time that is one only until converted to UTC (``9999-12-31T23:59:59
    -01:00``); ValueError for text that is not a time."""
    text = value.replace("Z", "+00:00")
    return datetime.fromisoformat(text).astimezone(UTC)
