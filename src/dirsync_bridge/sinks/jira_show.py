"""One Jira ticket read in full, for ``tickets show``: its description and every comment.

The sink itself reads only the comments this tool wrote (by their markers); a person reading
a ticket wants all of them, people's too, oldest first, with the tool's markers taken off.
"""

from __future__ import annotations

from typing import Final

from .jira_http import JiraHttp
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
