"""One Jira ticket read in full, for ``tickets show``: its description and every comment.

The sink itself reads only the comments this tool wrote (by their markers); a person reading
a ticket wants all of them, people's too, oldest first, with the tool's markers taken off.
Either way every page of them is read (``comment_pages``): Jira may send fewer comments than
asked for, and a marker on a later page unread is a comment the tool writes again.
"""

from __future__ import annotations

from typing import Any, Final

from ..errors import Retriable
from .jira_http import JiraHttp
from .jira_shapes import comments_of
from .jira_wire import split_marker

_PAGE: Final = 5000


def read_in_full(http: JiraHttp, key: str) -> tuple[str, list[str]]:
    """(description, comment bodies oldest first) of ``key``: one read, and more only for
    comments past those Jira sends with the issue (it sends a page of them), paged as the
    sink pages them (``comment_pages``: a page that repeats those read ends the read)."""
    params = {"fields": "description,comment"}
    what = f"read {key}"
    raw = http.read(what, f"issue/{key}", params, ticket=key, need=("key",))
    fields = raw.get("fields") or {}
    page = fields.get("comment") if isinstance(fields, dict) else None
    if not isinstance(page, dict | None) or not isinstance(fields, dict):
        raise Retriable(f"Jira: {what}: an answer that cannot be read (its comments)")
    comments = _shaped(page or {}, what)
    total = (page or {}).get("total")
    if type(total) is int and len(comments) < total:
        comments = comment_pages(http, key, comments)
    bodies = [split_marker(str(c.get("body") or ""))[1].rstrip() for c in comments]
    return str(fields.get("description") or ""), bodies


def _shaped(page: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """``comments_of``, its refusal a plain ``Retriable``: a read, nothing is written."""
    try:
        return comments_of(page, what)
    except Retriable as exc:
        raise Retriable(str(exc).split("; nothing was written", 1)[0]) from None


def comment_pages(
    http: JiraHttp, key: str, read: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Every comment of ``key``, oldest first: pages of ``GET issue/{key}/comment`` until
    its ``total`` (Jira may cap a page below what is asked: its ``maxResults`` says so),
    after those already ``read`` (the page Jira sends with the issue)."""
    what = f"read the comments of {key}"
    comments: list[dict[str, Any]] = []
    seen: set[str] = set()
    _add_new(comments, seen, read or [])
    while True:
        params = {"startAt": len(comments), "maxResults": _PAGE}
        page = http.read(what, f"issue/{key}/comment", params, ticket=key, need=("comments",))
        more = comments_of(page, what)
        if not _add_new(comments, seen, more) and more:
            # ``startAt`` not followed (a proxy's cache): it would page on for ever.
            raise Retriable(
                f"Jira: {what}: a page repeats comments already read; the next run retries"
            )
        total = page.get("total")
        if not more or type(total) is not int or len(comments) >= total:
            return comments  # the last page (or comments deleted meanwhile: all there is)


def _add_new(comments: list[dict[str, Any]], seen: set[str], page: list[dict[str, Any]]) -> int:
    """Append the comments of ``page`` not ``seen`` yet, in order; how many were new.

    A page that follows ``startAt`` only in part (a proxy's) starts with comments already
    read: kept once, as Jira has them (left by reviews: ``tickets show`` listed them twice).
    """
    added = 0
    for comment in page:
        id_ = str(comment["id"])
        if id_ not in seen:
            seen.add(id_)
            comments.append(comment)
            added += 1
    return added
