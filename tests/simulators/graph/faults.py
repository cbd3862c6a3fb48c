"""Fault switches, the concurrency gauge and the request log of the Graph simulator.

The faults are the ones apis.md 1.4 says a Graph client meets: 429 with `Retry-After` in
seconds (body `TooManyRequests`, the throttling doc's sample), 503 (`serviceNotAvailable`,
may carry `Retry-After`), 504 (gateway timeout, also for big `$top` pages without `$select`),
and Outlook's concurrency limit: a fifth request in flight gets 429 `ApplicationThrottled`
"Application is over its MailboxConcurrency limit." (apis.md 1.4, 1.8). Added: latency and
dropped connections (design.md section 7), and answers that are not what was asked for: a
200 carrying an HTML page (what a captive portal or a TLS-inspecting proxy sends back) and a
chunked body cut off before its last chunk (a connection lost mid-answer); and a one-off 500
`generalException` (Graph's answer to an internal fault that passes). `path_contains`
narrows every injected fault to the requests whose path holds that text (`/$value`,
`/$batch`, `/oauth2/v2.0/token`), `methods` to those sent with one of these methods (the
mailbox writes: PATCH and POST). Every switch can be flipped while the server runs; random
draws come from one seeded `random.Random`, so the same seed and the same request sequence
fail the same requests.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Literal

from ..log import Log
from .wire import GraphError

GRAPH = "/v1.0/"
DROP = 0  # the "status" of a dropped connection, in the queue and in the log
HTML = -1  # in the queue: a 200 whose body is an HTML page, not what was asked for
TRUNCATE = -2  # in the queue: the real answer, chunked, cut off before its last chunk
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in to continue</title></head>"
    b"<body><p>Your connection is being checked by the network proxy.</p></body></html>"
)
MAILBOX_CONCURRENCY = "Application is over its MailboxConcurrency limit."
# Request headers worth keeping in the log (the Authorization value itself is never kept).
LOGGED_HEADERS = ("prefer", "consistencylevel", "content-type", "client-request-id", "x-client-sku")


@dataclass
class Faults:
    """What the simulator does wrong, and how often. Rates are fractions of requests."""

    rate_429: float = 0.0
    rate_503: float = 0.0
    rate_504: float = 0.0
    drop_rate: float = 0.0  # close the connection without answering
    retry_after: str | None = "1"  # on 429/503; None: no header (apis.md 1.4 shows both)
    path_contains: str | None = None  # only requests whose path holds this are faulted
    methods: frozenset[str] | None = None  # only requests with one of these methods, if set
    latency: float = 0.0  # seconds added to every request, while it counts as in flight
    # Outlook: at most this many requests in flight, per mailbox or for the whole app
    # (apis.md 1.4: the docs say per app, community answers per mailbox). None: no limit.
    concurrency_limit: int | None = 4
    concurrency_scope: Literal["mailbox", "app"] = "mailbox"
    batch_item_429: float = 0.0  # each $batch sub-request, on its own (apis.md 1.8)
    batch_item_503: float = 0.0  # the same, answered 503 serviceNotAvailable
    batch_parallel_limit: int | None = 4  # parallel sub-requests per mailbox in one $batch
    gateway_timeout_top: int | None = None  # message lists with $top above this and no $select
    include_login: bool = False  # also fault the openid-configuration and token endpoints
    chunked: bool = False  # send every body with Transfer-Encoding: chunked, no Content-Length
    # Message ids (regular or immutable) deleted for good right after the next message
    # listing is answered: a person empties them out between a client's listing and its
    # `/$value` (which then gets 404 ErrorItemNotFound).
    vanish_after_listing: set[str] = field(default_factory=set)
    # What a person does in Outlook right after the next message listing is answered, to
    # these message ids: opens them (isRead, so lastModifiedDateTime becomes now), or
    # deletes them (a move to Deleted Items: the immutable id stays valid there).
    read_after_listing: set[str] = field(default_factory=set)
    trash_after_listing: set[str] = field(default_factory=set)
    # Every access token issued so far expires right after the next listing (revoked, or
    # expired early): the next Graph request with one gets 401.
    expire_tokens_after_listing: bool = False
    queue: deque[int] = field(default_factory=deque)  # statuses for the next requests
    # (path fragment, status) for the next requests that follow an `@odata.nextLink` (carry
    # a `$skiptoken`): a fault in the middle of paging, never on a listing's first page.
    page_queue: deque[tuple[str, int]] = field(default_factory=deque)

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` faultable requests with 429, 500, 503 or 504, drop them (0),
        send an HTML page with 200 (`HTML`) or cut the real answer off mid-body (`TRUNCATE`)."""
        if status not in (DROP, HTML, TRUNCATE, 429, 500, 503, 504):
            raise ValueError(
                f"can only inject 429, 500, 503, 504, 0 (drop), HTML or TRUNCATE, not {status}"
            )
        self.queue.extend([status] * times)

    def fail_pages(self, status: int, times: int = 1, *, path_contains: str = "") -> None:
        """Answer the next `times` requests for a page after the first (they carry a
        `$skiptoken`) whose path holds `path_contains` with `status` (as `fail_next`); 400
        is Entra ID's `Directory_ExpiredPageToken`, which a large tenant's directory listing
        meets while it pages (msgraph-sdk-dotnet#2254, msgraph-sdk-java#368)."""
        if status not in (DROP, HTML, TRUNCATE, 400, 429, 500, 503, 504):
            raise ValueError(f"cannot inject {status} into a page")
        self.page_queue.extend([(path_contains, status)] * times)

    def draw_page(self, path: str, params: dict[str, list[str]]) -> int | None:
        """The status to fail this request with if it is a later page `fail_pages` aims at."""
        if not self.page_queue or "$skiptoken" not in params:
            return None
        fragment, status = self.page_queue[0]
        if fragment not in path:
            return None
        self.page_queue.popleft()
        return status

    def applies_to(self, path: str, method: str = "GET") -> bool:
        """Whether this request may be faulted at all (`path_contains`, `methods`)."""
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.path_contains is None or self.path_contains in path

    def draw(self, rng: random.Random) -> int | None:
        """The status to fail this request with, if any: the queue first, then the rates."""
        if self.queue:
            return self.queue.popleft()
        for status, rate in (
            (DROP, self.drop_rate),
            (429, self.rate_429),
            (503, self.rate_503),
            (504, self.rate_504),
        ):
            if rate and rng.random() < rate:
                return status
        return None

    def error(self, status: int) -> GraphError:
        """An injected failure as Graph sends it."""
        headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
        if status == 429:
            return GraphError(429, "TooManyRequests", "Please retry again later.", headers)
        if status == 503:
            message = "Service Unavailable. Please retry after a delay."
            return GraphError(503, "serviceNotAvailable", message, headers)
        if status == 400:  # a page token Entra ID no longer honours: only on a later page
            message = (
                "The specified page token value has expired and can no longer be included "
                "in your request."
            )
            return GraphError(400, "Directory_ExpiredPageToken", message)
        if status == 500:  # no Retry-After: an internal fault, not throttling
            return GraphError(500, "generalException", "General exception while processing.")
        return GraphError(504, "UnknownError", "")

    def concurrency_error(self) -> GraphError:
        """The 429 for a request over the concurrency limit."""
        headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
        return GraphError(429, "ApplicationThrottled", MAILBOX_CONCURRENCY, headers)


