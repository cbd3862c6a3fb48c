"""Which of the tool's tickets people resolved or reopened in Jira: one query per check.

``labels = dirsync AND updated >= -<n>m AND (statusCategory = Done OR status CHANGED AFTER
-<n>m)``: every ticket the tool made carries the label ``dirsync``, and resolving, renaming
a resolution or reopening a ticket updates it; a reopened one's status changed, where the
tool's creates and comments (most of what it writes) change none, so they stay out of the
answer. The ledger tells a person's reopening from the tool's own by its record. The window is
relative (minutes before Jira's own now), so neither Jira's clock nor the account's time
zone (in which Jira reads an absolute JQL date) matters; it reaches back to the last check's
start, plus ``search_lag`` (Cloud's search may not have shown a resolution made just before
that check) and a margin. The first check ever looks at every done ticket. A resolution is
timed by Jira's stamp, but never later than the check that saw it (a Jira clock ahead of
ours would otherwise put it after reports that came after it).

No project is named: a ticket a person moved to another project has a new key there, and is
recognised by its own record (the issue property's idempotency key). A ticket a person
deleted is not in any answer: the tool learns it when it next writes to it (404).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final

from ..lifecycle import REOPENED
from ..ports import Resolution
from ..sink_values import PeopleCheck, ResolvedTicket
from .jira_http import JiraHttp
from .jira_shapes import readable_issue
from .jira_wire import jira_time, jql_string, property_of

MARGIN: Final = timedelta(minutes=2)
"""Added to the window: a request's time in transit, and JQL's minutes."""
_DONE_FIELDS: Final = ["status", "resolution", "resolutiondate", "statuscategorychangedate"]


def resolved_since(
    http: JiraHttp, since: datetime | None, lag: timedelta, now: Callable[[], datetime]
) -> PeopleCheck:
    """The tickets labelled ``dirsync`` that Jira shows done and that changed since
    ``since`` (None: ever), with their resolutions; ``checked_at`` is now."""
    started = now()
    jql = f"labels = {jql_string('dirsync')} AND statusCategory = Done"
    if since is not None:
        # Done and changed since (resolved, or a resolution renamed), or moved out of done
        # since (reopened: its status changed; a create or a comment changes none).
        window = f"-{max(1, math.ceil((started - since + lag + MARGIN).total_seconds() / 60))}m"
        jql = (
            f"labels = {jql_string('dirsync')} AND updated >= {window} "
            f"AND (statusCategory = Done OR status CHANGED AFTER {window})"
        )
    resolved: list[ResolvedTicket] = []
    reopened: list[ResolvedTicket] = []
    for raw in http.search(jql, _DONE_FIELDS):
        found = ResolvedTicket(
            key=str(raw["key"]),
            idempotency_key=str(property_of(raw).get("idempotency_key", "")),
            resolution=_resolution(raw, now, before=started),
        )
        if _category(raw) == "done":
            resolved.append(found)
        else:
            at = jira_time((raw.get("fields") or {}).get("statuscategorychangedate"))
            when = min(at or started, started)
            reopened.append(replace(found, resolution=Resolution(name=REOPENED, at=when)))
    return PeopleCheck(resolved, started, tuple(reopened))


def _category(raw: dict[str, Any]) -> str | None:
    status = (raw.get("fields") or {}).get("status") or {}
    category = (status.get("statusCategory") or {}).get("key")
    return None if category is None else str(category)


def resolution_of(http: JiraHttp, key: str, now: Callable[[], datetime]) -> Resolution | None:
    """How ticket ``key`` was resolved, read now; None if Jira does not show it done."""
    fields = ",".join(_DONE_FIELDS)
    raw = http.read(f"read {key}", f"issue/{key}", {"fields": fields}, ticket=key, need=("key",))
    readable_issue(raw, f"read {key}")
    return _resolution(raw, now, before=now()) if _category(raw) == "done" else None


def _resolution(
    raw: dict[str, Any], now: Callable[[], datetime], *, before: datetime | None = None
) -> Resolution:
    # A workflow may close a ticket without a resolution: done is done, and the status
    # names it (for never_reopen) when no resolution does.
    fields = raw.get("fields") or {}
    name = (fields.get("resolution") or {}).get("name") or (fields.get("status") or {}).get("name")
    at = jira_time(fields.get("resolutiondate")) or jira_time(
        fields.get("statuscategorychangedate")
    )
    at = at or now()
    if before is not None and at > before:
        # Jira's clock ahead of ours: a resolution seen now was made by now. Jira's later
        # stamp would put it after reports that came after it, delaying their reopening.
        at = before
    return Resolution(name=str(name or "Done"), at=at)
