"""`POST /v1.0/$batch`: up to 20 sub-requests in one round trip (apis.md 1.8, [G-batch]).

- The envelope is 400 as a whole when malformed: no `requests` list, more than 20 requests,
  an id used twice (case-insensitively), a `dependsOn` naming no earlier request.
- Each sub-request is run as if sent alone (same token) and answered with its own `status`,
  `headers` and `body`; a non-JSON body (`/$value`) comes back base64-encoded. `headers` of a
  sub-request are its own: `Prefer` and `ConsistencyLevel` must be given per request (1.7).
- Sub-requests are throttled one by one: `Faults.batch_item_429` (`batch_item_503`) makes any
  of them 429 (503) with `Retry-After` (none when `Faults.retry_after` is None), and more
  than `Faults.batch_parallel_limit` parallel (no `dependsOn`) sub-requests for one mailbox
  get 429 ApplicationThrottled (apis.md 1.8, answers 734143).
- `dependsOn` a failed request gives 424; responses come back in a seeded shuffled order,
  because Graph does not keep request order and clients must match on `id`.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from typing import Any

from .faults import Faults
from .wire import VERSION, GraphError, Json, Reply, Request, bad_request, make_request

LIMIT = 20


def _envelope(body: Any) -> list[Json]:
    """The sub-requests, or the 400 for the whole batch."""
    items = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise bad_request("Invalid batch payload format.")
    if len(items) > LIMIT:
        raise bad_request(f"Invalid batch payload format: more than {LIMIT} requests.")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) and item.get(k) for k in ("id", "method", "url")
        ):
            raise bad_request("Invalid batch payload format: each request needs id, method, url.")
        key = item["id"].lower()
        if key in seen:
            raise bad_request(f"Invalid batch payload format: duplicate request id '{item['id']}'.")
        depends = item.get("dependsOn", [])
        if not isinstance(depends, list) or any(str(d).lower() not in seen for d in depends):
            raise bad_request(f"Invalid batch payload format: bad dependsOn in '{item['id']}'.")
        seen.add(key)
    return items


def _sub_request(item: Json) -> Request:
    url = str(item["url"])
    if "://" in url:
        raise bad_request("The request URL of a batch item must be relative.")
    path, _, query = url.partition("?")
    headers = item.get("headers") or {}
    if not isinstance(headers, dict):
        raise bad_request("Invalid batch payload format: headers must be an object.")
    if "body" in item and not any(k.lower() == "content-type" for k in headers):
        raise bad_request("Content-Type header must be specified when the body is present.")
    path = VERSION + "/" + path.lstrip("/")
    return make_request(item["method"], path, query, headers, item.get("body"), in_batch=True)


def _mailbox(req: Request) -> str | None:
    segs = req.segments
    if len(segs) >= 3 and segs[0] == "users" and segs[2] in ("mailfolders", "messages"):
        return segs[1].lower()
    return None


def serve(
    req: Request,
    run: Callable[[Request], Reply],
    faults: Faults,
    draw: Callable[[float], bool],
    shuffle: Callable[[list[Json]], None],
    request_id: str,
    record: Callable[[Json, Request | None, Reply], None],
) -> Reply:
    """Run a batch; `run` answers one sub-request, `draw(rate)` is a seeded coin, `shuffle`
    a seeded shuffle, `record`
    logs each item (its parsed request when it got that far) with its answer."""
    items = _envelope(req.body)
    status: dict[str, int] = {}
    parallel: Counter[str] = Counter()
    responses: list[Json] = []
    for item in items:
        depends = [str(d).lower() for d in item.get("dependsOn", [])]
        sub: Request | None = None
        try:
            if any(not 200 <= status[d] < 300 for d in depends):
                raise GraphError(424, "FailedDependency", "A request this one depends on failed.")
            sub = _sub_request(item)
            mailbox = _mailbox(sub)
            if mailbox and not depends:
                parallel[mailbox] += 1
            limit = faults.batch_parallel_limit
            if faults.batch_item_429 and draw(faults.batch_item_429):
                raise faults.error(429)
            if faults.batch_item_503 and draw(faults.batch_item_503):
                raise faults.error(503)
            if mailbox and not depends and limit is not None and parallel[mailbox] > limit:
                raise faults.concurrency_error()
            reply = run(sub)
        except GraphError as e:
            reply = e.reply(request_id)
        status[item["id"].lower()] = reply.status
        record(item, sub, reply)
        responses.append(_response(item["id"], reply))
    shuffle(responses)
    return Reply(200, {"responses": responses})


def _response(item_id: str, reply: Reply) -> Json:
    headers = dict(reply.headers)
    out: Json = {"id": item_id, "status": reply.status, "headers": headers}
    if reply.body is None:
        return out
    headers["Content-Type"] = reply.content_type
    if isinstance(reply.body, bytes):
        out["body"] = base64.b64encode(reply.body).decode()
    else:
        out["body"] = reply.body
    return out
