"""`GET /users/{id}/mailFolders/{id}/messages/delta`: rounds of changes to one folder.

As apis.md 1.2 describes it:
- query options (`$select`, `$top`, `$filter`, `$orderby`, `changeType`) count only on the
  initial request; they live in the server-side sync state that the `$skiptoken` of
  `@odata.nextLink` and the `$deltatoken` of `@odata.deltaLink` name, so clients replay links
  verbatim;
- `$filter` may only be `receivedDateTime ge|gt {v}` and `$orderby` only `receivedDateTime
  desc` (else 400 ErrorInvalidUrlQuery); page size is `Prefer: odata.maxpagesize` (or `$top`);
- a round ends with a deltaLink; following it yields what was created or changed since, and
  `{"id", "@removed": {"reason": "deleted"}}` for messages that left the folder (moved or
  deleted). The round's high-water mark is taken when it starts, so a change made while paging
  shows again in the next round (replays happen, apis.md 1.2 "merge idempotently");
- `DeltaStore.expire()` forgets every sync state: the next link answers 410 SyncStateNotFound.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from . import odata
from .model import MESSAGE_FIELDS, Folder, Mailbox, message_json
from .odata import Cmp, ODataError
from .wire import GraphError, Json, Reply, Request

BAD_FILTER = (
    "The '$filter' parameter value is not supported for 'Messages' resource; only a value of "
    "'receivedDateTime ge value' is supported."
)
BAD_ORDER = (
    "The '$orderby' parameter value is not supported for 'Messages' resource; only a value of "
    "'receivedDateTime desc' is supported."
)
MESSAGE_TYPE = "#microsoft.graph.message"


@dataclass(frozen=True)
class Query:
    """What the initial request asked for; every later link of the sync carries it."""

    folder_id: str
    fields: tuple[str, ...] | None
    since: datetime | None
    strict: bool  # gt rather than ge
    change_types: frozenset[str]
    page_size: int
    newest_first: bool


@dataclass(frozen=True)
class Round:
    """One round being paged: what to send, where we are, and the mark it started at."""

    query: Query
    entries: tuple[tuple[str, str, str], ...]  # ("item"|"removed", immutable id, regular id)
    offset: int
    mark: int


class DeltaStore:
    """Sync states by token, for every mailbox; `expire()` makes them all 410."""

    def __init__(self) -> None:
        self.rounds: dict[str, Round] = {}
        self.marks: dict[str, tuple[Query, int]] = {}
        self.generation = 1

    def expire(self) -> None:
        """Forget all sync states, as Outlook does when its delta token cache evicts them."""
        self.rounds.clear()
        self.marks.clear()
        self.generation += 1

    def gone(self) -> GraphError:
        """The 410 a forgotten token gets (apis.md 1.2, microsoft-graph-docs#2350)."""
        g = self.generation
        return GraphError(
            410,
            "SyncStateNotFound",
            f"The sync state generation is not found; generation={g - 1};[highest={g}][{g}].",
        )


def _initial(req: Request, folder: Folder) -> Query:
    try:
        selected = odata.parse_select(req.param("$select"))
        fields = odata.select_fields(selected, MESSAGE_FIELDS, resource="microsoft.graph.message")
        node = odata.parse_filter(f) if (f := req.param("$filter")) else None
        order = odata.parse_orderby(req.param("$orderby"))
        top = odata.parse_top(req.param("$top"), 10, 1000)
    except ODataError as e:
        raise GraphError(400, "ErrorInvalidUrlQuery", str(e)) from e
    since, strict = None, False
    if node is not None:
        if not (
            isinstance(node, Cmp)
            and node.path.lower() == "receiveddatetime"
            and node.op in ("ge", "gt")
            and isinstance(node.value, datetime)
        ):
            raise GraphError(400, "ErrorInvalidUrlQuery", BAD_FILTER)
        since, strict = node.value, node.op == "gt"
    if order not in ([], [("receiveddatetime", True)]):
        raise GraphError(400, "ErrorInvalidUrlQuery", BAD_ORDER)
    kinds = frozenset(c.strip().lower() for c in (req.param("changeType") or "").split(",") if c)
    if not kinds <= {"created", "updated", "deleted"}:
        raise GraphError(
            400, "ErrorInvalidUrlQuery", "changeType must be created, updated or deleted."
        )
    size = req.prefer.get("odata.maxpagesize", "")
    return Query(
        folder.id,
        tuple(fields) if fields else None,
        since,
        strict,
        kinds or frozenset({"created", "updated", "deleted"}),
        int(size) if size.isdigit() and int(size) > 0 else top,
        bool(order),
    )


def _changes(box: Mailbox, query: Query, since_seq: int | None) -> tuple[tuple[str, str, str], ...]:
    """What a round reports: messages new or changed after `since_seq`, then removals."""
    entries: list[tuple[str, str, str]] = []
    messages = box.in_folder(box.folders[query.folder_id])
    if query.newest_first:
        messages.reverse()
    for m in messages:
        if query.since is not None and (
            m.received < query.since or (query.strict and m.received == query.since)
        ):
            continue
        if since_seq is None or m.change_seq > since_seq:
            kind = "created" if since_seq is None or m.created_seq > since_seq else "updated"
            if kind in query.change_types:
                entries.append(("item", m.immutable_id, m.id))
    if since_seq is not None and "deleted" in query.change_types:
        for seq, immutable_id, regular_id in box.folders[query.folder_id].tombstones:
            if seq > since_seq:
                entries.append(("removed", immutable_id, regular_id))
    return tuple(entries)


def serve(req: Request, box: Mailbox, folder: Folder, store: DeltaStore, base_url: str) -> Reply:
    """Answer one delta request: initial, `$skiptoken` page, or `$deltatoken` round."""
    if (token := req.param("$skiptoken")) is not None:
        current = store.rounds.get(token)
        if current is None or current.query.folder_id != folder.id:
            raise store.gone()
    elif (token := req.param("$deltatoken")) is not None:
        marked = store.marks.get(token)
        if marked is None or marked[0].folder_id != folder.id:
            raise store.gone()
        query, since_seq = marked
        current = Round(query, _changes(box, query, since_seq), 0, box.seq)
    else:
        query = _initial(req, folder)
        current = Round(query, _changes(box, query, None), 0, box.seq)
    query = current.query
    page = current.entries[current.offset : current.offset + query.page_size]
    value: list[Json] = []
    for kind, immutable_id, regular_id in page:
        msg = box.messages.get(immutable_id)
        if kind == "removed":
            ref = immutable_id if req.immutable_ids else regular_id
            value.append(
                {"@odata.type": MESSAGE_TYPE, "id": ref, "@removed": {"reason": "deleted"}}
            )
        elif msg is not None and msg.folder_id == folder.id:  # gone since: next round says so
            item = message_json(
                msg,
                query.fields,
                immutable=req.immutable_ids,
                text=req.text_body,
                base_url=base_url,
            )
            value.append({"@odata.type": MESSAGE_TYPE} | item)
    link = f"{base_url}/v1.0/users/{req.segments[1]}/mailFolders('{folder.id}')/messages/delta"
    body: Json = {"@odata.context": f"{base_url}/v1.0/$metadata#Collection(message)"}
    new_token = secrets.token_urlsafe(24)
    if current.offset + query.page_size < len(current.entries):
        nxt = Round(query, current.entries, current.offset + query.page_size, current.mark)
        store.rounds[new_token] = nxt
        body["@odata.nextLink"] = f"{link}?$skiptoken={new_token}"
    else:
        store.marks[new_token] = (query, current.mark)
        body["@odata.deltaLink"] = f"{link}?$deltatoken={new_token}"
    body["value"] = value
    headers = {}
    if "odata.maxpagesize" in req.prefer:
        headers["Preference-Applied"] = f"odata.maxpagesize={query.page_size}"
    return Reply(200, body, headers)
