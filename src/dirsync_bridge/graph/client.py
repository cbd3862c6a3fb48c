"""The one Microsoft Graph client: app-only sign-in with msal, retries, paging, errors.

Every Graph feature (the mailbox source, and later the cloud look-ups) goes through one
``GraphClient`` per run, so that there is one token, one connection pool, one limit of four
requests in flight (Outlook's per-app concurrency limit, apis.md 1.4) and one retry policy.

- Sign-in: ``msal.ConfidentialClientApplication`` with a client secret (from the
  environment or a file) or a certificate (PEM + thumbprint), against the national cloud's
  login host or ``authority_url``. msal gets our own HTTP session, which passes ``verify=``
  on every request: ``REQUESTS_CA_BUNDLE`` would otherwise override a configured CA
  (without ``ca_bundle``, a variable naming a missing or non-PEM file is a configuration
  error naming it, before anything is sent). A busy login host (429, 5xx, whatever its body)
  is retried as its ``Retry-After`` says, like Graph.
- Requests: ``Prefer: IdType="ImmutableId"`` always (ids survive moves, apis.md 1.3);
  429/5xx retried as ``Retry-After`` says (or with backoff) within ``retry_for``; a 401
  gets one new token (msal's cached copy dropped: msal would give the refused one back);
  ``@odata.nextLink`` followed verbatim, but only on the configured Graph root's scheme and
  host (the token goes nowhere else), never twice in one listing (a link that loops back,
  from a bug or a proxy's cache, would page forever) and at most ``MAX_PAGES`` times; a page
  without its ``value`` list is no proof of an empty one. Each is a ``Retriable`` naming
  the listing as incomplete (exit 75): the next run reads it again.
- Broken answers are faults like a 503, retried by the same policy: any
  ``requests.RequestException`` (a dropped connection, a body cut off mid-chunk, a timeout)
  and any 2xx that is not the JSON asked for (an HTML page from a proxy or captive portal),
  from Graph and from the login host alike (msal gets a session that checks its answers).
  Writes too: every answer is read as Graph's JSON (there is no "any 2xx will do"), so a
  proxy's page is never taken for a write done. Our writes may be repeated safely: a move,
  a PATCH and a folder creation (409 when done) end the same however often they are sent.
- A TLS certificate that does not verify is a configuration error naming ``[graph]
  ca_bundle``, at once: retrying will not change it. Other TLS failures (a handshake cut
  short, a port that does not speak TLS) are network faults, retried and named.
- A download (``/$value``) whose body stays broken past the budget while Graph answers
  (empty, blank, a page instead of MIME: ``wire.answers_own``) is ``Unserved``, that one
  message's fault: the mailbox goes on to the next one. A 5xx/429 or a transport failure
  past the budget is a plain ``Retriable``: Graph itself is failing, and the pass stops.
- Errors: Graph's JSON (``{"error": {"code", "message"}}``) becomes ``Fatal`` (a person must
  change something: the message says what) or ``Retriable`` (exit 75, the next pass retries).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, TypeVar

import msal
import msal.exceptions
import requests

from .. import interrupt
from ..config.settings import GraphSettings
from ..errors import ConfigError, Retriable, SignInUnavailable, Unserved
from ..retry import RETRY_STATUSES, Budget, TryAgain, no_answer, retry_after_seconds, retrying
from ..secret_files import public, redact, sent
from .credentials import endpoints
from .paging import Paging, origin
from .wire import (
    BadAnswer,
    Busy,
    Session,
    answers_own,
    bounded,
    describe,
    environment_bundle_error,
    error_of,
    json_object,
    one_line,
    refused,
    untrusted,
)

__all__ = [
    "BadAnswer",
    "GraphClient",
    "Paging",
    "refused",
]

T = TypeVar("T")

log = logging.getLogger(__name__)

MAX_IN_FLIGHT: Final = 4
IMMUTABLE_IDS: Final = 'IdType="ImmutableId"'


class GraphClient:
    """Graph v1.0 for one run: one token, at most four requests in flight."""

    def __init__(
        self,
        settings: GraphSettings,
        credential: str | dict[str, str],
        *,
        sleep: Callable[[float], None] = interrupt.pause,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Nothing is sent until the first request."""
        if not settings.configured:
            raise ConfigError(None, "[graph] tenant_id", "and client_id are required")
        self.settings = settings
        self.login, self.root = endpoints(settings)
        for host in (self.login, self.root):  # the national cloud's too (secret_files.public)
            public(host.partition("://")[2])
        verify: str | bool = str(settings.ca_bundle) if settings.ca_bundle else True
        self._verify = verify
        self._session = Session(verify, settings.timeout, "[graph] graph_url", self.root)
        self._login_session = Session(
            verify, settings.timeout, "[graph] authority_url", self.login, json_only=True
        )
        self._credential = credential
        self._sleep, self._clock = sleep, clock
        self._slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._token_lock = threading.Lock()
        self._app: msal.ConfidentialClientApplication | None = None
        self._token: str | None = None

    def close(self) -> None:
        """Release the connection pools."""
        self._session.close()
        self._login_session.close()

    def budget(self) -> Budget:
        """A fresh retry budget of ``retry_for``, with this client's clock and sleep."""
        return Budget(self.settings.retry_for.total_seconds(), sleep=self._sleep, clock=self._clock)

    # -- sign-in ---------------------------------------------------------------------------

    def token(self, refused: str | None = None) -> str:
        """An access token for Graph (one per run, unless Graph refuses it).

        ``refused``: the token Graph just answered 401 to. msal would hand the same one back
        from its cache (it is not expired by msal's clock), so it is dropped there too and a
        new one is asked for, once: other threads refused the same token get the new one.
        A login host that fails in a way that may pass (unreachable, busy, 5xx, a broken or
        HTML answer) is retried with the retry policy, then ``SignInUnavailable`` (exit 75).
        """
        with self._token_lock:
            if refused is not None and refused == self._token:
                self._token = None
                if self._app is not None:
                    self._app.remove_tokens_for_client()
            if self._token is None:
                if self._verify is True:  # no ca_bundle: requests' variables decide
                    trust_error = environment_bundle_error(os.environ)
                    if trust_error is not None:
                        raise trust_error
                self._token = retrying(self._acquire, self.budget())
            return self._token

    def _acquire(self) -> str:
        s = self.settings
        where = f"{self.login}/{s.tenant_id}"
        try:
            if self._app is None:
                self._app = msal.ConfidentialClientApplication(
                    s.client_id,
                    client_credential=self._credential,
                    authority=where,
                    # Instance discovery asks login.microsoftonline.com about the host:
                    # pointless (and unreachable) for an overridden or national login host.
                    instance_discovery=False if s.authority_url else None,
                    http_client=self._login_session,
                    timeout=s.timeout,
                )
            result = self._app.acquire_token_for_client(scopes=[f"{self.root}/.default"])
        except ValueError as exc:
            # msal's word for "the authority answered 4xx": an unknown tenant, a bad host.
            raise ConfigError(
                None,
                "[graph] tenant_id",
                f"sign-in at {where} failed: {one_line(redact(str(exc)))}",
            ) from None
        except requests.RequestException as exc:
            config_error = untrusted(exc, self.login)
            if config_error is not None:
                raise config_error from None
            wait = exc.retry_after if isinstance(exc, Busy) else None
            raise _unavailable(describe(exc, self.login), wait) from None
        except msal.exceptions.MsalServiceError as exc:
            # A 5xx the session does not retry itself (501, 505...): msal raises for it.
            answered = one_line(redact(str(exc)))
            raise _unavailable(f"{self.login} answered {answered}", None) from None
        if "access_token" in result:
            # A credential too (an hour of the app's permissions): a gateway that echoes the
            # request headers in an error would show it (secret_files.redact hides it).
            return sent(str(result["access_token"]))
        # An upstream's words, which may echo the request (a gateway showing the form it
        # got, client_secret=... included): the secret is hidden before the text is cut.
        error = one_line(redact(str(result.get("error", "error"))))[:100]
        description = one_line(redact(str(result.get("error_description", ""))))[:300]
        if error in ("temporarily_unavailable", "server_error") or "throttl" in description:
            raise _unavailable(f"{error}: {description}", None)
        raise ConfigError(
            None,
            "[graph] client_id",
            f"sign-in refused ({error}: {description}): check tenant_id, client_id and the "
            f"client secret in ${s.client_secret_env} (or the certificate)",
        )

    # -- requests --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """A full URL for a path under /v1.0. A full URL (a next link an answer gave) is
        returned as is only on the Graph root's scheme and host: the bearer token goes to no
        other host, whoever asks (``Retriable``, the listing incomplete)."""
        if "://" not in path:
            return f"{self.root}/v1.0{path}"
        if origin(path) != origin(self.root):
            raise Retriable(
                f"Graph: a link to {origin(path) or 'nowhere'} (not {self.root}) was not "
                "followed; the listing is incomplete, the next run retries"
            )
        return path

    def request_json(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        json: object = None,
    ) -> dict[str, Any]:
        """One Graph request whose answer must be a JSON object (retried when it is not).

        Every answer this tool acts on is Graph's JSON (or a raw message, ``download``):
        there is no way to send a request and take whatever 2xx comes back, so a proxy's
        HTML page is never taken for a write that was done or a check that passed.
        """
        return self._call(method, path, what, params=params, json=json, read=json_object)

    def get_json(
        self, path: str, *, what: str, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """GET, as a JSON object."""
        return self.request_json("GET", path, what=what, params=params)

    def download(self, path: str, *, what: str, limit: int | None = None) -> bytes:
        """GET a raw body (``/$value``), streamed: over ``limit`` bytes raises ``TooLarge``
        having read at most one chunk past the limit; an HTML page or an empty body is
        retried, and so is one slower than ``timeout`` plus 1 s a 64 KiB (``wire.bounded``)."""
        return self._call(
            "GET",
            path,
            what,
            read=lambda response: bounded(response, what, limit, self.settings.timeout),
            stream=True,
            one_answer=True,
        )

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        read: Callable[[requests.Response], T],
        params: Mapping[str, str] | None = None,
        json: object = None,
        stream: bool = False,
        one_answer: bool = False,
    ) -> T:
        """``one_answer``: a broken body past the budget is ``Unserved`` (see the module)."""
        url = self.url(path)
        refreshed = False
        own = False  # whether the last failure was the answer's own (its body), not Graph's

        def attempt() -> T:
            nonlocal refreshed, own
            own = False
            try:
                token = self.token()
                sent = {"Authorization": f"Bearer {token}", "Prefer": IMMUTABLE_IDS}
                with self._slots:
                    response = self._session.request(
                        method, url, params=params, json=json, headers=sent, stream=stream
                    )
                    try:
                        # Not ``ok`` (below 400): a 3xx that is no redirect is no answer.
                        if response.status_code < 300:
                            # Read inside the slot: the answer is in flight until its last byte.
                            return read(response)
                        response.content  # noqa: B018  (an error's body, read before release)
                    finally:
                        response.close()
            except requests.RequestException as exc:
                config_error = untrusted(exc, self.root)
                if config_error is not None:
                    raise config_error from None
                own = answers_own(exc)
                raise TryAgain(describe(exc, self.root)) from None
            status = response.status_code
            if status < 400:  # a 3xx that is no redirect: no answer to read, retried
                raise TryAgain(no_answer(status, response.headers.get("Location")))
            if status in RETRY_STATUSES:
                code, _ = error_of(response)
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                raise TryAgain(f"HTTP {status} {code}", wait)
            if status == 401 and not refreshed:
                refreshed = True
                self.token(refused=token)
                raise TryAgain("HTTP 401", retry_after=0.0)
            raise refused(what, response)

        def give_up(again: TryAgain, budget: Budget) -> Retriable:
            kind = Unserved if one_answer and own else Retriable
            return kind(
                f"Graph: {what}: {again.problem} after {budget.attempts} attempt(s) over "
                f"{budget.waited:.0f}s; the next run retries"
            )

        return retrying(attempt, self.budget(), give_up)

    def pages(
        self, path: str, *, what: str, params: Mapping[str, str] | None = None
    ) -> Iterator[Any]:
        """Every item of a collection, following ``@odata.nextLink`` as ``Paging`` allows."""
        paging = self.paging(what)
        url: str | None = path
        query = params
        while url is not None:
            page = self.get_json(url, what=what, params=query)
            yield from paging.items(page)
            url, query = paging.next(page), None

    def paging(self, what: str) -> Paging:
        """The guard of one listing's pages (``what``: the listing, as errors name it)."""
        return Paging(self.root, what)


def _unavailable(problem: str, retry_after: float | None) -> TryAgain:
    """A sign-in attempt that failed in a way that may pass: tried again as the retry policy
    (or the login host's ``Retry-After``) says, then ``SignInUnavailable`` (exit 75)."""
    error = SignInUnavailable(f"Graph sign-in: {problem}; the next run retries")
    return TryAgain(problem, retry_after, error=error)
