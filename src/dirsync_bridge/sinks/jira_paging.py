"""One Jira search's pages, guarded: ``JiraHttp.search`` reads its pages through a ``Paging``.

Why: a search pages on Cloud by an opaque ``nextPageToken``, on Data Center by ``startAt``
against a ``total``, and either may be answered wrongly (a bug, a proxy's cache answering
every page alike): a token that never moves on, a ``startAt`` the server ignores, a ``total``
that lies. Followed blindly, such a search pages forever and its pass holds the run lock.
So, as Graph's next links (``graph.paging``): a token is followed once, a page holding only
issues already read ends the search, and no search reads more than ``MAX_PAGES`` pages.

Every issue is checked before any caller reads it: an item that is not an issue (null,
``{}``, a string, an issue without its key) is an answer the tool cannot read, like any
other unreadable Jira answer, never an internal error in whichever caller met it first.
Each ends the search with a ``Retriable`` (exit 75): an incomplete search settles nothing,
and the next run searches again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..errors import Retriable
from .jira_shapes import issue_problem

__all__ = ["MAX_PAGES", "Paging"]

MAX_PAGES: Final = 100_000
"""Pages of one search at most: ten million issues at 100 a page, far past any project the
tool writes to, yet an end to a search whose every page is new."""


class Paging:
    """One search's pages: each issue must be readable, a token is followed once, a page
    must bring an issue not read before, and at most ``MAX_PAGES`` pages are read."""

    def __init__(self) -> None:
        self._tokens: set[str] = set()
        self._keys: set[str] = set()
        self._pages = 0

    def issues(self, page: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The page's issues, each one checked; a page of issues all read before (the same
        page again: a ``startAt`` or a token not followed by the server) ends the search."""
        self._pages += 1
        if self._pages > MAX_PAGES:
            raise self._incomplete(f"more than {MAX_PAGES} pages")
        found = page.get("issues")
        if not isinstance(found, list):
            raise self._unreadable(f"issues as {type(found).__name__}, not a list")
        issues = [self._issue(raw) for raw in found]
        keys = {str(raw["key"]) for raw in issues}
        if keys and keys <= self._keys:
            raise self._incomplete("a page repeats issues already read")
        self._keys |= keys
        return issues

    def next_token(self, page: Mapping[str, Any]) -> str | None:
        """Cloud: the page's ``nextPageToken`` if it may be followed; None at the last page."""
        token = page.get("nextPageToken")
        if token is None or token == "":
            return None
        if not isinstance(token, str):
            raise self._unreadable(f"a nextPageToken that is {type(token).__name__}")
        if token in self._tokens:
            raise self._incomplete("the nextPageToken repeats a page already read")
        self._tokens.add(token)
        return token

    def total(self, page: Mapping[str, Any]) -> int:
        """Data Center: the page's ``total`` (a count, never a bool or a string)."""
        total = page.get("total")
        if type(total) is not int or total < 0:
            raise self._unreadable(f"a total that is not a count ({type(total).__name__})")
        return total

    def _issue(self, raw: object) -> dict[str, Any]:
        # Every caller reads ``key`` and, where present, ``fields`` and ``properties`` as
        # objects: checked here once, so that none meets a KeyError or a TypeError.
        if not isinstance(raw, dict):
            raise self._unreadable(f"an issue that is {type(raw).__name__}, not an object")
        key = raw.get("key")
        if not isinstance(key, str) or not key:
            raise self._unreadable("an issue without its key")
        problem = issue_problem(raw)
        if problem is not None:
            raise self._unreadable(f"issue {key} with {problem}")
        return raw

    def _unreadable(self, problem: str) -> Retriable:
        return Retriable(
            f"Jira: search: an answer that cannot be read ({problem}); the next run retries"
        )

    def _incomplete(self, problem: str) -> Retriable:
        return Retriable(f"Jira: search: {problem}; the search is incomplete, the next run retries")
