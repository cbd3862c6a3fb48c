"""The two search APIs: Cloud's `/search/jql` and Server/Data Center's `/search`.

Cloud (apis.md section 3.2, "Atlassian facts"): `jql` must not be empty; paging by an opaque
`nextPageToken`, absent on the last page, which says `isLast: true`; no `total`; `maxResults`
default 50, at most 100; without `fields` only issue ids come back; results lag behind writes
(`Faults.search_lag`) except for the issue ids listed in `reconcileIssues`. Server/DC:
`startAt`, `maxResults` (default 50, at most 1000), `total`, `*navigable` fields by default,
always consistent. GET parameters and POST bodies are read the same way (`Params`): the library
sends `fields` as repeated parameters, comma lists or JSON lists.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .catalog import CATEGORIES, ApiError, Json
from .jql import compile_jql
from .model import Issue, JiraModel

REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
CLOUD_PAGE_MAX, SERVER_PAGE_MAX = 100, 1000


class Params:
    """Query parameters (GET) or a JSON body (POST) seen the same way: name -> list of strings."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values: dict[str, list[str]] = {}
        for name, value in values.items():
            items = value if isinstance(value, list) else [] if value is None else [value]
            self.values[name] = [str(v).lower() if isinstance(v, bool) else str(v) for v in items]

    def one(self, name: str, default: str | None = None) -> str | None:
        """The first value."""
        values = self.values.get(name)
        return values[0] if values else default

    def many(self, name: str) -> list[str]:
        """All values, repeated parameters and comma-separated lists alike."""
        return [p.strip() for v in self.values.get(name, []) for p in v.split(",") if p.strip()]

    def number(self, name: str, default: int, cap: int | None = None) -> int:
        """A non-negative integer parameter, capped."""
        raw = self.one(name)
        try:
            value = default if raw is None else int(raw)
        except ValueError:
            raise ApiError(400, f"The value '{raw}' is not valid for '{name}'.") from None
        return max(0, min(value, cap) if cap else value)


def search_jql(model: JiraModel, q: Params, lag: float) -> Json:
    """Cloud's enhanced search: nextPageToken paging, no total, eventually consistent."""
    jql = q.one("jql") or ""
    if not jql.strip() or jql.strip().lower().startswith("order"):
        raise ApiError(400, UNBOUNDED)
    limit = max(1, q.number("maxResults", 50, CLOUD_PAGE_MAX))
    start = _decode_token(q.one("nextPageToken"), jql)
    reconcile = set(q.many("reconcileIssues"))
    now = model.clock()
    found = matching(model, jql, lambda i: now - i.created >= lag or i.id in reconcile)
    page = found[start : start + limit]
    fields = q.many("fields")
    if fields:
        wanted = model.select_fields(fields)
        issues = [model.issue_json(i, wanted, q.many("properties")) for i in page]
    else:  # without `fields`, /search/jql returns ids only
        issues = [{"id": i.id} for i in page]
    if start + limit < len(found):
        return {
            "issues": issues,
            "nextPageToken": _encode_token(start + limit, jql),
            "isLast": False,
        }
    return {"issues": issues, "isLast": True}


def search(model: JiraModel, q: Params) -> Json:
    """Server/DC search: startAt, maxResults, total; always consistent."""
    jql = q.one("jql") or ""
    start, limit = q.number("startAt", 0), q.number("maxResults", 50, SERVER_PAGE_MAX)
    found = matching(model, jql, lambda i: True)
    wanted = model.select_fields(q.many("fields") or ["*navigable"])
    page = [model.issue_json(i, wanted, q.many("properties"))
            for i in found[start : start + limit]]  # fmt: skip
    out = {"expand": "schema,names", "startAt": start, "maxResults": limit}
    return out | {"total": len(found), "isLast": start + limit >= len(found), "issues": page}


def _encode_token(offset: int, jql: str) -> str:
    digest = hashlib.sha256(jql.encode()).hexdigest()[:12]
    return base64.urlsafe_b64encode(f"{offset}:{digest}".encode()).decode()


def _decode_token(token: str | None, jql: str) -> int:
    if not token:
        return 0
    try:
        offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")[0]
        if _encode_token(int(offset), jql) == token:
            return int(offset)
    except ValueError:
        pass
    raise ApiError(400, "The provided next page token is invalid or expired.")


def matching(model: JiraModel, jql: str, visible: Callable[[Issue], bool]) -> list[Issue]:
    """The visible issues matching `jql`, in its ORDER BY (ties and default: key DESC)."""

    def names(items: Sequence[Any], first_id: int) -> set[str]:
        return {str(x).lower() for x in items} | {str(first_id + i) for i in range(len(items))}

    m = model
    known = {
        "project": names(m.projects, 10000),
        # A key an issue had before a move still names it, as in Jira.
        "key": names([*m.issues, *m.moved, *(i.id for i in m.issues.values())], 0),
        "status": names(list(m.statuses), 10000),
        "statuscategory": names(list(CATEGORIES), 0) | {
            x.lower() for c in CATEGORIES.values() for x in c},
        "resolution": names(m.resolutions, 10000),
        "issuetype": names(m.issue_types, 10001),
    }  # fmt: skip
    query = compile_jql(jql, known)
    now = m.clock()
    found = [i for i in m.issues.values() if visible(i) and query.matches(_view(m, i), now)]
    for name, descending in [("key", True), *reversed(query.order)]:  # stable sorts
        found.sort(key=functools.partial(_sort_key, m, name=name), reverse=descending)
    return found


def _view(m: JiraModel, issue: Issue) -> dict[str, Any]:
    def low(*xs: Any) -> list[str]:
        return [str(x).lower() for x in xs]

    cat = m.statuses[issue.status]
    return {
        "project": low(issue.project, 10000 + m.projects.index(issue.project)),
        "labels": low(*issue.fields.get("labels") or []),
        "key": low(issue.key, issue.id, *m.old_keys(issue.key)),
        "status": low(issue.status, 10000 + list(m.statuses).index(issue.status)),
        "statuscategory": low(cat, *CATEGORIES[cat]),
        "resolution": low(issue.resolution) if issue.resolution else [],
        "issuetype": low(issue.fields["issuetype"]),
        "created": issue.created,
        "updated": issue.updated,
        "resolutiondate": issue.resolutiondate,
        "status changes": issue.status_changes,
    }


def _sort_key(m: JiraModel, issue: Issue, name: str) -> tuple[Any, ...]:
    if name == "key":
        return (issue.project, int(issue.key.rsplit("-", 1)[1]))
    if name == "status":
        return (list(CATEGORIES).index(m.statuses[issue.status]), issue.status)
    value = getattr(issue, name)
    return (value is None, value or 0.0)
