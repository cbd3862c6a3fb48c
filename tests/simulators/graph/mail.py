"""Mail routes under `/v1.0/users/{id|userPrincipalName}/`: folders, listing, one message, raw
MIME, mark read, move, delete; delta lives in `delta`.

Behaviour and where it comes from:
- listing (apis.md 1.1): `$select`, `$top` 1..1000 (default 10), `$filter` subset, `$orderby`
  (default `receivedDateTime desc`), the InefficientFilter rule (every `$orderby` property also
  in `$filter`, in the same order, before any other; `contains()` with `$orderby` fails too, per
  Mail-Otter#168), and `@odata.nextLink` with an opaque `$skiptoken`. The cursor is an offset
  into the live result, as Outlook's `$skip` is: moving messages out while paging skips some.
- `/$value` is `200 text/plain` with the stored MIME bytes; PATCH is 200 plus the message;
  `/move` is 201 plus the message under a NEW id unless `Prefer: IdType="ImmutableId"`
  (apis.md 1.3). DELETE moves to Deleted Items (204) and is logged like any request.
- mailbox errors (apis.md 1.5, 1.6): unknown user 404 ErrorInvalidUser; user without a mailbox
  404 MailboxNotEnabledForRESTAPI; denied by an application access policy 403 ErrorAccessDenied
  "Access to OData is disabled."; missing Mail.* permission 403 ErrorAccessDenied.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import delta, odata
from .directory import Directory
from .model import (
    MESSAGE_FIELDS,
    MESSAGE_GETTERS,
    Folder,
    Mailbox,
    Message,
    message_json,
    message_value,
)
from .odata import Call, ODataError
from .wire import GraphError, Json, Reply, Request, bad_request

MESSAGE_TYPE = "Microsoft.OutlookServices.Message"
INEFFICIENT = "The restriction or sort order is too complex for this operation."
READ_ROLES = {"Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic.All", "Mail.ReadBasic"}
FULL_READ_ROLES = {"Mail.Read", "Mail.ReadWrite"}  # ReadBasic excludes body and MIME (1.1)
FOLDER_FIELDS = (  # noqa: SIM905  (a word list reads better)
    "id displayName parentFolderId childFolderCount unreadItemCount totalItemCount isHidden"
).split()
# Literal types the filterable message properties take (anything else: "Invalid filter clause").
_DATETIMES = {"receiveddatetime", "sentdatetime", "createddatetime", "lastmodifieddatetime"}
_BOOLS = {"isread", "isdraft", "hasattachments"}
WRITABLE = {"isRead", "categories", "importance", "flag", "inferenceClassification"}


@dataclass
class MailContext:
    """What the mail routes read from the simulator for one request."""

    mailboxes: dict[str, Mailbox]  # user id -> mailbox
    directory: Directory
    base_url: str
    roles: set[str]
    denied: set[str]  # lower-case UPNs and ids refused by an access policy
    deltas: delta.DeltaStore
    gateway_timeout_top: int | None  # $top above this without $select -> 504 (apis.md 1.4)


def resolve(ctx: MailContext, key: str) -> Mailbox:
    """The mailbox a `/users/{key}` segment names, or the Graph error a client would get."""
    user = ctx.directory.find("user", key)
    if user is None:
        raise GraphError(404, "ErrorInvalidUser", f"The requested user '{key}' is invalid.")
    if user.aliases & ctx.denied:
        raise GraphError(403, "ErrorAccessDenied", "Access to OData is disabled.")
    if not user.has_mailbox:
        raise GraphError(
            404,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )
    return ctx.mailboxes[user.id]


def _need(roles: set[str], allowed: set[str]) -> None:
    if not roles & allowed:
        raise GraphError(
            403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
        )


def route(req: Request, ctx: MailContext) -> Reply | None:
    """Answer a mailbox request, or None when the path is not a mailbox one."""
    segs = req.segments
    if len(segs) < 3 or segs[0] != "users" or segs[2] not in ("mailfolders", "messages"):
        return None
    box = resolve(ctx, segs[1])
    writing = req.method != "GET"
    _need(ctx.roles, {"Mail.ReadWrite"} if writing else READ_ROLES)
    rest = segs[2:]
    folder: Folder | None = None
    if rest[0] == "mailfolders":
        if len(rest) == 1:
            return _folders(req, box, box.folder("msgfolderroot"), ctx)
        folder = box.folder(rest[1])
        if len(rest) == 2 and req.method == "GET":
            fields = _select(req, FOLDER_FIELDS)
            return Reply(200, _folder_context(ctx, req) | _pick(box.folder_json(folder), fields))
        if len(rest) == 3 and rest[2] == "childfolders":
            return _folders(req, box, folder, ctx)
        if len(rest) < 3 or rest[2] != "messages":
            return None
        rest = rest[2:]
    if rest == ["messages", "delta"] and folder is not None and req.method == "GET":
        return delta.serve(req, box, folder, ctx.deltas, ctx.base_url)
    if len(rest) == 1 and req.method == "GET":
        return _list(req, box, folder, ctx)
    if len(rest) < 2:
        return None
    msg = box.message(rest[1])
    match req.method, rest[2:]:
        case "GET", []:
            fields = _select(req)
            if fields is None or "body" in fields:
                _need(ctx.roles, FULL_READ_ROLES)
            return Reply(200, _message(req, msg, fields, ctx))
        case "GET", ["$value"]:
            _need(ctx.roles, FULL_READ_ROLES)
            return Reply(200, msg.raw, content_type="text/plain")
        case "PATCH", []:
            _patch(box, msg, req.body)
            return Reply(200, _message(req, msg, None, ctx))
        case "POST", ["move"]:
            dest = req.body.get("destinationId") if isinstance(req.body, dict) else None
            if not isinstance(dest, str) or not dest:
                raise bad_request("The destinationId parameter is required.", "ErrorInvalidRequest")
            box.move(msg, box.folder(dest))
            return Reply(201, _message(req, msg, None, ctx))
        case "DELETE", []:  # to Deleted Items; from there, out of sight (Recoverable Items)
            trash = box.folder("deleteditems")
            if msg.folder_id == trash.id:
                box.remove(msg)
            else:
                box.move(msg, trash)
            return Reply(204)
    return None


def _select(req: Request, known: Sequence[str] = MESSAGE_FIELDS) -> list[str] | None:
    try:
        kind = MESSAGE_TYPE if known is MESSAGE_FIELDS else "Microsoft.OutlookServices.MailFolder"
        return odata.select_fields(odata.parse_select(req.param("$select")), known, resource=kind)
    except ODataError as e:
        raise bad_request(str(e), "RequestBroker--ParseUri") from e


def _message(req: Request, msg: Message, fields: Sequence[str] | None, ctx: MailContext) -> Json:
    return message_json(
        msg, fields, immutable=req.immutable_ids, text=req.text_body, base_url=ctx.base_url
    )


def _folder_context(ctx: MailContext, req: Request) -> Json:
    return {
        "@odata.context": f"{ctx.base_url}/v1.0/$metadata#users('{req.segments[1]}')/"
        "mailFolders/$entity"
    }


def _pick(item: Json, fields: Sequence[str] | None) -> Json:
    return item if fields is None else {k: item[k] for k in ["id", *fields]}


def _parse(req: Request, default_top: int, max_top: int) -> tuple[odata.Node | None, int, int]:
    try:
        node = odata.parse_filter(f) if (f := req.param("$filter")) else None
        top = odata.parse_top(req.param("$top"), default_top, max_top)
        offset = odata.read_skiptoken(t) if (t := req.param("$skiptoken")) else 0
    except ODataError as e:
        raise bad_request(f"Invalid filter clause: {e}") from e
    return node, top, offset


def _page(
    req: Request,
    ctx: MailContext,
    items: list[Any],
    top: int,
    offset: int,
    context: str,
    render: Callable[[Any], Json],
) -> Reply:
    body: Json = {"@odata.context": f"{ctx.base_url}/v1.0/$metadata#{context}"}
    body["value"] = [render(i) for i in items[offset : offset + top]]
    if offset + top < len(items):
        body["@odata.nextLink"] = odata.next_link(ctx.base_url, req.path, req.params, offset + top)
    return Reply(200, body)


def _folders(req: Request, box: Mailbox, parent: Folder, ctx: MailContext) -> Reply:
    if req.method == "POST":
        body = req.body if isinstance(req.body, dict) else {}
        name = body.get("displayName")
        if not isinstance(name, str):
            raise bad_request("The displayName property is required.", "ErrorInvalidRequest")
        created = box.create_folder(parent, name)
        return Reply(201, _folder_context(ctx, req) | box.folder_json(created))
    if req.method != "GET":
        raise GraphError(405, "ErrorInvalidRequest", "The HTTP method is not supported here.")
    fields = _select(req, FOLDER_FIELDS)
    node, top, offset = _parse(req, 10, 1000)
    folders = [box.folder_json(f) for f in box.children(parent)]
    if node is not None:
        known = {f.lower(): f for f in FOLDER_FIELDS}
        for path in odata.filter_properties(node):
            if path not in known:
                raise bad_request(
                    f"Could not find a property named '{path}' on type "
                    "'Microsoft.OutlookServices.MailFolder'.",
                    "RequestBroker--ParseUri",
                )
        folders = [f for f in folders if odata.evaluate(node, _reader(f, known))]
    where = f"users('{req.segments[1]}')/mailFolders"
    return _page(req, ctx, folders, top, offset, where, lambda f: _pick(f, fields))


def _reader(item: Json, known: dict[str, str]) -> Callable[[str], Any]:
    """A filter getter over a JSON resource whose property names are matched any case."""
    return lambda path: item[known[path.lower()]]


def _sort_key(name: str, msg: Message) -> tuple[int, Any]:
    return odata.sort_key(message_value(msg, name))


def _check_filter(node: odata.Node) -> None:
    """Unknown properties and literals of the wrong type are 400s, as in Outlook."""
    for n in odata.walk(node):
        if not isinstance(n, odata.Cmp | odata.In | Call | odata.AnyOf):
            continue
        path = n.path.lower()
        if path not in MESSAGE_GETTERS:
            raise bad_request(
                f"Could not find a property named '{n.path}' on type '{MESSAGE_TYPE}'.",
                "RequestBroker--ParseUri",
            )
        if isinstance(n, odata.Cmp) and n.value is not None:
            want: type = datetime if path in _DATETIMES else bool if path in _BOOLS else str
            if not isinstance(n.value, want):
                message = f"'{n.path}' cannot be compared with {n.value!r}"
                raise bad_request(f"Invalid filter clause: {message}.")


def _list(req: Request, box: Mailbox, folder: Folder | None, ctx: MailContext) -> Reply:
    fields = _select(req)
    node, top, offset = _parse(req, 10, 1000)
    if fields is None or "body" in fields:
        _need(ctx.roles, FULL_READ_ROLES)
    try:
        order = odata.parse_orderby(req.param("$orderby"))
    except ODataError as e:
        raise bad_request(str(e)) from e
    if node is not None:
        _check_filter(node)
    for name, _ in order:
        if name not in MESSAGE_GETTERS:
            raise bad_request(
                f"Could not find a property named '{name}' on type '{MESSAGE_TYPE}'.",
                "RequestBroker--ParseUri",
            )
    if order and node is not None:
        # apis.md 1.1: $orderby properties first in $filter, in order; contains() never sorts.
        wanted = [name for name, _ in order]
        uses_contains = any(isinstance(n, Call) and n.name == "contains" for n in odata.walk(node))
        if odata.filter_properties(node)[: len(wanted)] != wanted or uses_contains:
            raise GraphError(400, "InefficientFilter", INEFFICIENT)
    limit = ctx.gateway_timeout_top
    if limit is not None and top > limit and fields is None:
        raise GraphError(504, "UnknownError", "")  # apis.md 1.1: big full pages time out
    found = box.in_folder(folder)
    if node is not None:
        found = [m for m in found if odata.evaluate(node, functools.partial(message_value, m))]
    for name, desc in reversed(order or [("receiveddatetime", True)]):
        found.sort(key=functools.partial(_sort_key, name), reverse=desc)
    where = f"users('{req.segments[1]}')/" + (
        f"mailFolders('{req.segments[3]}')/messages" if folder else "messages"
    )
    if fields:
        where += f"({','.join(fields)})"
    return _page(req, ctx, found, top, offset, where, lambda m: _message(req, m, fields, ctx))


def _patch(box: Mailbox, msg: Message, body: Any) -> None:
    """Apply a PATCH body (apis.md 1.3: isRead, categories replaces the whole collection)."""
    if not isinstance(body, dict) or not body:
        raise bad_request("Empty Payload. JSON content expected.", "RequestBodyRead")
    for name, value in body.items():
        if name in MESSAGE_FIELDS and name not in WRITABLE:
            raise bad_request(
                "Update operation is not supported for this property on a sent message.",
                "ErrorInvalidPropertyUpdateSentMessage",
            )
        if name not in WRITABLE:
            raise bad_request(
                f"The property '{name}' does not exist on type '{MESSAGE_TYPE}'.",
                "RequestBroker--ParseUri",
            )
        ok = {
            "isRead": isinstance(value, bool),
            "categories": isinstance(value, list) and all(isinstance(c, str) for c in value),
            "importance": value in ("low", "normal", "high"),
            "flag": isinstance(value, dict)
            and value.get("flagStatus") in ("notFlagged", "flagged", "complete"),
            "inferenceClassification": value in ("focused", "other"),
        }[name]
        if not ok:
            raise bad_request(
                f"Cannot convert the literal '{value}' for '{name}'.", "RequestBodyRead"
            )
    for name, value in body.items():
        if name == "isRead":
            msg.is_read = value
        elif name == "categories":
            msg.categories = list(value)
        elif name == "importance":
            msg.importance = value
        elif name == "flag":
            msg.flag_status = value["flagStatus"]
        else:
            msg.inference = value
    box.touch(msg)
