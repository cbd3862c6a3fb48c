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
    comments past those Jira sends with the issue (it sends a page of them)."""
    params = {"fields": "description,comment"}
    raw = http.read(f"read {key}", f"issue/{key}", params, ticket=key, need=("key",))
    fields = raw.get("fields") or {}
    page = fields.get("comment") or {}
    comments = list(page.get("comments") or [])
    while len(comments) < int(page.get("total") or 0):
        page = http.read(
            f"read the comments of {key}",
            f"issue/{key}/comment",
            {"startAt": len(comments), "maxResults": _PAGE},
            ticket=key,
            need=("comments",),
        )
        if not page.get("comments"):
            break  # comments deleted meanwhile: what was read is all there is
        comments.extend(page["comments"])
    bodies = [split_marker(str(c.get("body") or ""))[1].rstrip() for c in comments]
    return str(fields.get("description") or ""), bodies


def comment_pages(http: JiraHttp, key: str) -> list[dict[str, Any]]:
    """Every comment of ``key``, oldest first: pages of ``GET issue/{key}/comment`` until
    its ``total`` (Jira may cap a page below what is asked: its ``maxResults`` says so)."""
    what = f"read the comments of {key}"
    comments: list[dict[str, Any]] = []
    seen: set[str] = set()
    while True:
        params = {"startAt": len(comments), "maxResults": _PAGE}
        page = http.read(what, f"issue/{key}/comment", params, ticket=key, need=("comments",))
        more = comments_of(page, what)
        ids = {str(c["id"]) for c in more}
        if ids and ids <= seen:  # ``startAt`` not followed (a proxy's cache): would page on
            raise Retriable(
                f"Jira: {what}: a page repeats comments already read; the next run retries"
            )
        seen |= ids
        total = page.get("total")
        comments += more
        if not more or type(total) is not int or len(comments) >= total:
            return comments  # the last page (or comments deleted meanwhile: all there is)
