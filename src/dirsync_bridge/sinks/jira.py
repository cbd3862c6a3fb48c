"""Jira Cloud and Data Center as a sink, through the `jira` library (REST v2, wiki markup).

How each promise of ``Sink`` is kept against a server that has no idempotency keys:

- A ticket is found by its labels: ``dirsync`` plus ``dirsync-<16 hex>`` (the fingerprint's
  label, searchable); the issue property ``dirsync-bridge`` holds the full fingerprint and
  the idempotency key, which tells a problem's first ticket from a later one. The property
  travels in the create request itself, so a new ticket costs exactly one request.
- The ledger is the first source of truth: searches happen only to settle a write whose
  outcome is unknown, and Cloud search lags behind writes (apis.md 3.2), so "not found" is
  trusted only once ``search_lag`` has passed since the write.
- The library's own retries are off (``max_retries=0``): it retries POSTs blindly, and a
  create answered 503 after the server made the issue would become two issues. Here 429 is
  retried (Jira did nothing), while a 5xx or a dropped connection on a create is "unknown
  outcome": the create is not repeated until a search says the issue does not exist.
- A comment carries a small visible marker naming its key, so that writing it again edits
  it instead of adding another.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import requests
from jira import JIRA, JIRAError

from ..config import JiraSettings
from ..errors import Fatal, Retriable
from ..fingerprint import label
from ..retry import RETRY_STATUSES, Budget, retry_after_seconds
from . import Resolution, TicketContent, TicketSnapshot, TicketStatus
from .jira_wire import (
    PROPERTY,
    TransitionMissing,
    WriteUnconfirmed,
    _Unknown,
    jira_time,
    jira_token,
    jql_string,
    marker,
    property_of,
    property_value,
    refused,
    split_marker,
)

__all__ = [
    "PROPERTY",
    "JiraSink",
    "TransitionMissing",
    "WriteUnconfirmed",
    "jira_token",
    "marker",
    "split_marker",
]

log = logging.getLogger(__name__)

PAGE: Final = 100
"""Issues per search page (Jira's maximum for both search endpoints)."""
KEYS_PER_SEARCH: Final = 100
_FIELDS: Final = ["summary", "description", "status", "resolution", "resolutiondate"]

T = TypeVar("T")


class JiraSink:
    """A ``Sink`` writing to one Jira project."""

    name = "jira"

    def __init__(
        self,
        settings: JiraSettings,
        token: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Remember how to connect; nothing is sent until the first call that needs Jira."""
        self.settings = settings
        self._token = token
        self._sleep, self._clock, self._now = sleep, clock, now
        self._client: JIRA | None = None
        self._comment_ids: dict[str, dict[str, str]] = {}
        """Issue key -> (comment key -> comment id), for issues whose comments we know."""
        self._unsure: dict[str, datetime] = {}
        """Idempotency keys whose create had an unknown outcome in this run, and when."""

    # -- connection ------------------------------------------------------------------------

    @property
    def client(self) -> JIRA:
        """The connected client (connecting on first use)."""
        if self._client is None:
            self._client = self._call("connect", self._connect)
        return self._client

    def _connect(self) -> JIRA:
        s = self.settings
        basic = s.deployment == "cloud" or (s.deployment == "auto" and bool(s.email))
        client = JIRA(
            options={"server": s.url, "verify": True, "check_update": False},
            basic_auth=(s.email, self._token) if basic else None,
            token_auth=None if basic else self._token,
            get_server_info=False,
            max_retries=0,
            timeout=s.timeout,
        )
        if s.ca_bundle is not None:
            # REQUESTS_CA_BUNDLE overrides a session's verify; a per-request verify wins.
            session: Any = client._session
            session.request = functools.partial(session.request, verify=str(s.ca_bundle))
        if s.deployment == "auto":
            info = client.server_info()
            client.deploymentType = info.get("deploymentType")
        else:
            client.deploymentType = "Cloud" if s.deployment == "cloud" else "Server"
        return client

    @property
    def is_cloud(self) -> bool:
        """Whether the site is Jira Cloud (search API, eventual consistency)."""
        return self.client.deploymentType == "Cloud"

    def close(self) -> None:
        """Release the HTTP session."""
        if self._client is not None:
            self._client.close()  # type: ignore[no-untyped-call]
            self._client = None

    # -- Sink ------------------------------------------------------------------------------

    def find(
        self, idempotency_key: str, written_at: datetime | None = None
    ) -> TicketSnapshot | None:
        """The ticket created with this key, found by label and property."""
        self._wait_for_search(idempotency_key, written_at)
        fingerprint = idempotency_key.split(":", 1)[0]
        jql = (
            f"project = {jql_string(self.settings.project)} "
            f"AND labels = {jql_string(label(fingerprint))} ORDER BY created ASC"
        )
        mine = [
            raw
            for raw in self._search(jql, _FIELDS)
            if property_of(raw).get("idempotency_key") == idempotency_key
        ]
        if not mine:
            return None
        if len(mine) > 1:
            log.warning(
                "%d issues carry %s; using the oldest, %s",
                len(mine),
                idempotency_key,
                mine[0]["key"],
            )
        return self._snapshot(mine[0])

    def snapshot(self, key: str) -> TicketSnapshot:
        """The ticket as Jira has it now."""
        params = {"fields": ",".join(_FIELDS), "properties": PROPERTY}
        raw = self._call(f"read {key}", lambda: self.client._get_json(f"issue/{key}", params))
        return self._snapshot(raw)

    def create(
        self,
        idempotency_key: str,
        fingerprint: str,
        content: TicketContent,
        *,
        family: str = "unknown",
    ) -> TicketSnapshot:
        """One POST: fields, labels, priority and the property together."""
        if idempotency_key in self._unsure:
            found = self.find(idempotency_key)
            if found is not None:
                return found
        body = {
            "fields": self._fields(fingerprint, content, family),
            "properties": [
                {
                    "key": PROPERTY,
                    "value": property_value(idempotency_key, fingerprint, family, content),
                }
            ],
        }
        url = self.client._get_url("issue")
        try:
            answer = self._call(
                "create an issue",
                lambda: self.client._session.post(url, data=json.dumps(body)).json(),
                unknown_outcome=True,
            )
        except _Unknown as exc:
            self._unsure[idempotency_key] = self._now()
            raise WriteUnconfirmed(
                f"Jira: creating the ticket for {label(fingerprint)} got no clear answer "
                f"({exc}); it is looked for by label before any new attempt"
            ) from None
        self._unsure.pop(idempotency_key, None)
        key = str(answer["key"])
        self._comment_ids[key] = {}
        log.debug("created %s for %s", key, idempotency_key)
        return TicketSnapshot(
            key=key,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            content=content,
            status="open",
        )

    def update(self, key: str, content: TicketContent) -> None:
        """Replace summary and description (one PUT, no re-read)."""
        fields = {"summary": content.summary, "description": content.description}
        self._send("PUT", f"issue/{key}", {"fields": fields}, f"update {key}")

    def put_comment(self, key: str, comment_key: str, body: str) -> None:
        """Add the comment, or edit it if this tool wrote it before."""
        text = f"{body}\n\n{marker(comment_key)}"
        existing = self._comments(key).get(comment_key)
        if existing is None:
            answer = self._send("POST", f"issue/{key}/comment", {"body": text}, f"comment on {key}")
            self._comment_ids[key][comment_key] = str(answer["id"])
        else:
            path = f"issue/{key}/comment/{existing}"
            self._send("PUT", path, {"body": text}, f"edit a comment on {key}")

    def remove_comment(self, key: str, comment_key: str) -> None:
        """Delete a comment this tool wrote (one that later history withdrew)."""
        existing = self._comments(key).pop(comment_key, None)
        if existing is not None:
            self._send("DELETE", f"issue/{key}/comment/{existing}", None, f"withdraw on {key}")

    def set_status(self, key: str, status: TicketStatus) -> None:
        """Resolve or reopen through the configured transition, found by name."""
        s = self.settings
        wanted = s.resolve_transition if status == "resolved" else s.reopen_transition
        answer = self._call(
            f"read the transitions of {key}",
            lambda: self.client._get_json(f"issue/{key}/transitions"),
        )
        offered = answer.get("transitions", [])
        chosen = next((t for t in offered if t["name"].casefold() == wanted.casefold()), None)
        if chosen is None:
            if self.snapshot(key).status == status:
                return  # a person got there first
            raise TransitionMissing(key, wanted, [t["name"] for t in offered])
        self._send("POST", f"issue/{key}/transitions", {"transition": {"id": chosen["id"]}}, wanted)

    def resolved_elsewhere(self, keys: Sequence[str]) -> dict[str, Resolution]:
        """Of these tickets, those Jira shows as done, with the resolution and its time."""
        out: dict[str, Resolution] = {}
        for start in range(0, len(keys), KEYS_PER_SEARCH):
            chunk = keys[start : start + KEYS_PER_SEARCH]
            jql = f"key in ({', '.join(chunk)}) AND statusCategory = Done"
            try:
                found = list(self._search(jql, ["resolution", "resolutiondate", "status"]))
            except Fatal as exc:
                # A key in the list no longer exists (deleted by a person): Jira refuses
                # the whole query. Not knowing a resolution only delays a reopen decision.
                log.warning("could not check %d ticket(s) for resolutions: %s", len(chunk), exc)
                continue
            for raw in found:
                fields = raw.get("fields") or {}
                name = (fields.get("resolution") or {}).get("name")
                at = jira_time(fields.get("resolutiondate"))
                if name and at is not None:
                    out[str(raw["key"])] = Resolution(name=name, at=at)
        return out

    # -- reading, for doctor ---------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``/rest/api/2/<path>`` as JSON, with the retry policy."""
        return self._call(f"read {path}", lambda: self.client._get_json(path, params))

    def search(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Issues matching ``jql`` (raw JSON), on whichever search API the site has."""
        return self._search(jql, fields)

    # -- helpers ---------------------------------------------------------------------------

    def _fields(self, fingerprint: str, content: TicketContent, family: str) -> dict[str, Any]:
        s = self.settings
        labels = list(dict.fromkeys([*s.labels, "dirsync", label(fingerprint)]))
        fields: dict[str, Any] = {
            **s.fields,
            "project": {"key": s.project},
            "issuetype": {"name": s.issue_type},
            "summary": content.summary,
            "description": content.description,
            "labels": labels,
        }
        priority = s.priority_for(family)
        if priority:
            fields["priority"] = {"name": priority}
        if s.components:
            fields["components"] = [{"name": c} for c in s.components]
        return fields

    def _snapshot(self, raw: dict[str, Any]) -> TicketSnapshot:
        fields = raw.get("fields") or {}
        prop = property_of(raw)
        key = str(raw["key"])
        category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
        return TicketSnapshot(
            key=key,
            idempotency_key=str(prop.get("idempotency_key", "")),
            fingerprint=str(prop.get("fingerprint", "")),
            content=TicketContent(
                summary=fields.get("summary") or "",
                description=fields.get("description") or "",
                links=tuple(prop.get("links", ())),
            ),
            status="resolved" if category == "done" else "open",
            resolution=(fields.get("resolution") or {}).get("name"),
            comments=self._comment_bodies(key),
        )

    def _comment_bodies(self, key: str) -> dict[str, str]:
        bodies: dict[str, str] = {}
        ids: dict[str, str] = {}
        answer = self._call(
            f"read the comments of {key}",
            lambda: self.client._get_json(f"issue/{key}/comment", {"maxResults": 5000}),
        )
        for comment in answer.get("comments", []):
            comment_key, text = split_marker(comment.get("body") or "")
            if comment_key is not None:
                bodies[comment_key], ids[comment_key] = text, str(comment["id"])
        self._comment_ids[key] = ids
        return bodies

    def _comments(self, key: str) -> dict[str, str]:
        if key not in self._comment_ids:
            self._comment_bodies(key)
        return self._comment_ids[key]

    def _search(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        client = self.client
        if self.is_cloud:
            token: str | None = None
            while True:
                page = self._call(
                    "search",
                    functools.partial(
                        client.enhanced_search_issues,
                        jql,
                        nextPageToken=token,
                        maxResults=PAGE,
                        fields=list(fields),
                        properties=PROPERTY,
                        json_result=True,
                    ),
                )
                yield from page.get("issues", [])
                token = page.get("nextPageToken")
                if not token:
                    return
        start = 0
        while True:
            batch: dict[str, Any] = self._call(
                "search",
                functools.partial(
                    _server_search,
                    client,
                    jql,
                    start,
                    fields,
                ),
            )
            issues = batch.get("issues", [])
            yield from issues
            start += len(issues)
            if not issues or start >= int(batch.get("total", 0)):
                return

    def _wait_for_search(self, idempotency_key: str, written_at: datetime | None) -> None:
        if not self.is_cloud:
            return  # Data Center search is consistent
        times = [t for t in (written_at, self._unsure.get(idempotency_key)) if t is not None]
        if not times:
            return
        wait = (max(times) + self.settings.search_lag - self._now()).total_seconds()
        if wait > 0:
            log.info("waiting %.1fs for Jira Cloud search to catch up", wait)
            self._sleep(wait)

    def _send(self, method: str, path: str, body: object, what: str) -> Any:
        url = self.client._get_url(path)
        data = None if body is None else json.dumps(body)

        def send() -> Any:
            response = self.client._session.request(method, url, data=data)
            return response.json() if response.content else {}

        return self._call(what, send)

    def _call(self, what: str, fn: Callable[[], T], *, unknown_outcome: bool = False) -> T:
        budget = Budget(
            self.settings.retry_for.total_seconds(), sleep=self._sleep, clock=self._clock
        )
        while True:
            try:
                return fn()
            except JIRAError as exc:
                status = exc.status_code or 0
                if status not in RETRY_STATUSES:
                    raise refused(self.settings, what, exc) from None
                if unknown_outcome and status != 429:
                    raise _Unknown(f"HTTP {status}") from None
                headers = exc.response.headers if exc.response is not None else {}
                if budget.wait(retry_after_seconds(headers.get("Retry-After"))):
                    continue
                raise Retriable(
                    f"Jira: {what}: HTTP {status} after {budget.attempts} attempt(s) over "
                    f"{budget.waited:.0f}s; the next run retries"
                ) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                if unknown_outcome:
                    raise _Unknown(type(exc).__name__) from None
                if budget.wait(None):
                    continue
                raise Retriable(
                    f"Jira: {what}: cannot reach {self.settings.url} ({type(exc).__name__}); "
                    "the next run retries"
                ) from None


def _server_search(client: JIRA, jql: str, start: int, fields: list[str]) -> dict[str, Any]:
    # Data Center: /search with startAt/total (the /search/jql API is Cloud only).
    page = client.search_issues(
        jql,
        startAt=start,
        maxResults=PAGE,
        fields=list(fields),
        properties=PROPERTY,
        json_result=True,
    )
    assert isinstance(page, dict)
    return page
