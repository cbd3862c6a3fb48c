"""Issue links for the Jira sink: the configured link type found, the link sent, links read.

A problem that comes back after the reopen window gets a new ticket, linked to the earlier
one with a real issue link of ``[jira] link_type`` (``POST /rest/api/2/issueLink``). Jira has
no idempotency key for links, so the link is a write between an intent and its record like
a comment, and an unknown outcome is settled by reading the issue's ``issuelinks``: the keys
at the other end of its links of that type (``linked_keys``). A link Jira refuses because
the earlier ticket was deleted is dropped (``refused_link``): no one can fix that. A link to
a ticket a merge displaced is deleted (``link_ids``: ``DELETE issueLink/{id}``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from typing import Any

from ..config.settings import JiraSettings
from ..errors import (
    ConfigError,
    DirsyncBridgeError,
    NotWritten,
    Retriable,
    Skippable,
    TicketGone,
    WriteUnconfirmed,
)
from .jira_http import JiraHttp

log = logging.getLogger(__name__)


class LinkTypes:
    """The site's link type named by ``[jira] link_type``, looked up once (``GET
    issueLinkType``) before the first link is sent."""

    def __init__(self, http: JiraHttp, settings: JiraSettings) -> None:
        """Nothing is asked until ``name()``."""
        self._http, self._settings = http, settings
        self._name: str | None = None
        self._lock = threading.Lock()

    def name(self) -> str:
        """The link type's own name (the setting may give its inward or outward words);
        ``ConfigError`` naming ``[jira] link_type`` when the site has no such type."""
        with self._lock:
            if self._name is None:
                answer = self._http.read(
                    "read the issue link types", "issueLinkType", need=("issueLinkTypes",)
                )
                types = [t for t in answer.get("issueLinkTypes") or [] if isinstance(t, dict)]
                self._name = match_link_type(self._settings.link_type, types)
            return self._name


def match_link_type(wanted: str, types: list[dict[str, Any]]) -> str:
    """The name of the type whose name, outward or inward words are ``wanted``
    (``ConfigError`` naming ``[jira] link_type`` and the types offered when none is)."""
    # A link names its type by name: a type answered without one cannot be used.
    named = [kind for kind in types if isinstance(kind.get("name"), str) and kind["name"]]
    for words in ("name", "outward", "inward"):
        for kind in named:
            if str(kind.get(words) or "").casefold() == wanted.casefold():
                return str(kind["name"])
    offered = ", ".join(str(t["name"]) for t in named) or "none"
    raise ConfigError(
        None,
        "[jira] link_type",
        f"Jira has no issue link type {wanted!r} (it has {offered}): set it to one of them",
    )


def link_body(key: str, to: str, type_name: str) -> dict[str, Any]:
    """``POST issueLink``: ``key`` (the new ticket) relates to ``to`` (the earlier one)."""
    return {
        "type": {"name": type_name},
        "outwardIssue": {"key": key},
        "inwardIssue": {"key": to},
    }


def linked_keys(fields: dict[str, Any], settings: JiraSettings) -> tuple[str, ...]:
    """The keys at the other end of an issue's links of the configured type (either way)."""
    wanted = settings.link_type.casefold()
    keys: list[str] = []
    for link in fields.get("issuelinks") or []:
        kind = link.get("type") or {}
        words = {str(kind.get(w) or "").casefold() for w in ("name", "inward", "outward")}
        if wanted not in words:
            continue
        for side in ("inwardIssue", "outwardIssue"):
            other = link.get(side)
            if isinstance(other, dict) and other.get("key"):
                keys.append(str(other["key"]))
    return tuple(keys)


def link_ids(fields: dict[str, Any], type_name: str, to: Collection[str]) -> list[str]:
    """The ids of an issue's links of the type named ``type_name`` (``LinkTypes.name``, the
    one ``link`` makes) whose other end is ``to`` (any of its keys, or its id)."""
    # By the type's own name, not by ``[jira] link_type``'s words: another type with those
    # words (an admin's "Related", "relates to" both ways) is a person's link, never deleted
    # (review rev38: a DELETE is not undone by the next run, as a missing link is).
    ids: list[str] = []
    for link in fields.get("issuelinks") or []:
        if not isinstance(link, dict) or link.get("id") is None:
            continue
        kind = link.get("type") or {}
        ends = [link.get(side) for side in ("inwardIssue", "outwardIssue")]
        if kind.get("name") == type_name and any(
            isinstance(e, dict) and (e.get("key") in to or str(e.get("id")) in to) for e in ends
        ):
            ids.append(str(link["id"]))
    return ids


