"""What one request and one answer look like inside the Graph simulator, and Graph's errors.

Every Graph error leaves as apis.md section 1.5 shows it: `{"error": {"code", "message",
"innerError": {"date", "request-id", "client-request-id"}}}`; clients are meant to code against
`code` only. Entra (login) errors have their own OAuth shape, built in `login`.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

Json = dict[str, Any]
JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"
# Outlook's PascalCase codes and messages (apis.md 1.5, 1.6), reused across modules.
ITEM_NOT_FOUND = ("ErrorItemNotFound", "The specified object was not found in the store.")
ID_MALFORMED = ("ErrorInvalidIdMalformed", "Id is malformed.")
VERSION = "/v1.0"
# Structural path segments, matched case-insensitively; anything else is an id or a name.
SEGMENTS = {
    "users",
    "mailfolders",
    "childfolders",
    "messages",
    "delta",
    "$value",
    "move",
    "groups",
    "contacts",
    "$batch",
    "$count",
    "me",
}
_KEY = re.compile(r"^([A-Za-z$]+)\('(.*)'\)$")


class GraphError(Exception):
    """A Graph error answer: HTTP status, `error.code`, `error.message`, extra headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})

    def reply(self, request_id: str, client_request_id: str | None = None) -> Reply:
        """The answer carrying this error, stamped like Graph stamps `innerError`."""
        inner: Json = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
            "request-id": request_id,
            "client-request-id": client_request_id or request_id,
        }
        body = {"error": {"code": self.code, "message": self.message, "innerError": inner}}
        return Reply(self.status, body, dict(self.headers))


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    """A 400 with Graph's generic code unless told otherwise."""
    return GraphError(400, code, message)


def not_found(code_message: tuple[str, str] = ITEM_NOT_FOUND) -> GraphError:
    """A 404 with an Outlook code (item not found by default)."""
    return GraphError(404, *code_message)


@dataclass
class Reply:
    """One answer: status, body (JSON-able, raw bytes, or None for empty), extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE
    chunked: bool = False  # Transfer-Encoding: chunked instead of Content-Length
    truncated: bool = False  # chunked, and the connection closed before the last chunk

    def encode(self) -> bytes:
        """The body as it goes on the wire."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


@dataclass
class Request:
    """One Graph request after parsing: what the routes read.

    `segments` are the path after `/v1.0`, with OData key syntax (`mailFolders('x')`) split into
    two segments and structural names (users, mailfolders, ...) lower-cased: Graph matches them
    case-insensitively (apis.md 1.2 shows a deltaLink with `mailfolders`), while ids stay as
    sent because they are case-sensitive (apis.md 1.3).
    """

    method: str
    path: str  # as sent, from /v1.0 on, without the query string
    segments: list[str]
    params: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None
    in_batch: bool = False

    def param(self, name: str) -> str | None:
        """The last value of one query option, or None."""
        values = self.params.get(name)
        return values[-1] if values else None

    @property
    def prefer(self) -> dict[str, str]:
        """The `Prefer` preferences, lower-case names: `idtype`, `odata.maxpagesize`, ..."""
        prefs: dict[str, str] = {}
        for part in self.headers.get("prefer", "").split(","):
            name, _, value = part.strip().partition("=")
            if name:
                prefs[name.strip().lower()] = value.strip().strip('"')
        return prefs

    @property
    def immutable_ids(self) -> bool:
        """Whether the client asked for immutable ids (apis.md 1.3, [G-immut])."""
        return self.prefer.get("idtype", "").lower() == "immutableid"

    @property
    def text_body(self) -> bool:
        """Whether the client asked for text bodies (`outlook.body-content-type="text"`)."""
        return self.prefer.get("outlook.body-content-type", "").lower() == "text"


def new_request_id() -> str:
    """A request-id as Graph sends in the `request-id` header and `innerError`."""
    return str(uuid.uuid4())


def _segment(text: str) -> str:
    return text.lower() if text.lower() in SEGMENTS else text


def make_request(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: Any,
    *,
    in_batch: bool = False,
) -> Request:
    """A `Request` from a path under /v1.0, splitting OData keys: `users('x')` -> users, x."""
    segments: list[str] = []
    for raw in path[len(VERSION) :].split("/"):
        if not raw:
            continue
        text = unquote(raw)
        key = _KEY.match(text)
        if key:
            segments += [_segment(key.group(1)), key.group(2).replace("''", "'")]
        else:
            segments.append(_segment(text))
    return Request(
        method=method.upper(),
        path=path,
        segments=segments,
        params=parse_qs(query, keep_blank_values=True),
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
        in_batch=in_batch,
    )
