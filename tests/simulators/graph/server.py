"""An in-memory Microsoft Graph (v1.0 mail + directory) and Entra token endpoint over HTTPS.

`GraphSimulator` listens on https://127.0.0.1:PORT with a certificate from a throw-away CA made
by `trustme` at start (`sim.ca_path`: the CA's PEM). The same URL is the msal authority host
(`authority=f"{sim.url}/{tenant_id}"`, `instance_discovery=False`) and the Graph root
(`f"{sim.url}/v1.0"`), because msal only accepts https authorities (apis.md 2.3).

Endpoints:
  login (`login`)  GET  /{tenant}/v2.0/.well-known/openid-configuration
                   POST /{tenant}/oauth2/v2.0/token   client_credentials; secret or cert JWT
  mail (`mail`)    GET  /v1.0/users/{u}/mailFolders[?$filter=displayName eq 'X']   POST (create)
                   GET  /v1.0/users/{u}/mailFolders/{id|wellKnownName}[/childFolders]  POST
                   GET  /v1.0/users/{u}[/mailFolders/{f}]/messages   $select $top $filter
                        $orderby, @odata.nextLink; InefficientFilter
                   GET  /v1.0/users/{u}/mailFolders/{f}/messages/delta   (`delta`)
                   GET|PATCH|DELETE /v1.0/users/{u}/messages/{id}   GET .../{id}/$value
                   POST /v1.0/users/{u}/messages/{id}/move
  directory        GET  /v1.0/users|groups|contacts[/{id}]   $filter $select $count ...
                   GET  /v1.0/organization   (the tenant's name)
  batch (`batch`)  POST /v1.0/$batch   (up to 20 sub-requests)
Every Graph request needs `Authorization: Bearer <token from the token endpoint>` (else 401
InvalidAuthenticationToken). `Prefer: IdType="ImmutableId"` is honoured everywhere.

Modes and switches (see `faults.Faults`): injected 429/503/504 with `Retry-After`, dropped
connections, 200s carrying an HTML page, bodies cut off mid-chunk, and latency come first,
as from the gateway in front of Graph (the login endpoints only with `include_login`); then
the bearer check; then Outlook's concurrency limit (a fifth request in flight for one
mailbox -> 429 ApplicationThrottled); latency is served while the request holds its slot,
so concurrency is observable. `deny_mailbox` plays an application access policy (403),
`expire_tokens`/`expire_delta_tokens` play time passing, `vanish_after_listing`,
`read_after_listing` and `trash_after_listing` a person deleting or opening mail while a
client works (`expire_tokens_after_listing`: a token revoked mid-pass), `move_message` one
rescuing a report from Junk Email. `fail_pages` faults the pages after a listing's first
(mid-paging); `page_size`, `refuse_filter` and `organization_name` are the tenant's.
Standard library plus `trustme`; one lock guards the tenant's state.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, unquote_plus

import trustme

from . import batch, directory, mail
from .faults import (
    DROP,
    HTML,
    HTML_PAGE,
    LOGGED_HEADERS,
    TRUNCATE,
    Faults,
    InFlight,
    Record,
    RequestLog,
)
from .https import Handler, TlsServer
from .login import Token
from .tenant import CLIENT_ID, CLIENT_SECRET, MAILBOX, TENANT_ID, Tenant
from .wire import VERSION, GraphError, Json, Reply, Request, make_request, new_request_id

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class GraphSimulator(Tenant):
    """Graph and its token endpoint; `with GraphSimulator() as sim:` runs it. Set-up helpers
    (add_message, add_user, register_app, deny_mailbox, ...) are `Tenant`'s."""

    def __init__(
        self,
        *,
        tenant_id: str = TENANT_ID,
        client_id: str = CLIENT_ID,
        client_secret: str | None = CLIENT_SECRET,
        mailbox: str | None = MAILBOX,
        token_lifetime: int = 3599,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """The default app and mailbox as in `Tenant`; `seed` drives every random choice
        (fault draws, ids, `$batch` answer order); `clock` stamps messages and ages tokens."""
        super().__init__(
            tenant_id=tenant_id,
            client_id=client_id,
            client_secret=client_secret,
            mailbox=mailbox,
            token_lifetime=token_lifetime,
            seed=seed,
            clock=clock,
        )
        self.faults, self.log, self.in_flight = Faults(), RequestLog(), InFlight()
        self._random, self._order = random.Random(seed), random.Random(seed + 1)
        self._server: TlsServer | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ca: trustme.CA | None = None
        self.ca_path = ""  # the CA's PEM file while running: give it as `verify=`

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Make the CA and the server certificate, listen on 127.0.0.1, serve from a thread."""
        ca = trustme.CA(organization_name="dirsync-bridge Graph simulator test CA")
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(tls)
        self._tmp = tempfile.TemporaryDirectory(prefix="graph-sim-")
        self.ca_path = str(Path(self._tmp.name) / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        self.ca = ca
        server = TlsServer(("127.0.0.1", 0), Handler)
        server.sim, server.tls = self, tls
        self._server = server
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="graph-sim")
        thread.daemon = True
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and remove the CA file."""
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """https://127.0.0.1:PORT: the authority host and the Graph root."""
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def graph_url(self) -> str:
        """https://127.0.0.1:PORT/v1.0, what production config calls the Graph endpoint."""
        return self.url + VERSION

    def authority(self, tenant_id: str | None = None) -> str:
        """The msal authority for a tenant (the default tenant unless told)."""
        return f"{self.url}/{tenant_id or self.tenant_id}"

    # -- inspection ------------------------------------------------------------------------

    def reset_log(self) -> None:
        """Forget the requests recorded so far and the in-flight peaks."""
        self.log.reset()
        self.in_flight.reset()

    @property
    def token_requests(self) -> int:
        """How many token requests reached the simulator."""
        return self.log.token_requests()

    @property
    def max_in_flight(self) -> int:
        """The most requests (any path) the simulator had in flight at once."""
        return self.in_flight.max_total

    @property
    def max_in_flight_mailbox(self) -> int:
        """The most requests for one mailbox (or the app) in flight at once, rejected ones
        included at their arrival: what to compare with Outlook's limit of 4."""
        return max(self.in_flight.max_by_key.values(), default=0)

    # -- one request -----------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, raw: bytes, headers: Mapping[str, str]
    ) -> Reply | None:
        """Answer one request (called from a handler thread); None means drop the connection."""
        arrived, request_id = self.clock(), new_request_id()
        self.in_flight.arrive()
        slot: str | None = None
        admitted = False
        reply: Reply | None = None
        try:
            login = _login_route(method, path)
            with self._lock:
                injected = None
                faulted = self.faults.applies_to(path, method)
                if login is None:
                    params = parse_qs(query, keep_blank_values=True)
                    injected = self.faults.draw_page(path, params)
                if injected is None and (login is None or self.faults.include_login) and faulted:
                    injected = self.faults.draw(self._random)
            token: Token | None = None
            if injected in (None, TRUNCATE) and login is None:
                try:
                    with self._lock:
                        token = self.login.bearer(headers.get("authorization", ""))
                        slot = self._concurrency_key(path)
                    if slot is not None:
                        admitted = self.in_flight.admit(slot, self.faults.concurrency_limit)
                        if not admitted:
                            raise self.faults.concurrency_error()
                except GraphError as e:
                    reply = e.reply(request_id, headers.get("client-request-id"))
            if self.faults.latency:
                time.sleep(self.faults.latency)
            if injected == DROP:
                reply = None
            elif injected == HTML:
                reply = Reply(200, HTML_PAGE, content_type="text/html; charset=utf-8")
            elif injected not in (None, TRUNCATE):
                reply = self.faults.error(injected).reply(request_id)
            elif reply is None and login is not None:
                reply = self._login(login, raw, headers.get("authorization", ""))
            elif reply is None and token is not None:
                reply = self._graph(method, path, query, raw, headers, token, request_id)
            if reply is not None:
                reply.truncated = injected == TRUNCATE
                reply.chunked = self.faults.chunked
            if reply is not None and login is None:
                client_id = headers.get("client-request-id") or request_id
                reply.headers |= {"request-id": request_id, "client-request-id": client_id}
        finally:
            if slot is not None:
                self.in_flight.release(slot, admitted)
            self.in_flight.leave()
        self.log.add(self._record(method, path, query, raw, headers, reply, arrived, login))
        return reply

    def _concurrency_key(self, path: str) -> str | None:
        segs = make_request("GET", path, "", {}, None).segments if path.startswith(VERSION) else []
        if len(segs) < 3 or segs[0] != "users" or segs[2] not in ("mailfolders", "messages"):
            return None
        if self.faults.concurrency_scope == "app":
            return "app"
        user = self.directory.find("user", segs[1])
        return user.id if user else segs[1].lower()

    def _login(self, route: tuple[str, str], raw: bytes, authorization: str) -> Reply:
        tenant, kind = route
        with self._lock:
            if kind == "openid":
                return self.login.openid_configuration(tenant, self.url)
            form = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
            scheme, _, encoded = authorization.partition(" ")
            if scheme.lower() == "basic":  # client_secret_basic (RFC 6749 2.3.1), form-encoded
                with contextlib.suppress(ValueError):
                    user, _, secret = base64.b64decode(encoded).decode().partition(":")
                    form.setdefault("client_id", unquote_plus(user))
                    form.setdefault("client_secret", unquote_plus(secret))
            return self.login.token(tenant, form, self.url)

    def _graph(
        self,
        method: str,
        path: str,
        query: str,
        raw: bytes,
        headers: Mapping[str, str],
        token: Token,
        request_id: str,
    ) -> Reply:
        client_id = headers.get("client-request-id")
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            message = (
                "Unable to read JSON request payload. Please ensure Content-Type header is set "
                "and payload is of valid JSON format."
            )
            return GraphError(400, "BadRequest", message).reply(request_id, client_id)
        if not path.startswith(VERSION + "/"):
            version = path.strip("/").partition("/")[0]
            return GraphError(400, "BadRequest", f"Invalid version: {version}").reply(request_id)
        req = make_request(method, path, query, headers, body)
        if req.segments == ["$batch"] and method == "POST":
            try:
                reply = batch.serve(
                    req,
                    lambda sub: self._dispatch(sub, token, request_id),
                    self.faults,
                    self._draw,
                    self._shuffle,
                    request_id,
                    self._record_sub,
                )
            except GraphError as e:
                reply = e.reply(request_id, client_id)
        else:
            reply = self._dispatch(req, token, request_id, client_id)
            if reply.status == 200 and method == "GET" and req.segments[-1:] == ["messages"]:
                self._after_listing()
        return reply

    def _after_listing(self) -> None:
        """What a person does right after a listing is answered (`Faults`): delete messages
        for good, open them, delete them in Outlook; and tokens that stop being valid."""
        faults = self.faults
        with self._lock:
            gone, faults.vanish_after_listing = faults.vanish_after_listing, set()
            opened, faults.read_after_listing = faults.read_after_listing, set()
            trashed, faults.trash_after_listing = faults.trash_after_listing, set()
            for box in self.mailboxes.values():
                for msg in list(box.messages.values()):
                    ids = {msg.id, msg.immutable_id}
                    if ids & gone:
                        box.remove(msg)
                    elif ids & opened:
                        msg.is_read = True
                        box.touch(msg)
                    elif ids & trashed:
                        box.move(msg, box.folder("deleteditems"))
            if faults.expire_tokens_after_listing:
                faults.expire_tokens_after_listing = False
                self.login.expire_all()

    def _draw(self, rate: float) -> bool:
        with self._lock:
            return self._random.random() < rate

    def _shuffle(self, items: list[Json]) -> None:
        with self._lock:
            self._order.shuffle(items)

    def _dispatch(
        self, req: Request, token: Token, request_id: str, client_id: str | None = None
    ) -> Reply:
        """Route one Graph request (network or `$batch` item) under the lock."""
        ctx = mail.MailContext(
            self.mailboxes,
            self.directory,
            self.url,
            set(token.app.roles),
            self.denied,
            self.deltas,
            self.faults.gateway_timeout_top,
        )
        try:
            with self._lock:
                if req.segments[:1] == ["me"]:
                    message = "/me request is only valid with delegated authentication flow."
                    raise GraphError(400, "BadRequest", message)
                reply = mail.route(req, ctx) or directory.route(
                    req, self.directory, self.url, ctx.roles
                )
            if reply is None:
                segment = req.segments[-1] if req.segments else ""
                message = f"Resource not found for the segment '{segment}'."
                raise GraphError(400, "BadRequest", message)
        except GraphError as e:
            reply = e.reply(request_id, client_id)
        if req.immutable_ids:
            reply.headers["Preference-Applied"] = 'IdType="ImmutableId"'
        return reply

    def _record(
        self,
        method: str,
        path: str,
        query: str,
        raw: bytes,
        headers: Mapping[str, str],
        reply: Reply | None,
        arrived: float,
        login: tuple[str, str] | None,
    ) -> Record:
        if login is not None and login[1] == "token":
            form = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
            kind = "assertion" if "client_assertion" in form else "secret"
            body: Any = {k: v for k, v in form.items() if k not in _SECRETS} | {"credential": kind}
        else:
            try:
                body = json.loads(raw) if raw.strip() else None
            except ValueError:
                body = raw.decode(errors="replace")
        segs = make_request(method, path, "", {}, None).segments if path.startswith(VERSION) else []
        mailbox = segs[1].lower() if len(segs) > 2 and segs[0] == "users" else None
        return Record(
            method,
            path,
            parse_qs(query, keep_blank_values=True),
            _logged_headers(headers),
            body,
            DROP if reply is None else reply.status,
            arrived,
            mailbox,
        )

    def _record_sub(self, item: Json, sub: Request | None, reply: Reply) -> None:
        headers = item.get("headers") if isinstance(item.get("headers"), dict) else {}
        path = sub.path if sub else VERSION + "/" + str(item.get("url", "")).lstrip("/")
        segs = sub.segments if sub else []
        self.log.add(
            Record(
                str(item.get("method", "")).upper(),
                path.partition("?")[0],
                sub.params if sub else {},
                _logged_headers({k.lower(): str(v) for k, v in (headers or {}).items()}),
                item.get("body"),
                reply.status,
                self.clock(),
                segs[1].lower() if len(segs) > 2 and segs[0] == "users" else None,
                in_batch=True,
            )
        )


_SECRETS = ("client_secret", "client_assertion")


def _logged_headers(headers: Mapping[str, str]) -> dict[str, str]:
    kept = {k: headers[k] for k in LOGGED_HEADERS if k in headers}
    if "authorization" in headers:
        kept["authorization"] = headers["authorization"].partition(" ")[0]
    return kept


def _login_route(method: str, path: str) -> tuple[str, str] | None:
    """(tenant, "openid" | "token") for the two endpoints msal calls, else None."""
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
        return (parts[0], "openid") if method == "GET" else None
    if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"] and method == "POST":
        return parts[0], "token"
    return None
