"""The one Microsoft Graph client: app-only sign-in with msal, retries, paging, errors.

Every Graph feature (the mailbox source, and later the cloud look-ups) goes through one
``GraphClient`` per run, so that there is one token, one connection pool, one limit of four
requests in flight (Outlook's per-app concurrency limit, apis.md 1.4) and one retry policy.

- Sign-in: ``msal.ConfidentialClientApplication`` with a client secret (from the
  environment or a file) or a certificate (PEM + thumbprint), against the national cloud's
  login host or ``authority_url``. msal gets our own HTTP session, which passes ``verify=``
  on every request: ``REQUESTS_CA_BUNDLE`` would otherwise override a configured CA.
- Requests: ``Prefer: IdType="ImmutableId"`` always (ids survive moves, apis.md 1.3);
  429/503/504 retried as ``Retry-After`` says (or with backoff) within ``retry_for``; a 401
  gets one fresh token; ``@odata.nextLink`` followed verbatim.
- Errors: Graph's JSON (``{"error": {"code", "message"}}``) becomes ``Fatal`` (a person must
  change something: the message says what) or ``Retriable`` (exit 75, the next pass retries).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import msal
import requests

from .config import GraphSettings
from .errors import ConfigError, Fatal, Retriable
from .retry import RETRY_STATUSES, Budget, retry_after_seconds

log = logging.getLogger(__name__)

CLOUDS: Final[dict[str, tuple[str, str]]] = {
    # cloud -> (login host, Graph root), apis.md 1.9
    "global": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgov": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgov-dod": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}
MAX_IN_FLIGHT: Final = 4
IMMUTABLE_IDS: Final = 'IdType="ImmutableId"'
_PERMISSION_HINT: Final = (
    "grant the app the application permission Mail.Read (Mail.ReadWrite to move, mark or "
    "categorise) with admin consent; if the app is scoped to some mailboxes (application "
    "access policy or RBAC for Applications), put this mailbox in its scope (changes can "
    "take an hour)"
)


class GraphError(Fatal):
    """Graph refused a request for a reason a person must fix."""

    def __init__(self, message: str, status: int, code: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


class _Session(requests.Session):
    """A session that gives every request ``verify=`` and a timeout (msal uses it too)."""

    def __init__(self, verify: str | bool, timeout: float) -> None:
        super().__init__()
        self._verify, self._timeout = verify, timeout

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """``Session.request`` with our ``verify`` and ``timeout``."""
        kwargs["verify"] = self._verify
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def endpoints(settings: GraphSettings) -> tuple[str, str]:
    """(login host, Graph root) for the configured cloud and overrides, without a slash."""
    login, graph = CLOUDS[settings.cloud]
    return (settings.authority_url or login).rstrip("/"), (settings.graph_url or graph).rstrip("/")


def graph_credential(settings: GraphSettings, env: Mapping[str, str]) -> str | dict[str, str]:
    """msal's ``client_credential``: a certificate if configured, else the secret."""
    if settings.certificate_path is not None:
        if not settings.certificate_thumbprint:
            raise ConfigError(
                None, "[graph] certificate_thumbprint", "is required with a certificate"
            )
        try:
            key = settings.certificate_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                None,
                "[graph] certificate_path",
                f"{settings.certificate_path}: {exc.strerror or exc}",
            ) from None
        return {"private_key": key, "thumbprint": settings.certificate_thumbprint}
    secret = env.get(settings.client_secret_env, "").strip()
    if not secret and settings.client_secret_file is not None:
        try:
            secret = settings.client_secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                None,
                "[graph] client_secret_file",
                f"{settings.client_secret_file}: {exc.strerror or exc}",
            ) from None
    if not secret:
        raise ConfigError(
            None,
            "[graph] client_secret_env",
            f"the environment variable {settings.client_secret_env} is not set (and no "
            "client_secret_file or certificate_path): put the app's client secret there",
        )
    return secret


