"""The Entra ID side: what msal's `ConfidentialClientApplication.acquire_token_for_client` calls.

apis.md 2.3 and msal 1.39's own source (authority.py, application.py) say msal makes exactly:
1. `GET /{tenant}/v2.0/.well-known/openid-configuration` when the app is built (instance
   discovery is off with `instance_discovery=False`); the answer must carry
   `authorization_endpoint` and `token_endpoint`; a 4xx makes msal raise ValueError;
2. `POST /{tenant}/oauth2/v2.0/token`, form-encoded: `grant_type=client_credentials`,
   `client_id`, `scope=<resource>/.default`, `client_info=1`, and either `client_secret` or
   `client_assertion_type` + `client_assertion` (a JWT: aud = the token endpoint, iss = sub =
   client_id, header `x5t` (SHA-1, RS256) or `x5t#S256` (SHA-256, PS256) naming the cert).
Assertions are checked for shape, audience, issuer, expiry and thumbprint; the signature is
not verified. Tokens are opaque strings with `expires_in`; errors use Entra's OAuth shape
(`error`, `error_description` starting "AADSTSnnnn:", `error_codes`, ...). A bad client secret
is 401 invalid_client AADSTS7000215 as Entra answers it (e.g. keycloak#31294) -- msal caches
400s for 60 s but not 401s (apis.md 2.2), which is why the status matters.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .wire import GraphError, Json, Reply

DEFAULT_ROLES = frozenset({"Mail.ReadWrite", "Directory.Read.All"})
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Graph roots of the public and national clouds (apis.md 1.9) and Graph's app id.
GRAPH_RESOURCES = {
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
    "00000003-0000-0000-c000-000000000000",
}
AAD_JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class App:
    """One app registration: its credentials and the application permissions granted."""

    tenant_id: str
    client_id: str
    secret: str | None
    thumbprints: frozenset[str]  # lower-case hex, SHA-1 and/or SHA-256
    roles: frozenset[str]


@dataclass(frozen=True)
class Token:
    """One issued access token."""

    value: str
    app: App
    resource: str
    expires_at: float


def thumbprints_of(certificate: Any) -> set[str]:
    """SHA-1 and SHA-256 hex thumbprints of a PEM certificate (str/bytes) or x509 object."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    if isinstance(certificate, str | bytes):
        text = certificate.encode() if isinstance(certificate, str) else certificate
        certificate = x509.load_pem_x509_certificate(text)
    return {
        certificate.fingerprint(hashes.SHA1()).hex(),
        certificate.fingerprint(hashes.SHA256()).hex(),
    }


def aad_error(status: int, error: str, code: int, description: str) -> Reply:
    """An Entra OAuth error answer (apis.md 2.2 "Error handling")."""
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\n"
        f"Correlation ID: {correlation}\r\nTimestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return Reply(status, body, {"Cache-Control": "no-store, no-cache"}, AAD_JSON)


def _b64json(part: str) -> Json:
    data = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _x5t(hex_thumbprint: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(hex_thumbprint)).decode().rstrip("=")