def links_to(http: JiraHttp, key: str, to: str, type_name: str) -> list[str]:
    """The ids of ``key``'s links of the type named ``type_name`` to ``to``, read from Jira
    (for ``unlink``); ``NotWritten`` if they cannot be read (an answer without them, Jira
    busy or out of reach past the retries)."""
    try:
        return _links_to(http, key, to, type_name)
    except NotWritten:
        raise
    except Retriable as exc:
        # No DELETE has left yet: the unlink certainly did not happen. Said so, its intent
        # and its record go, and the next run sends it; an unlink of unknown outcome is
        # never sent again (``Ledger.unlinked``: the link may be a person's by then).
        raise NotWritten(str(exc)) from None


def _links_to(http: JiraHttp, key: str, to: str, type_name: str) -> list[str]:
    what = f"read the links of {key}"
    answer = http.read(what, f"issue/{key}", {"fields": "issuelinks"}, ticket=key)
    fields = answer.get("fields") if isinstance(answer, dict) else None
    if not isinstance(fields, dict) or not isinstance(fields.get("issuelinks"), list):
        # No links read is not "no links": the unlink recorded as done, the link would stay
        # for good (review rev38: a proxy's stripped copy of the issue). Nothing was written
        # yet: the next run tries again.
        raise NotWritten(f"Jira: {what}: an answer without the issue's links")
    ids = link_ids(fields, type_name, {to})
    if not ids and fields["issuelinks"]:
        # ``to`` may be under a new key, moved by a person to another project: its links
        # show that one (review rev38: the unlink deleted nothing, recorded as done).
        ids = link_ids(fields, type_name, _names_of(http, to))
    return ids


def unlink_confirmed(http: JiraHttp, key: str, to: str, missed: Collection[str]) -> None:
    """After ``DELETE issueLink/{id}`` answered 404 for the links ``missed``: read ``key``'s
    links once, and ``WriteUnconfirmed`` if any of them is still there.

    Jira's 404 means a person removed the link first, as wanted; but a 404 in Jira's shape
    may come from elsewhere (a wrong base path, a proxy), the link untouched, and taken for
    gone it stayed with no word (review rev42). Still there, the unlink's outcome is
    unknown: settled as any such (``ticket_apply.unlink_unsettled``: said, left alone)."""
    what = f"unlink {key} from {to}"
    try:
        answer = http.read(
            f"read the links of {key}", f"issue/{key}", {"fields": "issuelinks"}, ticket=key
        )
    except DirsyncBridgeError as exc:
        # A DELETE has left: whatever refuses the read (a proxy's 404 taken for the issue
        # deleted, a 400 or 403), the unlink's outcome is unknown, its record kept. Taken
        # for gone, the ticket was forgotten and made again; refused, the record was
        # dropped and a person's link made again deleted (review rev50).
        raise WriteUnconfirmed(f"Jira: {what}: HTTP 404, then its links unread ({exc})") from None
    fields = answer.get("fields") if isinstance(answer, dict) else None
    links = fields.get("issuelinks") if isinstance(fields, dict) else None
    if not isinstance(links, list):
        raise WriteUnconfirmed(f"Jira: {what}: HTTP 404, then an answer without its links")
    there = {str(link.get("id")) for link in links if isinstance(link, dict)}
    if there & set(missed):
        raise WriteUnconfirmed(
            f"Jira: {what}: HTTP 404, yet the link is still there (not Jira's answer: a "
            "wrong [jira] url path, a proxy?)"
        )


def _names_of(http: JiraHttp, key: str) -> set[str]:
    """``key``, and the id and key Jira answers it with now (a moved ticket's new one)."""
    try:
        answer = http.read(f"read {key}", f"issue/{key}", {"fields": "summary"}, ticket=key)
    except TicketGone:  # (not the ticket being written: never forgotten for this)
        return {key}  # deleted: its links went with it
    found = (answer.get(name) for name in ("id", "key")) if isinstance(answer, dict) else ()
    return {key, *(str(value) for value in found if value)}


def refused_link(http: JiraHttp, key: str, to: str, kind: str) -> None:
    """After ``POST issueLink`` answered 404: which end (or the type) is gone.

    ``TicketGone`` when ``key`` itself was deleted; nothing when the earlier ticket ``to``
    was (the link is dropped: recorded as written, so never sent again, and said once,
    here); ``Skippable`` when both are there (the link type went: a person can fix that).
    """
    http.read(f"read {key}", f"issue/{key}", {"fields": "status"}, ticket=key)
    try:
        http.read(f"read {to}", f"issue/{to}", {"fields": "status"}, ticket=to)
    except TicketGone:
        log.warning(
            "%s: not linked to the earlier ticket %s: it was deleted from Jira",
            key,
            to,
            extra={"event": "link-dropped", "ticket": key, "earlier": to},
        )
        return
    raise Skippable(
        f"{key}: Jira refused to link it to {to} (HTTP 404: the link type {kind!r} is "
        "gone?); skipped until fixed, the other tickets go on"
    )
