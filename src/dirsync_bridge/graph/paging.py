"""One Graph listing's pages, guarded: ``GraphClient.pages`` and every source that follows
``@odata.nextLink`` itself read their pages through a ``Paging``.

Why: a page is followed with the bearer token, so a next link that names another host (a
poisoned answer, a rogue proxy; plain http at that) would hand the token over; a link that
loops back (a bug, a proxy's cache) would page forever; and a 200 without its ``value`` list
(a gateway's ``{}``) read as an empty page would prove every quarantine cleared.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

from ..errors import Retriable

__all__ = ["MAX_PAGES", "Paging"]

MAX_PAGES: Final = 100_000
"""Pages of one listing at most: 99.9 million objects at Graph's 999 a page, far past any
tenant, yet an end to a listing whose every next link is new."""


class Paging:
    """One listing's pages: each must carry its ``value`` list, and its next link is followed
    only to the Graph root's scheme and host, once, and for at most ``MAX_PAGES`` pages.

    Anything else ends the listing with a ``Retriable``: an incomplete listing proves no
    absence, and the bearer token must not go to a host a page names (a poisoned answer)."""

    def __init__(self, root: str, what: str) -> None:
        self._root = root
        self._origin = origin(root)
        self._what = what
        self._seen: set[str] = set()

    def items(self, page: Mapping[str, Any]) -> list[Any]:
        """The page's ``value`` list; a 200 without one (a gateway's ``{}``) is no page."""
        found = page.get("value")
        if not isinstance(found, list):
            raise self._incomplete(f"a page came without its value list ({type(found).__name__})")
        return found

    def next(self, page: Mapping[str, Any]) -> str | None:
        """The page's next link if it may be followed; None at the last page."""
        link = page.get("@odata.nextLink")
        if link is None or link == "":
            return None
        if not isinstance(link, str) or origin(link) != self._origin:
            shown = origin(link) if isinstance(link, str) else type(link).__name__
            raise self._incomplete(
                f"a next-page link to {shown or 'nowhere'} (not {self._root}) was not followed"
            )
        if link in self._seen:
            raise self._incomplete("the next-page link repeats a page already read")
        if len(self._seen) + 1 >= MAX_PAGES:
            raise self._incomplete(f"more than {MAX_PAGES} pages")
        self._seen.add(link)
        return link

    def _incomplete(self, problem: str) -> Retriable:
        return Retriable(
            f"Graph: {self._what}: {problem}; the listing is incomplete, the next run retries"
        )


def origin(url: str) -> str:
    """``scheme://host[:port]`` in lower case, a default port left out: what a link must
    share with the Graph root to be sent the token."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        return ""
    shown = f"[{host}]" if ":" in host else host
    default = {"https": 443, "http": 80}.get(scheme)
    return f"{scheme}://{shown}" + (f":{port}" if port is not None and port != default else "")
