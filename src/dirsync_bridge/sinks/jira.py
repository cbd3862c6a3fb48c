"""Jira Cloud and Data Center as a sink, through the `jira` library (REST v2, wiki markup).

How each promise of ``Sink`` is kept against a server that has no idempotency keys:

- A ticket is found by its labels: ``dirsync`` plus ``dirsync-<16 hex>`` (the fingerprint's
  label, searchable); the issue property ``dirsync-bridge`` holds the full fingerprint and
  the idempotency key, which tells a problem's first ticket from a later one. The property
  travels in the create request itself, so a new ticket costs exactly one request.
- No write is ever sent twice on a guess (``jira_http``): a write whose answer is lost (a
  5xx, a dropped connection, a body cut short, a proxy's page) raises ``WriteUnconfirmed``,
  and the ticket is read before anything is written to it again: its comment markers say
  which comments exist, its status whether a transition happened. A lost create is settled
  by a label search.
- The ledger is the first source of truth: searches happen only to settle a create whose
  outcome is unknown, and Cloud search lags behind writes (apis.md 3.2), so "not found" is
  trusted only once ``search_lag`` has passed since the write, and never in the run whose
  create got no answer: that run ends unconfirmed (exit 75) and the next one looks again.
- A comment carries a small visible marker naming its key, so that writing it again edits
  it instead of adding another; the body is cut so that body and marker fit Jira's limit.
- A ticket a person deleted is reported gone (``TicketGone``, or ``gone`` among
  ``resolved_elsewhere``'s answers), so that the problem gets a new ticket. One a person
  moved to another project is still its ticket: Jira answers its old key (``jira_people``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ..config.settings import JiraSettings
from ..errors import TicketGone, TransitionMissing, WriteUnconfirmed
from ..fingerprint import label
from ..ports import Resolution, TicketContent, TicketSnapshot, TicketStatus
from ..ticket_text import jira_wiki
from .jira_http import JiraHttp
from .jira_people import resolved_elsewhere
from .jira_wire import (
    PROPERTY,
    OutcomeUnknown,
    jira_token,
    jql_string,
    marker,
    property_of,
    property_value,
    split_marker,
)

__all__ = [
    "PROPERTY",
    "JiraSink",
    "jira_token",
    "marker",
    "split_marker",
]

log = logging.getLogger(__name__)

_FIELDS: Final = ["summary", "description", "status", "resolution", "resolutiondate"]


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
        self._http = JiraHttp(settings, token, sleep=sleep, clock=clock)
        self._sleep, self._now = sleep, now
        self._comment_ids: dict[str, dict[str, str]] = {}
        """Issue key -> (comment key -> comment id), for issues whose comments we know."""
        self._unsure: dict[str, datetime] = {}
        """Idempotency keys whose create had an unknown outcome in this run, and when."""

    @property
    def is_cloud(self) -> bool:
        """Whether the site is Jira Cloud (search API, eventual consistency)."""
        return self._http.is_cloud

    def close(self) -> None:
        """Release the HTTP session."""
        self._http.close()

    # -- Sink ------------------------------------------------------------------------------

    def find(
        self, idempotency_key: str, written_at: datetime | None = None
    ) -> TicketSnapshot | None:
        """The ticket created with this key, found by label and property.

        Raises ``WriteUnconfirmed`` instead of answering "none" for a create of this run
        whose answer was lost: Cloud search may lag more than ``search_lag``, and a second
        create would make a duplicate nobody tracks. A later run's search decides.
        """
        self._wait_for_search(idempotency_key, written_at)
        fingerprint = idempotency_key.split(":", 1)[0]
        jql = (
            f"project = {jql_string(self.settings.project)} "
            f"AND labels = {jql_string(label(fingerprint))} ORDER BY created ASC"
        )
        mine = [
            raw
            for raw in self._http.search(jql, _FIELDS)
            if property_of(raw).get("idempotency_key") == idempotency_key
        ]
        if not mine:
            if idempotency_key in self._unsure and self.is_cloud:
                raise WriteUnconfirmed(
                    f"Jira: the ticket for {label(fingerprint)} is not found by search yet "
                    "after a create with no clear answer; the next run looks again before "
                    "any new attempt (if this repeats, raise [jira] search_lag)"
                )
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
        """The ticket as Jira has it now (``TicketGone`` if it was deleted)."""
        params = {"fields": ",".join(_FIELDS), "properties": PROPERTY}
        raw = self._http.read(f"read {key}", f"issue/{key}", params, ticket=key, need=("key",))
        return self._snapshot(raw)

    def create(
        self,
        idempotency_key: str,
        fingerprint: str,
        content: TicketContent,
        *,
        family: str = "unknown",
        reach_by: Callable[[datetime], None] | None = None,
    ) -> TicketSnapshot:
        """One POST: fields, labels, priority and the property together.

        ``reach_by`` is told, before each attempt (a 429 is sent again after its wait), that
        the create may reach Jira until the attempt times out, and once it is answered (or
        its answer lost), that it cannot any more.
        """
        body = {
            "fields": self._fields(fingerprint, content, family),
            "properties": [
                {
                    "key": PROPERTY,
                    "value": property_value(idempotency_key, fingerprint, family, content),
                }
            ],
        }
        name = label(fingerprint)
        timeout = timedelta(seconds=self.settings.timeout)
        sending = None if reach_by is None else lambda: reach_by(self._now() + timeout)
        try:
            answer = self._http.write(
                "create the ticket",
                "POST",
                "issue",
                body,
                ticket=name,
                need=("key",),
                creating=True,
                sending=sending,
            )
        except OutcomeUnknown as exc:
            self._unsure[idempotency_key] = self._now()
            if reach_by is not None:
                reach_by(self._unsure[idempotency_key])
            raise WriteUnconfirmed(
                f"Jira: creating the ticket for {name} got no clear answer ({exc}); it is "
                "looked for by label before any new attempt"
            ) from None
        if reach_by is not None:
            reach_by(self._now())  # answered: made before now, whenever a crash comes
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
        self._write(key, f"update {key}", "PUT", f"issue/{key}", {"fields": fields})

    def put_comment(self, key: str, comment_key: str, body: str) -> None:
        """Add the comment, or edit it if this tool wrote it before."""
        suffix = f"\n\n{marker(comment_key)}"
        # The renderer fits a body to Jira's limit; the marker must fit as well.
        room = jira_wiki.DESCRIPTION_MAX - jira_wiki.java_length(suffix)
        text = jira_wiki.fit(body, room) + suffix
        existing = self._comments(key).get(comment_key)
        if existing is not None:
            path = f"issue/{key}/comment/{existing}"
            if self._comment_write(key, f"edit a comment on {key}", "PUT", path, {"body": text}):
                return
            del self._comment_ids[key][comment_key]  # a person deleted it: add it again
        answer = self._write(
            key, f"comment on {key}", "POST", f"issue/{key}/comment", {"body": text}, need=("id",)
        )
        self._comment_ids.setdefault(key, {})[comment_key] = str(answer["id"])

    def remove_comment(self, key: str, comment_key: str) -> None:
        """Delete a comment this tool wrote (one that later history withdrew)."""
        existing = self._comments(key).pop(comment_key, None)
        if existing is not None:
            path = f"issue/{key}/comment/{existing}"
            self._comment_write(key, f"withdraw a comment on {key}", "DELETE", path, None)

    def set_status(self, key: str, status: TicketStatus) -> None:
        """Resolve or reopen through the configured transition, found by name."""
        s = self.settings
        wanted = s.resolve_transition if status == "resolved" else s.reopen_transition
        path = f"issue/{key}/transitions"
        answer = self._http.read(
            f"read the transitions of {key}", path, ticket=key, need=("transitions",)
        )
        offered = answer.get("transitions") or []
        chosen = next((t for t in offered if t["name"].casefold() == wanted.casefold()), None)
        if chosen is None:
            if self.snapshot(key).status == status:
                return  # a person got there first
            raise TransitionMissing(key, wanted, [t["name"] for t in offered])
        body = {"transition": {"id": chosen["id"]}}
        self._write(key, f"move {key} through {wanted!r}", "POST", path, body)

    def resolved_elsewhere(self, keys: Sequence[str]) -> dict[str, Resolution]:
        """Of these tickets, those Jira shows as done (with or without a resolution), and
        those deleted (``gone``); by the keys asked for, also of tickets moved since."""
        return resolved_elsewhere(self._http, keys, self._now)

    # -- reading, for doctor ---------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``/rest/api/2/<path>`` as JSON, with the retry policy."""
        return self._http.read(f"read {path}", path, params)

    def search(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Issues matching ``jql`` (raw JSON), on whichever search API the site has."""
        return self._http.search(jql, fields)

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

    def _write(
        self,
        key: str,
        what: str,
        method: str,
        path: str,
        body: object | None,
        need: Sequence[str] = (),
    ) -> Any:
        """A write to an existing ticket; a lost answer becomes ``WriteUnconfirmed``."""
        try:
            return self._http.write(what, method, path, body, ticket=key, need=need)
        except OutcomeUnknown as exc:
            self._comment_ids.pop(key, None)  # read them again before the next write
            raise WriteUnconfirmed(
                f"Jira: {what} got no clear answer ({exc}); {key} is read before anything "
                "is written to it again"
            ) from None

    def _comment_write(
        self, key: str, what: str, method: str, path: str, body: object | None
    ) -> bool:
        """Edit or delete one comment; False if the comment is gone (its ticket is not)."""
        try:
            self._write(key, what, method, path, body)
        except TicketGone:
            # The 404 may be the comment's, not the ticket's: ask about the ticket.
            self._http.read(f"read {key}", f"issue/{key}", {"fields": "status"}, ticket=key)
            return False
        return True

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
        answer = self._http.read(
            f"read the comments of {key}",
            f"issue/{key}/comment",
            {"maxResults": 5000},
            ticket=key,
            need=("comments",),
        )
        for comment in answer.get("comments") or []:
            comment_key, text = split_marker(comment.get("body") or "")
            if comment_key is not None:
                bodies[comment_key], ids[comment_key] = text, str(comment["id"])
        self._comment_ids[key] = ids
        return bodies

    def _comments(self, key: str) -> dict[str, str]:
        if key not in self._comment_ids:
            self._comment_bodies(key)
        return self._comment_ids[key]

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
