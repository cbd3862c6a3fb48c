"""Fault switches and the request log of the Jira simulator.

The faults are the ones apis.md section 3.3 says the `jira` library meets and partly survives:
429 and 503 with `Retry-After` (retried by `ResilientSession`, POSTs included), a create that
succeeded server-side but answered 503 (the retry makes a duplicate), and Cloud's eventually
consistent `/search/jql` (section 3.2, "Eventual consistency"). Every switch can be flipped from
the test thread while the server runs; random draws come from one seeded `random.Random`, so a
run with the same seed and the same request sequence fails the same requests.

`break_next` aims one fault at the next request of a kind (a comment, a transition, a search):
Jira may do the request and the answer is lost (a 5xx, a dropped connection, a body cut
mid-chunk), or a proxy answers instead of Jira (a captive portal's HTML page with 200).
"""

from __future__ import annotations

import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from ..log import Log

API = "/rest/api/2/"

Kind = Literal[
    "create",
    "edit",
    "comment",
    "edit-comment",
    "delete-comment",
    "transition",
    "property",
    "link",
    "unlink",
    "search",
    "comments",
    "read",
]
"""``comments`` is reading an issue's comment list (what settles a lost comment); ``read``
aims at any other GET, or at the next GET of any kind, comment lists included."""
Outcome = int | Literal["drop", "chunked", "html", "trickle"]
"""How an answer goes wrong: an HTTP status (with Jira's error body), "drop" (the connection
closes without an answer), "chunked" (200, the chunked body cut short), "html" (200 with an
HTML page, as a captive portal or a login proxy sends), "trickle" (Jira's own answer, sent a
byte at a time, `Faults.trickle_every` seconds apart: a stalled proxy)."""
PORTAL_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in to the guest network</title></head>"
    b"<body><form action='/login'>Accept the terms to continue</form></body></html>"
)


def kind_of(method: str, route: str) -> Kind:
    """What a request does, in the terms `break_next` aims at (route: after /rest/api/2/)."""
    parts = route.split("/")
    if parts[0] == "search":
        return "search"
    if method == "POST" and parts == ["issueLink"]:
        return "link"
    if method == "DELETE" and parts[0] == "issueLink":
        return "unlink"
    if method == "GET" and parts[0] == "issue" and parts[2:] == ["comment"]:
        return "comments"
    if parts[0] == "issue" and method != "GET":
        match method, len(parts):
            case "POST", 1:
                return "create"
            case "POST", 2 if parts[1] == "bulk":
                return "create"  # a bulk create is a create: the same faults hit it
            case "PUT", 2:
                return "edit"
            case "POST", 3 if parts[2] == "comment":
                return "comment"
            case "POST", 3 if parts[2] == "transitions":
                return "transition"
            case "PUT", 4 if parts[2] == "comment":
                return "edit-comment"
            case "DELETE", 4 if parts[2] == "comment":
                return "delete-comment"
            case "PUT", 4 if parts[2] == "properties":
                return "property"
    return "read"


@dataclass(frozen=True)
class Mishap:
    """One aimed fault: the kind of request it hits, what the client gets, and whether Jira
    did the request first (True: the write happened, only its answer is lost)."""

    kind: Kind
    outcome: Outcome
    reaches_jira: bool


@dataclass(frozen=True)
class Broken:
    """An answer that is not an HTTP answer Jira would give: see `Outcome`."""

    how: Literal["drop", "chunked", "html", "trickle"]
    status: int = 200
    body: bytes = b""  # "trickle": Jira's answer, sent slowly


