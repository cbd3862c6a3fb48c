"""Jira over HTTP: each request under the one retry policy, every bad answer sorted.

What can go wrong with one request, and what happens (the sink decides the rest):

- 429, 502, 503, 504: wait (``Retry-After``, else back off) and send again, within
  ``[jira] retry_for``; then ``Retriable`` (exit 75). For a write, any 5xx may come after
  Jira did the write: it is an *unknown outcome* (``OutcomeUnknown``), never sent again here.
- The connection: a request that never left (refused, no such host, connect timeout) is
  retried like a 503. One that may have reached Jira (reset, dropped, read timeout, a body
  cut short, an answer still coming in ``[jira] timeout`` after its headers: a stalled
  proxy trickling it) is retried if it reads, and is an unknown outcome if it writes.
- A 2xx that is not the JSON asked for (a captive portal's or a login proxy's HTML page, a
  body without the field asked for): the same as a dropped connection.
- A certificate that does not verify: a configuration error naming ``[jira] ca_bundle``.
- Before its first request, the site proves it is Jira: ``serverInfo``, which every Jira
  answers (to anyone), must be Jira's JSON (``versionNumbers``). A web site or another API
  answering 200 everywhere, or asking for its own sign-in (401 even without credentials),
  is a configuration error naming ``[jira] url``, found before any write is begun.
- Any other status: ``refused`` sorts it (wrong credentials, a URL that is not Jira, a
  ticket that is gone, a request Jira will never accept).

The ``jira`` library is used for its session (authentication, headers) only: its own retries
are off (it repeats POSTs blindly), and answers are parsed here, so that no error page ends
up in a log or a traceback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, TypeVar

import requests
from jira import JIRA, JIRAError

from ..config.settings import JiraSettings
from ..errors import ConfigError, NotWritten, Retriable
from ..http_bodies import whole_within
from ..json_answers import answer_json
from ..retry import RETRY_STATUSES, Budget, TryAgain, retry_after_seconds, retrying
from .jira_exchange import (
    UNUSABLE_URL,
    NotJson,
    Refusals,
    TooLarge,
    describe,
    exchange,
    header_refused,
    never_sent,
    without_credentials,
)
from .jira_library import api_url, session_of, trust
from .jira_paging import Paging
from .jira_wire import (
    EVERY_PERMISSION,
    PROPERTY,
    OutcomeUnknown,
    certificate_refused,
    error_json,
    is_server_info,
    not_jira,
    permission_needed,
    refused,
    tls_detail,
    tls_reason,
)

PAGE: Final = 100
"""Issues per search page (Jira's maximum for both search endpoints)."""

T = TypeVar("T")


class JiraHttp:
    """One Jira site: requests with the retry policy, searches with paging."""

    def __init__(
        self,
        settings: JiraSettings,
        token: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Remember how to connect; nothing is sent until the first request."""
        self.settings = settings
        self._token = token
        self._sleep, self._clock = sleep, clock
        self._client: JIRA | None = None
        self._cloud: bool | None = None
        self._info: dict[str, Any] | None = None
        """The site's serverInfo, once it has proved to be Jira."""
        self._lock = threading.RLock()
        """Writes run a few at a time in threads: the client and the site are made once."""

    @property
    def client(self) -> JIRA:
        """The library's client, made on first use (no request is sent to make it)."""
        with self._lock:
            return self._make_client()

    def _make_client(self) -> JIRA:
        if self._client is None:
            s = self.settings
            if s.ca_bundle is not None and not s.ca_bundle.is_file():
                raise ConfigError(
                    None, "[jira] ca_bundle", f"{s.ca_bundle} is not a file: give a CA's PEM file"
                )
            basic = s.deployment == "cloud" or (s.deployment == "auto" and bool(s.email))
            client = JIRA(
                options={"server": s.url.rstrip("/"), "verify": True, "check_update": False},
                basic_auth=(s.email, self._token) if basic else None,
                token_auth=None if basic else self._token,
                get_server_info=False,
                max_retries=0,
                timeout=s.timeout,
            )
            if s.ca_bundle is not None:
                trust(session_of(client), s.ca_bundle)
            # The library's timeout bounds each read, which a body trickling in passes: bound
            # each whole answer too (late: a ReadTimeout, for a write an unknown outcome).
            session_of(client).hooks["response"].append(whole_within(s.timeout))
            self._client = client
        return self._client

    @property
    def is_cloud(self) -> bool:
        """Whether the site is Jira Cloud (search API, eventual consistency)."""
        if self._cloud is None:
            deployment = self.settings.deployment
            if deployment == "auto":
                cloud = self.site().get("deploymentType") == "Cloud"
                deployment = "cloud" if cloud else "datacenter"
            self._cloud = deployment == "cloud"
        return self._cloud

    def site(self) -> dict[str, Any]:
        """The site's serverInfo, read once before anything else: ``[jira] url`` is Jira."""
        with self._lock:
            if self._info is None:
                self._info = self._call(
                    "read the server's information", self._server_info, ticket="", identify=True
                )
            return self._info

    def close(self) -> None:
        """Release the HTTP session."""
        if self._client is not None:
            self._client.close()  # type: ignore[no-untyped-call]
            self._client = None

    # -- requests --------------------------------------------------------------------------

    def read(
        self,
        what: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        ticket: str = "",
        need: Sequence[str] = (),
    ) -> Any:
        """GET ``/rest/api/2/<path>`` as JSON holding the keys in ``need``.

        ``ticket``: the issue the path is about (a 404 then means it is gone).
        """
        self.site()
        return self._call(
            what,
            lambda: exchange(self.client, self.settings, "GET", path, params, None, need),
            ticket=ticket,
            needs=permission_needed("GET", path),
        )

    def write(
        self,
        what: str,
        method: str,
        path: str,
        body: object | None,
        *,
        ticket: str,
        need: Sequence[str] = (),
        creating: bool = False,
        sending: Callable[[], None] | None = None,
        refusals: bool = False,
    ) -> Any:
        """Send a write; its JSON answer must hold the keys in ``need``.

        ``ticket``: the issue written to (for a create, the problem's label); ``sending``:
        called before each attempt leaves; ``refusals``: a 400 whose JSON lists refusals
        item by item (``errors``, a list: a bulk create of which no item was made) is
        returned as the answer, and a 413 raises ``TooLarge``. Raises ``OutcomeUnknown``
        when the write may or may not have happened.
        """
        try:
            self.site()
        except Retriable as exc:
            raise NotWritten(str(exc)) from None  # the write itself was never sent
        try:
            return self._call(
                what,
                lambda: exchange(self.client, self.settings, method, path, None, body, need),
                ticket=ticket,
                needs=permission_needed(method, path, body),
                write=True,
                creating=creating,
                sending=sending,
                refusals=refusals,
            )
        except Refusals as answer:
            return answer.body

    def search(self, jql: str, fields: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Issues matching ``jql`` (raw JSON, with our property), on the site's search API;
        each page guarded (``jira_paging``): a search that would page forever, or an item
        that is not an issue, ends it with ``Retriable``."""
        base = {"jql": jql, "fields": ",".join(fields), "properties": PROPERTY, "maxResults": PAGE}
        paging = Paging()
        if self.is_cloud:
            token: str | None = None
            while True:
                params = base | ({"nextPageToken": token} if token else {})
                page = self.read("search", "search/jql", params, need=("issues",))
                yield from paging.issues(page)
                token = paging.next_token(page)
                if not token:
                    return
        start = 0
        while True:
            # Data Center: /search with startAt/total (the /search/jql API is Cloud only).
            page = self.read(
                "search", "search", base | {"startAt": start}, need=("issues", "total")
            )
            issues = paging.issues(page)
            total = paging.total(page)
            yield from issues
            start += len(issues)
            if not issues or start >= total:
                return

    def _server_info(self) -> dict[str, Any]:
        """serverInfo if the site answers it as Jira does; else ``ConfigError`` (not Jira)."""
        try:
            answer = exchange(self.client, self.settings, "GET", "serverInfo", None, None, ())
        except JIRAError as exc:
            status = exc.status_code or 0
            if status in RETRY_STATUSES:
                raise  # busy or down: retried like any request
            if status in (401, 403) and self._anonymous_server_info():
                raise  # Jira, refusing these credentials (``refused`` says so)
            # Jira answers serverInfo to anyone: a site that will not is not Jira.
            raise not_jira(self.settings, f"HTTP {status}") from None
        if not is_server_info(answer):
            raise not_jira(self.settings, "JSON that is not Jira's: no versionNumbers")
        return dict(answer)

    def _anonymous_server_info(self) -> bool:
        """Whether the site answers serverInfo as Jira when asked without credentials."""
        client = self.client
        url = api_url(client, "serverInfo")
        try:
            answer = answer_json(session_of(client).request("GET", url, auth=without_credentials))
        except (JIRAError, ValueError, RecursionError):  # see jira_exchange.exchange
            return False
        return is_server_info(answer)

    def _call(
        self,
        what: str,
        fn: Callable[[], T],
        *,
        ticket: str,
        needs: str = EVERY_PERMISSION,
        write: bool = False,
        creating: bool = False,
        identify: bool = False,
        sending: Callable[[], None] | None = None,
        refusals: bool = False,
    ) -> T:
        s = self.settings
        pages: list[str] = []  # attempts answered with a page, not JSON, while identifying

        def attempt() -> T:
            if sending is not None:
                sending()
            try:
                return fn()
            except JIRAError as exc:
                status = exc.status_code or 0
                if write and status >= 500:  # it may have failed after the write
                    raise OutcomeUnknown(f"HTTP {status}") from None
                if refusals and status == 413:
                    # A proxy's body limit (nginx: 1 MiB by default): nothing reached Jira.
                    raise TooLarge(f"HTTP 413 from {s.url}") from None
                body = error_json(exc) if refusals and status == 400 else None
                if body is not None and isinstance(body.get("errors"), list):
                    raise Refusals(body) from None
                if status not in RETRY_STATUSES:  # 429: Jira did nothing, send it again
                    raise refused(s, what, exc, ticket, creating=creating, needs=needs) from None
                headers = exc.response.headers if exc.response is not None else {}
                wait = retry_after_seconds(headers.get("Retry-After"))
                raise TryAgain(f"HTTP {status} from {s.url}", wait) from None
            except requests.exceptions.SSLError as exc:
                if not certificate_refused(exc):
                    # The TLS layer failed past the handshake (a record broken mid-answer by
                    # a proxy or a load balancer): the write may have happened.
                    broke = f"the TLS connection to {s.url} broke ({tls_detail(exc)})"
                    if write:
                        raise OutcomeUnknown(broke) from None
                    raise TryAgain(broke) from None
                raise ConfigError(
                    None,
                    "[jira] ca_bundle",
                    f"the TLS certificate of {s.url} does not verify ({tls_reason(exc)}): set "
                    "it to the PEM file of the CA that signs the site's certificate (an "
                    "internal CA, or a TLS-inspecting proxy's)",
                ) from None
            except UNUSABLE_URL as exc:
                # Past the configuration's own check (``JiraUrl``), but still not an address
                # the HTTP stack can use: as much a configuration error, and nothing was sent.
                raise ConfigError(
                    None,
                    "[jira] url",
                    f"{s.url} cannot be used as an address ({type(exc).__name__}): give the "
                    "site's address, e.g. https://contoso.atlassian.net",
                ) from None
            except ValueError as exc:
                if not header_refused(exc):
                    raise
                # The stack's own message quotes the header, credentials included: never shown.
                raise ConfigError(
                    None,
                    "[jira] token_env",
                    "the token (from token_env or token_file) or [jira] email holds a "
                    "character an HTTP header cannot carry: give them exactly as issued",
                ) from None
            except (requests.RequestException, NotJson) as exc:
                if write and not never_sent(exc):
                    raise OutcomeUnknown(describe(exc, s.url)) from None
                if identify and type(exc) is NotJson:  # not NestedTooDeep, NoAnswer
                    pages.append(str(exc))
                raise TryAgain(describe(exc, s.url)) from None

        def give_up(again: TryAgain, budget: Budget) -> Exception:
            if len(pages) == budget.attempts:
                # A page once may be a captive portal's; a page on every attempt, for the
                # whole retry budget, is a web site that is not Jira.
                return not_jira(
                    s, f"{pages[-1]}, {budget.attempts} time(s) over {budget.waited:.0f}s"
                )
            # A write gets here only after answers that say Jira did nothing (429) or
            # connections never made: it certainly did not happen.
            return (NotWritten if write else Retriable)(
                f"Jira: {what}: {again.problem}, {budget.attempts} attempt(s) over "
                f"{budget.waited:.0f}s; the next run retries"
            )

        budget = Budget(s.retry_for.total_seconds(), sleep=self._sleep, clock=self._clock)
        return retrying(attempt, budget, give_up)


__all__ = ["PAGE", "JiraHttp", "TooLarge"]
