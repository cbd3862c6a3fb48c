"""Pytest fixtures for the Graph simulator; a conftest imports them by name.

from tests.simulators.graph.fixtures import ca_bundle_env, graph_client, graph_sim  # noqa: F401

TLS trust (design.md section 7): this machine and CI set `REQUESTS_CA_BUNDLE`/`CURL_CA_BUNDLE`,
and `requests` lets those override `session.verify`, but not a `verify=` given to the request
itself. So `PinnedSession` passes `verify=<the simulator's CA>` on every request, msal gets
one as its `http_client`, and `ca_bundle_env` points both variables at a bundle that does NOT
hold the simulator's CA, so that a request that forgot `verify=` fails loudly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import certifi
import msal
import pytest
import requests

from .server import GRAPH_SCOPE, GraphSimulator

TIMEOUT = 10.0  # seconds; every request has one (style.md rule 5)
REPORT_SENDER = "MSOnlineServicesTeam@MicrosoftOnline.com"
REPORT_SUBJECT = "Directory Synchronization Error Report"


class PinnedSession(requests.Session):
    """A `requests.Session` that trusts exactly one CA file, whatever the environment says,
    and gives every request a timeout."""

    def __init__(self, ca_path: str, timeout: float = TIMEOUT) -> None:
        super().__init__()
        self.ca_path, self.timeout = ca_path, timeout

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """`Session.request` with `verify=` and `timeout=` set unless given."""
        kwargs.setdefault("verify", self.ca_path)
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def tool_settings(sim: GraphSimulator, **overrides: Any) -> dict[str, Any]:
    """The ``[graph]`` section that points dirsync-bridge at this simulator."""
    return {
        "tenant_id": sim.tenant_id,
        "client_id": sim.client_id,
        "authority_url": sim.url,
        "graph_url": sim.url,
        "ca_bundle": sim.ca_path,
        **overrides,
    }


def build_app(
    sim: GraphSimulator,
    credential: Any = None,
    *,
    tenant_id: str | None = None,
    client_id: str | None = None,
    session: requests.Session | None = None,
) -> msal.ConfidentialClientApplication:
    """A real msal app against the simulator (its discovery request happens here).

    `credential` is what production passes as `client_credential` (a secret, or a dict with
    `private_key` and `thumbprint` or `public_certificate`); the simulator's secret by default.
    """
    return msal.ConfidentialClientApplication(
        client_id or sim.client_id,
        client_credential=sim.client_secret if credential is None else credential,
        authority=sim.authority(tenant_id),
        instance_discovery=False,  # msal would ask login.microsoftonline.com (apis.md 2.3)
        http_client=session or PinnedSession(sim.ca_path),
    )


@dataclass
class GraphClient:
    """A real msal app and a requests session against one simulator, as a tool would hold."""

    sim: GraphSimulator
    app: msal.ConfidentialClientApplication
    session: requests.Session

    def token(self) -> str:
        """An access token from msal (its cache first); fails the test on an msal error."""
        result = self.app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
        if "access_token" not in result:
            raise AssertionError(f"msal returned no token: {result}")
        return str(result["access_token"])

    def request(
        self, method: str, path_or_url: str, *, auth: bool = True, **kwargs: Any
    ) -> requests.Response:
        """One Graph request: a path under /v1.0 or a full URL (a nextLink), bearer token
        added unless `auth` is False, `verify=` the simulator's CA given explicitly."""
        url = path_or_url if "://" in path_or_url else self.sim.graph_url + path_or_url
        headers = dict(kwargs.pop("headers", None) or {})
        if auth:
            headers.setdefault("Authorization", f"Bearer {self.token()}")
        return self.session.request(
            method, url, headers=headers, verify=self.sim.ca_path, timeout=TIMEOUT, **kwargs
        )

    def get(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        """GET; see `request`."""
        return self.request("GET", path_or_url, **kwargs)

    def post(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        """POST; see `request`."""
        return self.request("POST", path_or_url, **kwargs)

    def patch(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        """PATCH; see `request`."""
        return self.request("PATCH", path_or_url, **kwargs)


def mime_message(
    subject: str = REPORT_SUBJECT,
    sender: str = f"Microsoft Online Services Team <{REPORT_SENDER}>",
    body: str = "Errors were found during directory synchronization.",
    *,
    to: str = "dirsync@contoso.com",
    date: datetime | None = None,
) -> bytes:
    """A small RFC 822 message as bytes, for `add_message`."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = format_datetime(date or datetime(2024, 9, 2, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain="microsoftonline.com")
    msg.set_content(body)
    return msg.as_bytes()


def graph_error(response: requests.Response) -> tuple[int, str, str]:
    """(status, error.code, error.message) of a Graph error answer, after checking it has
    Graph's shape (apis.md 1.5: `innerError` with `request-id` and `date`)."""
    body = response.json()["error"]
    assert {"request-id", "date"} <= set(body["innerError"]), body
    return response.status_code, body["code"], body["message"]


def deliver(
    sim: GraphSimulator,
    count: int,
    *,
    mailbox: str = "dirsync@contoso.com",
    folder: str = "inbox",
    first: datetime = datetime(2024, 9, 1, tzinfo=UTC),
    **mime: Any,
) -> list[str]:
    """`count` messages (`mime_message(**mime)`) received one a day from `first`; their ids,
    oldest first."""
    return [
        sim.add_message(mailbox, folder, mime_message(**mime), received=first + timedelta(i)).id
        for i in range(count)
    ]


@functools.cache
def client_certificate() -> tuple[str, str, str]:
    """A self-signed RSA certificate for certificate auth, made once per run:
    (private key PEM, certificate PEM, SHA-1 thumbprint hex as the Azure portal shows it)."""
    return self_signed_certificate("dirsync-bridge test app")


def self_signed_certificate(common_name: str) -> tuple[str, str, str]:
    """A new self-signed RSA certificate named ``common_name``, valid from yesterday for a
    month: (private key PEM, certificate PEM, SHA-1 thumbprint hex)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return key_pem, cert_pem, cert.fingerprint(hashes.SHA1()).hex()


@pytest.fixture
def ca_bundle_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE set to certifi's bundle, as on this machine and
    CI: trusted by requests over `session.verify`, and without the simulator's CA."""
    bundle = certifi.where()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
    monkeypatch.setenv("CURL_CA_BUNDLE", bundle)
    return bundle


@pytest.fixture
def graph_sim() -> Iterator[GraphSimulator]:
    """A running simulator with fresh state: the default app (secret), mailbox
    dirsync@contoso.com, seed 1."""
    with GraphSimulator(seed=1) as sim:
        yield sim


@pytest.fixture
def graph_client() -> Iterator[Callable[..., GraphClient]]:
    """A factory of `GraphClient`s (real msal + requests) for a simulator, closed at teardown.

    `graph_client(sim, credential=None, tenant_id=None, client_id=None)`; see `build_app`.
    """
    sessions: list[requests.Session] = []

    def connect(sim: GraphSimulator, credential: Any = None, **kwargs: Any) -> GraphClient:
        session = PinnedSession(sim.ca_path)
        sessions.append(session)
        return GraphClient(sim, build_app(sim, credential, session=session, **kwargs), session)

    yield connect
    for session in sessions:
        session.close()
