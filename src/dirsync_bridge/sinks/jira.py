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
  outcome is unknown (``jira_settle``: one search for up to 50 of them), and Cloud search
  lags behind writes (apis.md 3.2), so "not found" is trusted only once ``search_lag`` has
  passed since the write, and never in the run whose create got no answer: that run ends
  unconfirmed (exit 75) and the next one looks again.
- A comment carries a small visible marker naming its key, so that writing it again edits
  it instead of adding another; the body is cut so that body and marker fit Jira's limit.
- A problem's new ticket is joined to its earlier one by an issue link of ``[jira]
  link_type`` (``jira_links``), a write like a comment: a lost answer is settled by
  reading the issue's ``issuelinks``.
- A ticket a person deleted is reported gone (``TicketGone``) when the tool next writes to
  it, so that the problem gets a new ticket; each pass also looks for some open tickets
  (``jira_audit``), which people may delete when the tool has no reason to write to them.
  One a person moved to another project is still its ticket: Jira answers its old key.
  People's resolutions are learned by one query per check (``jira_people``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import crashpoints, interrupt
from ..config.settings import JiraSettings
from ..errors import (
    ResolvedMeanwhile,
    TicketGone,
    TransitionMissing,
    WriteUnconfirmed,
)
from ..ports import TicketContent, TicketSnapshot, TicketStatus
from ..sink_values import Found, Made, NewTicket, PeopleCheck, TicketsSeen
from ..ticket_text import jira_wiki
from .jira_audit import which_exist
from .jira_bulk import (
    IN_FLIGHT,
    MAX_ITEMS,
    Properties,
    checked,
    issue_update,
    label_list,
    labels_of,
    made_properties,
    not_theirs,
    outcomes,
    split,
    unsettled,
)
from .jira_http import JiraHttp, TooLarge
from .jira_links import LinkTypes, link_body, links_to, refused_link, unlink_confirmed
from .jira_people import resolution_of, resolved_since
from .jira_settle import FIELDS, Settle, snapshot_of
from .jira_shapes import readable_issue, transitions_of
from .jira_show import comment_pages, read_in_full
from .jira_wire import (
    PROPERTY,
    OutcomeUnknown,
    jira_token,
    marker,
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
        self._now = now
        self._comment_ids: dict[str, dict[str, str]] = {}
        """Issue key -> (comment key -> comment id), for issues whose comments we know."""
        self._properties = Properties(self._http)
        self._settle = Settle(self._http, settings, self._properties, sleep=sleep, now=now)
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
        return self._settle.find_many(keys, written_at, known)

    def snapshot(self, key: str) -> TicketSnapshot:
        """The ticket as Jira has it now (``TicketGone`` if it was deleted)."""
        params = {"fields": ",".join(FIELDS), "properties": PROPERTY}
        raw = self._http.read(f"read {key}", f"issue/{key}", params, ticket=key, need=("key",))
        return self._snapshot(readable_issue(raw, f"read {key}"))

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
        self,
        tickets: Sequence[NewTicket],
        *,
        reach_by: Callable[[datetime], None] | None = None,
        known: Callable[[str], bool] = lambda key: False,
    ) -> list[Made]:
        """One bulk POST: fields, labels, priority, components and the property of each.

        ``reach_by`` is told, before each attempt (a 429 is sent again after its wait), that
        the creates may reach Jira until the attempt times out, and once answered (or the
        answer lost), that they cannot any more. On Data Center, whose bulk create may
        ignore the property (``jira_bulk``), it is set afterwards where it is missing.
        ``known``: an answer naming an issue the ledger holds already is not believed
        (``jira_bulk.not_theirs``).
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
            return split(
                lambda part: self.create_many(part, reach_by=reach_by, known=known), tickets, exc
            )
        except OutcomeUnknown as exc:
            when = self._now()
            self._settle.unsure |= dict.fromkeys((t.idempotency_key for t in tickets), when)
            if reach_by is not None:
                reach_by(when)
            raise WriteUnconfirmed(
                f"Jira: creating the tickets of {names} got no clear answer ({exc}); they are "
                "looked for by label before any new attempt"
            ) from None
        if reach_by is not None:
            reach_by(self._now())  # answered: made before now, whenever a crash comes
        made = not_theirs(outcomes(self.settings, answer, tickets), tickets, known)
        keys = [outcome.key for outcome in made if isinstance(outcome, TicketSnapshot)]
        if keys and len(keys) < len(made):
            # Refusals are numbered by the answer alone: an issue must carry its item's label.
            made = checked(made, tickets, labels_of(self._http, keys))
        for ticket, outcome in zip(tickets, made, strict=True):
            if isinstance(outcome, WriteUnconfirmed):
                self._settle.unsure[ticket.idempotency_key] = self._now()
            elif isinstance(outcome, TicketSnapshot):
                self._settle.unsure.pop(ticket.idempotency_key, None)
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
        what = f"read the transitions of {key}"
        answer = self._http.read(what, path, ticket=key, need=("transitions",))
        offered = transitions_of(answer, what)
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

    def unlink(self, key: str, to: str) -> None:
        """Delete the issue links of ``[jira] link_type`` between ``key`` and ``to``."""
        ids = links_to(self._http, key, to, self._link_types.name())
        missed = []  # answered 404: gone already (a person removed it), or not Jira's 404
        for lid in ids:
            try:
                self._write(key, f"unlink {key} from {to}", "DELETE", f"issueLink/{lid}", None)
            except TicketGone:
                missed.append(lid)
        if missed:
            unlink_confirmed(self._http, key, to, missed)

    def resolved_since(self, since: datetime | None) -> PeopleCheck:
        """The tool's tickets Jira shows done that changed since ``since``: one query
        (``jira_people``), wherever people moved them."""
        return resolved_since(self._http, since, self.settings.search_lag, self._now)

    def which_exist(self, keys: Sequence[str]) -> TicketsSeen:
        """Which of these tickets Jira still has (``jira_audit``): ``key in (...)`` searches
        of up to 100 keys; a deleted key is taken out, a moved ticket answers under its new key."""
        return which_exist(self._http, keys)

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

    def _snapshot(self, raw: dict[str, Any]) -> TicketSnapshot:
        return snapshot_of(raw, self.settings, self._comment_bodies(str(raw["key"])))

    def _comment_bodies(self, key: str) -> dict[str, str]:
        bodies: dict[str, str] = {}
        ids: dict[str, str] = {}
        for comment in comment_pages(self._http, key):
            comment_key, text = split_marker(comment.get("body") or "")
            if comment_key is not None:
                bodies[comment_key], ids[comment_key] = text, str(comment["id"])
        self._comment_ids[key] = ids
        return bodies

    def _comments(self, key: str) -> dict[str, str]:
        if key not in self._comment_ids:
            self._comment_bodies(key)
        return self._comment_ids[key]


def _marked(comment_key: str, body: str) -> str:
    """A comment's text as written: its body, fitted to Jira's limit with its marker."""
    suffix = f"\n\n{marker(comment_key)}"
    room = jira_wiki.DESCRIPTION_MAX - jira_wiki.java_length(suffix)
    return jira_wiki.fit(body, room) + suffix