class Login:
    """App registrations, the two endpoints msal calls, and bearer checks for Graph."""

    def __init__(self, clock: Callable[[], float], lifetime: int = 3599) -> None:
        self.clock, self.lifetime = clock, lifetime
        self.apps: dict[tuple[str, str], App] = {}
        self.tokens: dict[str, Token] = {}
        # More resources tokens may be asked for (another simulator playing Graph, say).
        self.extra_resources: set[str] = set()

    @property
    def tenants(self) -> set[str]:
        """Tenant ids (lower-case) with at least one app."""
        return {t for t, _ in self.apps}

    def register(
        self,
        tenant_id: str,
        client_id: str,
        secret: str | None,
        thumbprints: Iterable[str],
        roles: Iterable[str],
    ) -> App:
        """Add or replace an app registration."""
        app = App(
            tenant_id,
            client_id,
            secret,
            frozenset(t.lower().replace(":", "") for t in thumbprints),
            frozenset(roles),
        )
        self.apps[(tenant_id.lower(), client_id.lower())] = app
        return app

    def expire_all(self) -> None:
        """Make every issued token expired (a long-running client must fetch a new one)."""
        for key, token in list(self.tokens.items()):
            self.tokens[key] = Token(token.value, token.app, token.resource, self.clock() - 1)

    def openid_configuration(self, tenant: str, base_url: str) -> Reply:
        """Tenant discovery; an unknown tenant is 400 AADSTS90002 (msal raises ValueError)."""
        if tenant.lower() not in self.tenants:
            return self._no_tenant(tenant)
        root = f"{base_url}/{tenant}"
        body = {
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{root}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "msgraph_host": "graph.microsoft.com",
        }
        return Reply(200, body, {}, AAD_JSON)

    def _no_tenant(self, tenant: str) -> Reply:
        return aad_error(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
            "are signing into the correct cloud.",
        )

    def token(self, tenant: str, form: Mapping[str, str], base_url: str) -> Reply:
        """The token endpoint for the client credentials grant."""
        if tenant.lower() not in self.tenants:
            return self._no_tenant(tenant)
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            text = f"The app requested an unsupported grant type '{grant}'."
            return aad_error(400, "unsupported_grant_type", 70003, text)
        client_id = form.get("client_id", "")
        app = self.apps.get((tenant.lower(), client_id.lower()))
        if app is None:
            return aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{tenant}'.",
            )
        scope = form.get("scope", "")
        if not scope:
            text = "The request body must contain the following parameter: 'scope'."
            return aad_error(400, "invalid_request", 900144, text)
        if not scope.endswith("/.default") or " " in scope.strip():
            return aad_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows "
                "must have a scope value with /.default suffixed to the resource identifier "
                "(application ID URI).",
            )
        resource = scope[: -len("/.default")]
        if resource.rstrip("/") not in GRAPH_RESOURCES | {base_url} | self.extra_resources:
            return aad_error(
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {resource} was not found in the tenant named "
                f"{tenant}.",
            )
        failure = self._check_credential(app, form, f"{base_url}/{tenant}/oauth2/v2.0/token")
        if failure is not None:
            return failure
        value = secrets.token_urlsafe(32)
        self.tokens[value] = Token(value, app, resource, self.clock() + self.lifetime)
        body = {
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "ext_expires_in": self.lifetime,
            "access_token": value,
        }
        return Reply(200, body, {"Cache-Control": "no-store, no-cache"}, AAD_JSON)

    def _check_credential(self, app: App, form: Mapping[str, str], audience: str) -> Reply | None:
        assertion = form.get("client_assertion")
        if assertion:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                text = f"client_assertion_type must be '{ASSERTION_TYPE}'."
                return aad_error(400, "invalid_request", 50027, text)
            return self._check_assertion(app, assertion, audience)
        secret = form.get("client_secret")
        if not secret:
            text = (
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'."
            )
            return aad_error(401, "invalid_client", 7000218, text)
        if app.secret is None or not secrets.compare_digest(secret, app.secret):
            return aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                f"the client secret value, not the client secret ID, for a secret added to app "
                f"'{app.client_id}'.",
            )
        return None

    def _check_assertion(self, app: App, assertion: str, audience: str) -> Reply | None:
        parts = assertion.split(".")
        try:
            if len(parts) != 3:
                raise ValueError("a JWT has three parts")
            header, claims = _b64json(parts[0]), _b64json(parts[1])
        except ValueError:
            return aad_error(400, "invalid_request", 50027, "JWT token is invalid or malformed.")
        if claims.get("aud") != audience:
            text = f"JWT token is invalid or malformed: audience is not '{audience}'."
            return aad_error(400, "invalid_request", 50027, text)
        if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
            text = "Client assertion application identifier doesn't match 'client_id' parameter."
            return aad_error(400, "invalid_client", 700021, text)
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or expires < self.clock():
            text = "Client assertion is not within its valid time range."
            return aad_error(401, "invalid_client", 700024, text)
        sent = {str(t).rstrip("=") for t in (header.get("x5t"), header.get("x5t#S256")) if t}
        if not sent & {_x5t(t) for t in app.thumbprints}:
            return aad_error(
                401,
                "invalid_client",
                700027,
                "The certificate with identifier used to sign the client assertion is not "
                f"registered on application. [Reason - The key was not found., Thumbprint of "
                f"key used by client: '{next(iter(sent), '')}']",
            )
        return None

    def bearer(self, authorization: str) -> Token:
        """The token a Graph request carries, or Graph's 401 (apis.md 1.5 shape)."""
        challenge = {
            "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline'
            '.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
        }
        scheme, _, value = authorization.partition(" ")
        if not value.strip():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.", challenge)
        token = self.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            message = "Access token validation failure. Invalid audience."
            raise GraphError(401, "InvalidAuthenticationToken", message, challenge)
        if token.expires_at <= self.clock():
            message = "Lifetime validation failed, the token is expired."
            raise GraphError(401, "InvalidAuthenticationToken", message, challenge)
        return token