@dataclass
class Faults:
    """What the simulator does wrong, and how often. All rates are fractions of requests."""

    rate_429: float = 0.0
    rate_503: float = 0.0
    retry_after: str | None = "0"  # None: no Retry-After header (the library then backs off itself)
    latency: float = 0.0  # seconds added to every request
    trickle_every: float = 0.5  # "trickle": seconds between the bytes of the answer
    create_then_503: float = 0.0  # POST issue: create for real, then answer 503
    search_lag: float = 0.0  # Cloud search: issues younger than this are invisible...
    # ...unless listed in reconcileIssues. Server/DC search is always consistent.
    include_server_info: bool = False  # also fault GET serverInfo (the client's constructor)
    server_info_checks_credentials: bool = False  # serverInfo answers anyone without
    # credentials, but 401 to wrong ones, as Jira Cloud does (default: it answers anyone)
    queue: deque[int] = field(default_factory=deque)  # statuses for the next requests, in order
    aimed: list[Mishap] = field(default_factory=list)  # for `break_next`, oldest first
    refused: list[tuple[str, int]] = field(default_factory=list)  # for `refuse_create`
    bulk_drops_properties: bool = False  # bulk create ignores `properties`: a Jira whose
    # request bean has no such field and ignores unknown ones (Jira Server's IssueUpdateBean)

    def break_next(
        self, kind: Kind, outcome: Outcome = 503, *, reaches_jira: bool = True, times: int = 1
    ) -> None:
        """Spoil the answer to the next `times` requests of `kind` (see the module docstring).

        `reaches_jira=False`: Jira never sees the request (a proxy answers, or the connection
        drops before it gets there).
        """
        self.aimed.extend([Mishap(kind, outcome, reaches_jira)] * times)

    def refuse_create(self, containing: str, status: int = 400) -> None:
        """Refuse every create (one or an item of a bulk create) whose summary contains
        `containing`, with `status` and a field error on the summary: a bulk create answers
        it item by item (`errors[].failedElementNumber`), creating the others."""
        self.refused.append((containing, status))

    def refusal(self, summary: str) -> int | None:
        """The status `refuse_create` gives a create with this summary, if any."""
        return next((status for text, status in self.refused if text in summary), None)

    def take(self, kind: Kind, also: Kind | None = None) -> Mishap | None:
        """The aimed fault for this request, if one waits for its kind (used up once);
        ``also``: another kind it does as well (an edit that adds a comment is a comment)."""
        for n, mishap in enumerate(self.aimed):
            if mishap.kind in (kind, also) or (mishap.kind == "read" and kind == "comments"):
                return self.aimed.pop(n)
        return None

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` faultable requests with `status`, whatever the rates."""
        self.queue.extend([status] * times)

    def draw(self, rng: random.Random) -> int | None:
        """The status to fail this request with, if any: the queue first, then the rates."""
        if self.queue:
            return self.queue.popleft()
        if self.rate_429 and rng.random() < self.rate_429:
            return 429
        if self.rate_503 and rng.random() < self.rate_503:
            return 503
        return None

    def answer(self, status: int) -> tuple[int, dict[str, Any], dict[str, str]]:
        """An injected failure as Jira Cloud sends it: status, JSON body, headers."""
        headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
        message = {429: "Rate limit exceeded.", 503: "Service Unavailable"}
        if status == 429:
            reset = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(time.time() + 60))
            headers |= {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0"}
            headers["X-RateLimit-Reset"] = reset
        body = {"errorMessages": [message.get(status, f"Injected failure {status}.")], "errors": {}}
        return status, body, headers


@dataclass(frozen=True)
class Record:
    """One request as the simulator saw it."""

    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    body: Any  # parsed JSON body, or None
    status: int
    time: float

    @property
    def is_search(self) -> bool:
        """Whether this was a JQL search (GET or POST, old or new endpoint)."""
        return self.path.endswith(("/search", "/search/jql"))


class RequestLog(Log["Record"]):
    """Every request, in arrival order; safe to read while the server runs."""

    def count(self, method: str | None = None, prefix: str | None = None) -> int:
        """Requests with this method and path prefix; a prefix without "/" is under /rest/api/2/."""
        if prefix is not None and not prefix.startswith("/"):
            prefix = API + prefix
        return sum(
            1
            for r in self.records
            if (method is None or r.method == method.upper())
            and (prefix is None or r.path.startswith(prefix))
        )

    def writes(self) -> list[Record]:
        """POST/PUT/DELETE requests that are not searches."""
        writing = {"POST", "PUT", "DELETE"}
        return [r for r in self.records if r.method in writing and not r.is_search]

    def searches(self) -> list[Record]:
        """JQL searches, GET or POST."""
        return [r for r in self.records if r.is_search]