class GraphClient:
    """Graph v1.0 for one run: one token, at most four requests in flight."""

    def __init__(
        self,
        settings: GraphSettings,
        credential: str | dict[str, str],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Nothing is sent until the first request."""
        if not settings.configured:
            raise ConfigError(None, "[graph] tenant_id", "and client_id are required")
        self.settings = settings
        self.login, self.root = endpoints(settings)
        verify: str | bool = str(settings.ca_bundle) if settings.ca_bundle else True
        self._session = _Session(verify, settings.timeout)
        self._credential = credential
        self._sleep, self._clock = sleep, clock
        self._slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._token_lock = threading.Lock()
        self._app: msal.ConfidentialClientApplication | None = None
        self._token: str | None = None

    def close(self) -> None:
        """Release the connection pool."""
        self._session.close()

    # -- sign-in ---------------------------------------------------------------------------

    def token(self, *, fresh: bool = False) -> str:
        """An access token for Graph (one per run, unless Graph refuses it)."""
        with self._token_lock:
            if self._token is None or fresh:
                self._token = self._acquire()
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
                    http_client=self._session,
                    timeout=s.timeout,
                )
            result = self._app.acquire_token_for_client(scopes=[f"{self.root}/.default"])
        except ValueError as exc:
            # msal's word for "the authority answered 4xx": an unknown tenant, a bad host.
            raise ConfigError(
                None, "[graph] tenant_id", f"sign-in at {where} failed: {_one_line(str(exc))}"
            ) from None
        except requests.RequestException as exc:
            raise Retriable(
                f"Graph sign-in: cannot reach {self.login} ({type(exc).__name__}); "
                "the next run retries"
            ) from None
        if "access_token" in result:
            return str(result["access_token"])
        error = str(result.get("error", "error"))
        description = _one_line(str(result.get("error_description", "")))[:300]
        if error in ("temporarily_unavailable", "server_error") or "throttl" in description:
            raise Retriable(f"Graph sign-in: {error}: {description}; the next run retries")
        raise ConfigError(
            None,
            "[graph] client_id",
            f"sign-in refused ({error}: {description}): check tenant_id, client_id and the "
            f"client secret in ${s.client_secret_env} (or the certificate)",
        )

    # -- requests --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """A full URL for a path under /v1.0 (a full URL is returned as is)."""
        return path if "://" in path else f"{self.root}/v1.0{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        json: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One Graph request with the retry policy; a refusal raises with ``what`` in it."""
        url = self.url(path)
        budget = Budget(
            self.settings.retry_for.total_seconds(), sleep=self._sleep, clock=self._clock
        )
        refreshed = False
        while True:
            token = self.token()
            sent = {"Authorization": f"Bearer {token}", "Prefer": IMMUTABLE_IDS, **(headers or {})}
            try:
                with self._slots:
                    response = self._session.request(
                        method, url, params=params, json=json, headers=sent
                    )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if budget.wait(None):
                    continue
                raise Retriable(
                    f"Graph: {what}: cannot reach {self.root} ({type(exc).__name__}); "
                    "the next run retries"
                ) from None
            if response.ok:
                return response
            status = response.status_code
            if status in RETRY_STATUSES:
                if budget.wait(retry_after_seconds(response.headers.get("Retry-After"))):
                    continue
                code, _ = _error(response)
                raise Retriable(
                    f"Graph: {what}: HTTP {status} {code} after {budget.attempts} attempt(s) "
                    f"over {budget.waited:.0f}s; the next run retries"
                )
            if status == 401 and not refreshed:
                refreshed = True
                self.token(fresh=True)
                continue
            raise refused(what, response)

    def get_json(self, path: str, *, what: str, params: Mapping[str, str] | None = None) -> Any:
        """GET, as JSON."""
        return self.request("GET", path, what=what, params=params).json()

    def pages(
        self, path: str, *, what: str, params: Mapping[str, str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink`` exactly as given."""
        url: str | None = path
        query = params
        while url is not None:
            page = self.get_json(url, what=what, params=query)
            yield from page.get("value", [])
            url, query = page.get("@odata.nextLink"), None


def refused(what: str, response: requests.Response) -> GraphError:
    """Graph's error answer as an error that says what to do."""
    status = response.status_code
    code, message = _error(response)
    text = f"Graph: {what}: HTTP {status} {code}: {message}"
    if status == 403 or code in ("ErrorAccessDenied", "Authorization_RequestDenied"):
        text += f"; {_PERMISSION_HINT}"
    elif code in ("ErrorInvalidUser", "MailboxNotEnabledForRESTAPI", "MailboxNotFound"):
        text += "; check [source.mailbox] mailbox (an Exchange Online mailbox's address)"
    elif status == 401:
        text += "; the token was refused twice: check the app registration and its consent"
    return GraphError(text, status, code)


def _error(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", _one_line(response.text)[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", _one_line(str(body))[:200]
    return str(error.get("code", "")), _one_line(str(error.get("message", "")))[:300]


def _one_line(text: str) -> str:
    return " ".join(text.split())