class InFlight:
    """Counts requests in flight: overall, and per concurrency key (a mailbox, or "app")."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._present: Counter[str] = Counter()  # arrived, not yet answered (throttled too)
        self._admitted: Counter[str] = Counter()  # holding one of the limited slots
        self.total = 0
        self.max_total = 0
        self.max_by_key: Counter[str] = Counter()

    def arrive(self) -> None:
        """A request arrived (any path)."""
        with self._lock:
            self.total += 1
            self.max_total = max(self.max_total, self.total)

    def leave(self) -> None:
        """A request was answered (or dropped)."""
        with self._lock:
            self.total -= 1

    def admit(self, key: str, limit: int | None) -> bool:
        """Count a request for `key` and take a slot unless `limit` are taken; call `release`
        with the result once it is answered, admitted or not."""
        with self._lock:
            self._present[key] += 1
            self.max_by_key[key] = max(self.max_by_key[key], self._present[key])
            if limit is not None and self._admitted[key] >= limit:
                return False
            self._admitted[key] += 1
            return True

    def release(self, key: str, admitted: bool) -> None:
        """The request counted by `admit` was answered."""
        with self._lock:
            self._present[key] -= 1
            if admitted:
                self._admitted[key] -= 1

    def reset(self) -> None:
        """Forget the peaks (the current counts stay)."""
        with self._lock:
            self.max_total = self.total
            self.max_by_key.clear()


@dataclass(frozen=True)
class Record:
    """One request as the simulator saw it (a `$batch` sub-request has `in_batch`)."""

    method: str
    path: str  # without the query string; for a sub-request, /v1.0 + its relative URL
    query: dict[str, list[str]]
    headers: dict[str, str]  # LOGGED_HEADERS present, plus "authorization": the scheme only
    body: Any  # parsed JSON; for the token endpoint, the form without any secret
    status: int  # 0: the connection was dropped
    time: float
    mailbox: str | None = None  # the /users/{x} segment of a mailbox request, lower-case
    in_batch: bool = False

    @property
    def is_token(self) -> bool:
        """Whether this was a token request (POST .../oauth2/v2.0/token)."""
        return self.method == "POST" and self.path.endswith("/oauth2/v2.0/token")

    @property
    def is_graph(self) -> bool:
        """Whether this was a Graph request (anything under /v1.0/)."""
        return self.path.startswith(GRAPH)


class RequestLog(Log["Record"]):
    """Every request, in arrival order; safe to read while the server runs."""

    def count(
        self, method: str | None = None, prefix: str | None = None, *, in_batch: bool = False
    ) -> int:
        """Requests with this method and path prefix (a prefix without "/" is under /v1.0/);
        network requests only, unless `in_batch` asks for `$batch` sub-requests instead."""
        if prefix is not None and not prefix.startswith("/"):
            prefix = GRAPH + prefix
        return sum(
            1
            for r in self.records
            if r.in_batch == in_batch
            and (method is None or r.method == method.upper())
            and (prefix is None or r.path.startswith(prefix))
        )

    def token_requests(self) -> int:
        """How many times a client asked the token endpoint."""
        return sum(r.is_token for r in self.records)

    def graph(self) -> list[Record]:
        """Graph requests that went over the network (no login, no sub-requests)."""
        return [r for r in self.records if r.is_graph and not r.in_batch]

    def writes(self) -> list[Record]:
        """Graph PATCH/POST/PUT/DELETE, sub-requests included, `$batch` envelopes excluded."""
        return [
            r
            for r in self.records
            if r.is_graph and r.method != "GET" and not r.path.endswith("/$batch")
        ]

    def deletes(self) -> list[Record]:
        """Every DELETE, sub-requests included (the tool must never send one)."""
        return [r for r in self.records if r.method == "DELETE"]

    def statuses(self, prefix: str | None = None) -> list[int]:
        """Statuses of network requests under a path prefix, in order (0: dropped)."""
        if prefix is not None and not prefix.startswith("/"):
            prefix = GRAPH + prefix
        return [
            r.status
            for r in self.records
            if not r.in_batch and (prefix is None or r.path.startswith(prefix))
        ]
