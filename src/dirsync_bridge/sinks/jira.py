"""Jira Cloud and Data Center as a sink, through the `jira` library (REST v2, wiki markup).

How each promise of ``Sink`` is kept against a server that has no idempotency keys:

- A ticket is found by its labels: ``dirsync`` plus ``dirsync-<16 hex>`` (the fingerprint's
  label, searchable); the issue property ``dirsync-bridge`` holds the full fingerprint and
  the idempotency key, which tells a problem's first ticket from a later one. New tickets
  go up to 50 to a bulk create, each with its property (``jira_bulk``: answered item by
  item; on Data Center the property is checked, and set afterwards where it was dropped).
- Writes to existing tickets run a few at a time in threads (``max_in_flight``), never two
  to one ticket at once; the shared HTTP client is made once, under a lock.
- No write is ever sent twice on a guess (``jira_http``): a write whose answer is lost (a
  5xx, a dropped connection, a body cut short, a proxy's page) raises ``WriteUnconfirmed``,
  and the ticket is read before anything is written to it again: its comment markers say
  which comments exist, its status whether a transition happened. A lost create is settled
  by a label search.
- The ledger is the first source of truth: searches happen only to settle creates whose
  outcome is unknown (one search for up to 50 of them), and Cloud search lags behind writes
  (apis.md 3.2), so "not found" is trusted only once ``search_lag`` has passed since the
  write, and never in the run whose create got no answer: that run ends unconfirmed (exit
  75) and the next one looks again.
- A comment carries a small visible marker naming its key, so that writing it again edits
  it instead of adding another; the body is cut so that body and marker fit Jira's limit.
- A problem's new ticket is joined to its earlier one by an issue link of ``[jira]
  link_type`` (``jira_links``), a write like a comment: a lost answer is settled by
  reading the issue's ``issuelinks``.
- A ticket a person deleted is reported gone (``TicketGone``) when the tool next writes to
  it, so that the problem gets a new ticket. One a person moved to another project is still
  its ticket: Jira answers its old key. People's resolutions are learned by one query per
  check (``jira_people``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .. import crashpoints, interrupt
from ..config.settings import JiraSettings
from ..errors import (
    BadRequest,
    ResolvedMeanwhile,
    TicketGone,
    TransitionMissing,
    WriteUnconfirmed,
)
from ..fingerprint import label
from ..ports import TicketContent, TicketSnapshot, TicketStatus
from ..sink_values import Found, Made, NewTicket, PeopleCheck, TicketsSeen
from ..ticket_text import jira_wiki
from .jira_bulk import (
    IN_FLIGHT,
    MAX_ITEMS,
    Properties,
    adopt,
    bare_property,
    checked,
    issue_update,
    label_list,
    labels_of,
    made_properties,
    outcomes,
    split,
    unsettled,
)
from .jira_http import JiraHttp, TooLarge
from .jira_links import LinkTypes, link_body, linked_keys, refused_link
from .jira_people import resolution_of, resolved_since
from .jira_show import read_in_full
from .jira_wire import (
    MISSING_KEY,
    PROPERTY,
    OutcomeUnknown,
    jira_token,
    jql_string,
    marker,
    property_of,
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

_FIELDS: Final = ["summary", "description", "status", "resolution", "resolutiondate", "issuelinks"]


class JiraSink:
    """A ``Sink`` writing to one Jira project."""

    name = "jira"
    max_batch = MAX_ITEMS
    people = True
    max_in_flight = IN_FLIGHT

    def __init__(
        self,
        settings: JiraSettings,
        token: str,
        *,
        sleep: Callable[[float], None] = interrupt.pause,
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
        self._properties = Properties(self._http)
        self._link_types = LinkTypes(self._http, settings)

    @property
    def is_cloud(self) -> bool:
        """Whether the site is Jira Cloud (search API, eventual consistency)."""
        return self._http.is_cloud

    def close(self) -> None:
        """Release the HTTP session."""
        self._http.close()

    # -- Sink ------------------------------------------------------------------------------

    def find_many(
        self,
        idempotency_keys: Sequence[str],
        written_at: datetime | None = None,
        *,
        known: Callable[[str], bool] = lambda key: False,
    ) -> Found:
        """The tickets created with these keys: one search of their labels (up to 50), then
        each issue matched to its key by its property.

        A key whose create of this very run got no clear answer, and that the search does
        not show, is ``unsure`` rather than absent on Cloud: search may lag more than
        ``search_lag``, and a second create would make a duplicate nobody tracks. A later
        run's search decides. Data Center's search is consistent.
        """
        keys = list(idempotency_keys)
        if not keys:
            return Found({})
        self._wait_for_search(keys, written_at)
        by_label: dict[str, list[str]] = {}
        for key in keys:
            by_label.setdefault(label(key.split(":", 1)[0]), []).append(key)
        names = ", ".join(jql_string(name) for name in by_label)
        # No project named (as ``jira_people``): a person may have moved a ticket made by a
        # create whose answer was lost to another project before the search; its property
        # still names its idempotency key.
        jql = f"labels in ({names}) ORDER BY created ASC"
        found: dict[str, TicketSnapshot] = {}
        bare: dict[str, list[dict[str, Any]]] = {}  # label -> issues without our property
        for raw in self._http.search(jql, [*_FIELDS, "labels"]):
            key = str(property_of(raw).get("idempotency_key") or "")
            if key in keys and key not in found:  # several: the oldest (ORDER BY created)
                found[key] = self._snapshot(raw, comments=False)
            elif not key and not self.is_cloud and not known(str(raw["key"])):
                # An issue the ledger knows is another ticket (a problem's old one whose
                # property was never set): never taken for this create's.
                for name in (raw.get("fields") or {}).get("labels") or []:
                    if name in by_label:
                        bare.setdefault(str(name), []).append(raw)
        unsure = {k for k in keys if k not in found and k in self._unsure and self.is_cloud}
        for name, issues in bare.items():
            adopted = self._adopt(by_label[name], issues, found)
            found |= adopted
            if not adopted:
                # Bare issues that cannot be told apart: one of them may be a create's,
                # so none of those creates is surely absent (a person must look).
                unsure |= {k for k in by_label[name] if k not in found}
        return Found(found, frozenset(unsure))

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
        """One ticket: ``create_many`` of one; its refusal raised."""
        ticket = NewTicket(idempotency_key, fingerprint, content, family)
        (made,) = self.create_many([ticket], reach_by=reach_by)
        if isinstance(made, Exception):
            raise made
        return made

    def create_many(
        self, tickets: Sequence[NewTicket], *, reach_by: Callable[[datetime], None] | None = None
    ) -> list[Made]:
        """One bulk POST: fields, labels, priority, components and the property of each.

        ``reach_by`` is told, before each attempt (a 429 is sent again after its wait), that
        the creates may reach Jira until the attempt times out, and once answered (or the
        answer lost), that they cannot any more. On Data Center, whose bulk create may
        ignore the property (``jira_bulk``), it is set afterwards where it is missing.
        """
        updates = [issue_update(self.settings, ticket) for ticket in tickets]
        names = label_list([t.fingerprint for t in tickets])
        timeout = timedelta(seconds=self.settings.timeout)
        sending = None if reach_by is None else lambda: reach_by(self._now() + timeout)
        try:
            answer = self._http.write(
                f"create the tickets of {names}",
                "POST",
                "issue/bulk",
                {"issueUpdates": updates},
                ticket=names,
                need=("issues",),
                creating=True,
                sending=sending,
                refusals=True,
            )
        except TooLarge as exc:
            return split(lambda part: self.create_many(part, reach_by=reach_by), tickets, exc)
        except OutcomeUnknown as exc:
            when = self._now()
            self._unsure |= dict.fromkeys((t.idempotency_key for t in tickets), when)
            if reach_by is not None:
                reach_by(when)
            raise WriteUnconfirmed(
                f"Jira: creating the tickets of {names} got no clear answer ({exc}); they are "
                "looked for by label before any new attempt"
            ) from None
        if reach_by is not None:
            reach_by(self._now())  # answered: made before now, whenever a crash comes
        made = outcomes(self.settings, answer, tickets)
        keys = [outcome.key for outcome in made if isinstance(outcome, TicketSnapshot)]
        if keys and len(keys) < len(made):
            # Refusals are numbered by the answer alone: an issue must carry its item's label.
            made = checked(made, tickets, labels_of(self._http, keys))
        for ticket, outcome in zip(tickets, made, strict=True):
            if isinstance(outcome, WriteUnconfirmed):
                self._unsure[ticket.idempotency_key] = self._now()
            elif isinstance(outcome, TicketSnapshot):
                self._unsure.pop(ticket.idempotency_key, None)
                self._comment_ids[outcome.key] = {}
                log.debug("created %s for %s", outcome.key, ticket.idempotency_key)
        crashpoints.crash_point("after-bulk-create")
        if not self.is_cloud:
            lacking = self._properties.keep(made_properties(made, updates))
            made = [unsettled(outcome, lacking) for outcome in made]
        return made

    def update(
        self, key: str, content: TicketContent, *, comment: tuple[str, str] | None = None
    ) -> None:
        """Replace summary and description (one PUT, no re-read); with ``comment``, add it in
        the same PUT (``update.comment.add``), unless this tool wrote it before."""
        edit: dict[str, Any] = {
            "fields": {"summary": content.summary, "description": content.description}
        }
        if comment is not None and comment[0] in self._comments(key):
            self._write(key, f"update {key}", "PUT", f"issue/{key}", edit)
            self.put_comment(key, *comment)  # edited in place
            return
        if comment is not None:
            edit["update"] = {"comment": [{"add": {"body": _marked(*comment)}}]}
        self._write(key, f"update {key}", "PUT", f"issue/{key}", edit)
        if comment is not None:
            self._comment_ids.pop(key, None)  # its id is not in the answer: read before an edit

    def put_comment(self, key: str, comment_key: str, body: str) -> None:
        """Add the comment, or edit it if this tool wrote it before."""
        text = _marked(comment_key, body)
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
            done = resolution_of(self._http, key, self._now)
            if status == "resolved" and done is not None:
                # A person got there first: theirs, with their resolution (a Won't Do).
                raise ResolvedMeanwhile(key, done.name, done.at)
            if status == "open" and done is None:
                return  # a person reopened it first
            raise TransitionMissing(key, wanted, [t["name"] for t in offered])
        body = {"transition": {"id": chosen["id"]}}
        self._write(key, f"move {key} through {wanted!r}", "POST", path, body)

    def link(self, key: str, to: str) -> None:
        """An issue link of ``[jira] link_type`` from ``key`` to the earlier ticket ``to``."""
        kind = self._link_types.name()
        try:
            self._write(key, f"link {key} to {to}", "POST", "issueLink", link_body(key, to, kind))
        except TicketGone:
            refused_link(self._http, key, to, kind)

    def resolved_since(self, since: datetime | None) -> PeopleCheck:
        """The tool's tickets Jira shows done that changed since ``since``: one query
        (``jira_people``), wherever people moved them."""
        return resolved_since(self._http, since, self.settings.search_lag, self._now)

    def which_exist(self, keys: Sequence[str]) -> TicketsSeen:
        """Which of these tickets Jira still has: ``key in (...)`` searches of up to 100
        keys. A deleted key makes Jira refuse the whole search (400, naming it): it is taken
        out and the search asked again. A moved ticket answers under its new key."""
        gone: set[str] = set()
        found: dict[str, str] = {}
        left = list(dict.fromkeys(keys))
        while left:
            chunk, left = left[:100], left[100:]
            self._look_for(chunk, gone, found)
        return TicketsSeen(frozenset(gone), found)

    def _look_for(self, chunk: list[str], gone: set[str], found: dict[str, str]) -> None:
        """One ``key in (...)`` search; on a 400, the keys it names (Jira's English) are
        gone, and a 400 that names none (a site in another language) is narrowed down by
        halves until one key alone is refused: that one is gone."""
        while chunk:
            try:
                answer = list(self._http.search(f"key in ({', '.join(chunk)})", ["key"]))
            except BadRequest as exc:
                named = {m.group(1) for t in exc.messages if (m := MISSING_KEY.search(t))}
                missing = {k for k in chunk if k in named}
                if missing:
                    gone |= missing
                    chunk = [k for k in chunk if k not in missing]
                    continue
                if len(chunk) == 1:
                    gone.add(chunk[0])
                    return
                half = len(chunk) // 2
                self._look_for(chunk[:half], gone, found)
                self._look_for(chunk[half:], gone, found)
                return
            for raw in answer:
                name = str(property_of(raw).get("idempotency_key", ""))
                if name:
                    found[name] = str(raw["key"])
            return

    # -- reading, for doctor ---------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``/rest/api/2/<path>`` as JSON, with the retry policy."""
        return self._http.read(f"read {path}", path, params)

    def read_in_full(self, key: str) -> tuple[str, list[str]]:
        """Ticket ``key``'s description and every comment, oldest first (``jira_show``)."""
        return read_in_full(self._http, key)

    def search(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Issues matching ``jql`` (raw JSON), on whichever search API the site has."""
        return self._http.search(jql, fields)

    # -- helpers ---------------------------------------------------------------------------

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

    def _snapshot(self, raw: dict[str, Any], *, comments: bool = True) -> TicketSnapshot:
        # comments=False for a ticket found for an unsettled create: the tool writes its
        # comments only once the create is recorded, so it holds none of them yet.
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
            comments=self._comment_bodies(key) if comments else {},
            linked=linked_keys(fields, self.settings),
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

    def _wait_for_search(self, keys: Sequence[str], written_at: datetime | None) -> None:
        if not self.is_cloud:
            return  # Data Center search is consistent
        times = [written_at, *(self._unsure.get(key) for key in keys)]
        known = [t for t in times if t is not None]
        if not known:
            return
        wait = (max(known) + self.settings.search_lag - self._now()).total_seconds()
        if wait > 0:
            log.info("waiting %.1fs for Jira Cloud search to catch up", wait)
            self._sleep(wait)

    def _adopt(
        self, wanted: list[str], bare: list[dict[str, Any]], found: dict[str, TicketSnapshot]
    ) -> dict[str, TicketSnapshot]:
        """Data Center: an unsettled create's issue that lost its property (``adopt``),
        given the property now, so that it is never taken for another create's."""
        pair = adopt([key for key in wanted if key not in found], bare)
        if pair is None:
            return {}
        key, raw = pair
        log.info("%s carries the label of %s but no property: it is that create's", raw["key"], key)
        self._properties.put((str(raw["key"]), bare_property(key)))
        snapshot = self._snapshot(raw, comments=False)
        fingerprint = key.rpartition(":")[0]
        return {
            key: snapshot.model_copy(update={"idempotency_key": key, "fingerprint": fingerprint})
        }


def _marked(comment_key: str, body: str) -> str:
    """A comment's text as written: its body, fitted to Jira's limit with its marker."""
    suffix = f"\n\n{marker(comment_key)}"
    room = jira_wiki.DESCRIPTION_MAX - jira_wiki.java_length(suffix)
    return jira_wiki.fit(body, room) + suffix
