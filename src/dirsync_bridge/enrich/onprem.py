"""Active Directory look-ups over LDAPS or StartTLS: which on-premises objects hold a value.

``OnPremDirectory`` is the on-premises ``Directory`` adapter. One connection per run: it is
opened and bound on the first look-up and reused; after a dropped connection the next
look-up opens a new one. Searches are paged, so a value held by thousands of objects (a
mail-enabled group's alias copied everywhere) comes back whole instead of stopping at AD's
``MaxPageSize`` of 1,000.

Trust: the password only ever travels inside TLS. ``ldaps://`` wraps the socket at once;
``ldap://`` always issues StartTLS before binding. The certificate is verified by the
standard library during the handshake (chain and host name, SNI sent), against ``ca_bundle``
alone when one is configured, else the system store. ldap3 2.9's own check is not used: it
turns the handshake's host-name check off and calls ``ssl.match_hostname`` afterwards, which
is deprecated since Python 3.7 and gone in 3.12. ``REQUESTS_CA_BUNDLE`` and friends are
``requests`` conventions and have no effect here.

Errors, by what the runner does with them (``dirsync_bridge.errors``):

- the DC refuses, drops the connection or does not answer within ``timeout``: ``Retriable``;
- the certificate is not trusted or does not name the host: ``ConfigError`` (ca_bundle, url);
- the bind is refused, or the password is empty: ``ConfigError`` (bind_dn, password_env);
- the base DN does not exist: ``ConfigError`` (base_dn).

Global catalog (ports 3268/3269): with an empty ``base_dn`` the whole forest is searched.
The catalog holds only the partial attribute set: ``proxyAddresses`` is in it once Exchange
has extended the schema, ``mS-DS-ConsistencyGuid`` usually is not (holders then show the
``objectGUID``-based ImmutableId).
"""

from __future__ import annotations

import contextlib
import logging
import math
import ssl
import warnings
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlsplit

with warnings.catch_warnings():
    # ldap3 2.9.1, the latest release, imports two names that pyasn1 0.6.1 deprecated; the
    # warning is noise to our users (and an error in a test run with warnings as errors).
    warnings.filterwarnings("ignore", r"(tagMap|typeMap) is deprecated", DeprecationWarning)
    from ldap3 import NONE, SIMPLE, SUBTREE, SYNC, Connection, Server, Tls
    from ldap3.core import exceptions as lx
    from ldap3.protocol.sasl.sasl import validate_simple_password

from ..errors import ConfigError, DirsyncBridgeError, Retriable
from ..models.enrichment import Where
from ..models.holders import OnPremHolder
from ..secret_files import sent
from .ldap_filter import HELD_IN_ATTRIBUTES, HOLDER_CLASSES, held_in, holder_filter
from .onprem_partial import holds_no_holders, partial, uris
from .onprem_reasons import cause_of, certificate_refusal, first_line

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 10
"""Seconds to connect, and to wait for any one answer. Whole seconds: ldap3 packs it as such."""
DEFAULT_PAGE_SIZE: Final = 500
"""Entries per page; under AD's default ``MaxPageSize`` (1,000), so no server caps it."""
GLOBAL_CATALOG_PORTS: Final = frozenset({3268, 3269})

_ATTRIBUTES: Final = (
    "objectClass",
    "objectGUID",
    "mS-DS-ConsistencyGuid",
    "whenCreated",
    "whenChanged",
    "userAccountControl",
    *HELD_IN_ATTRIBUTES,
)


class _VerifyingTls(Tls):
    """ldap3's ``Tls`` with verification done by ``ssl`` itself during the handshake."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(validate=ssl.CERT_REQUIRED)
        self._context = context

    def wrap_socket(self, connection: Any, do_handshake: bool = False) -> None:
        """Wrap the connection's socket, checking chain and host name, sending SNI."""
        connection.socket = self._context.wrap_socket(
            connection.socket,
            server_side=False,
            do_handshake_on_connect=do_handshake,
            server_hostname=connection.server.host,
        )


class OnPremDirectory:
    """A ``Directory``: the Active Directory users, groups and contacts that hold a value.

    ``url`` is ``ldaps://host[:port]`` (636, or 3269 for the global catalog) or
    ``ldap://host[:port]`` (StartTLS on 389 or 3268). ``password`` is read by the caller from
    the variable named by ``password_env``, None when it is not set (a trailing line end is
    dropped here); that name and ``config_path`` only make error messages say what to fix.
    Use as a context manager, or call ``close()``.
    """

    name: Where = "onprem"

    def __init__(
        self,
        url: str,
        *,
        bind_dn: str,
        password: str | None,
        base_dn: str = "",
        ca_bundle: Path | None = None,
        password_env: str = "DIRSYNC_LDAP_PASSWORD",
        config_path: Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self._path = config_path
        self._url = url
        self._bind_dn = bind_dn
        # A trailing line end (a secret store's value, an EnvironmentFile saved on Windows)
        # is no part of it, as for the Graph secret and the Jira token; sent, ldap3 refused
        # it as a network failure. Only line ends: unlike a token, a password may end in a space.
        given = password
        password = (password or "").rstrip("\r\n")
        self._password = sent(password)  # hidden from every line shown (secret_files)
        self._password_env = password_env
        self._base_dn = base_dn
        self._ca_bundle = ca_bundle
        # ldap3 packs the receive timeout as whole seconds; 0 would mean "wait for ever".
        self._timeout = max(1, math.ceil(timeout))
        self._page_size = page_size
        self._connection: Connection | None = None
        self._search_base: str | None = None
        self._partial: dict[str, list[str]] = {}

        parts = urlsplit(url)
        if parts.scheme not in ("ldaps", "ldap") or not parts.hostname:
            raise self._config("url", f"{url!r} is not ldaps://host[:port] or ldap://host[:port]")
        try:
            port = parts.port
        except ValueError:
            raise self._config("url", f"{url!r} has an invalid port") from None
        self._use_ssl = parts.scheme == "ldaps"
        self._host = parts.hostname
        self._port = port or (636 if self._use_ssl else 389)
        if not password:
            # An empty password is an "unauthenticated bind" (RFC 4513 5.1.2): many servers
            # accept it as anonymous and every search then silently finds nothing.
            state = "is not set" if given is None else "is empty"
            raise self._config("password_env", f"${password_env} {state}")
        self._check_password(password)
        self._tls = _VerifyingTls(self._tls_context())

    def __repr__(self) -> str:
        return f"OnPremDirectory({self._url!r}, bind_dn={self._bind_dn!r})"

    def __enter__(self) -> OnPremDirectory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def holders(self, value: str) -> list[OnPremHolder]:
        """Every user, group or contact holding ``value``, sorted by DN; [] when none does.

        See ``holder_filter`` for what "holding" means. Each holder carries ``value`` as given.
        """
        search_filter = holder_filter(value)
        if search_filter is None:
            return []
        connection = self._connect()
        try:
            entries = connection.extend.standard.paged_search(
                search_base=self._search_base,
                search_filter=search_filter,
                search_scope=SUBTREE,
                attributes=list(_ATTRIBUTES),
                paged_size=self._page_size,
                generator=True,
            )
            found: dict[str, OnPremHolder] = {}
            unread: list[str] = []
            referred: list[str] = []
            for entry in entries:
                if entry.get("type") == "searchResRef":
                    # Not followed (no credentials are sent to another server). One to a
                    # partition that holds no user, group or contact is harmless; any other
                    # may hide the holder, so the look-up is partial, not "nobody".
                    referred += [u for u in uris(entry) if not holds_no_holders(u)]
                    continue
                if entry.get("type") != "searchResEntry" or entry.get("dn") in found:
                    continue
                try:
                    raw = entry["raw_attributes"]
                    attrs, proxies = held_in(value, raw)
                    holder = OnPremHolder.from_ldap(
                        value, entry["dn"], raw, held_in=attrs, proxy_addresses=proxies
                    )
                except (ValueError, KeyError, TypeError) as exc:
                    # An attribute the bind account may not read: that holder is not seen, and
                    # the ticket must not say that nobody holds the value.
                    log.warning("onprem: could not read a holder of %s: %s", value, exc)
                    unread.append(first_line(exc))
                    continue
                found[holder.dn] = holder
        except lx.LDAPException as exc:
            raise self._failed(exc, "search") from exc
        self._partial[value] = partial(unread, referred)
        log.debug("onprem: %d holder(s) of %s", len(found), value)
        return sorted(found.values(), key=lambda h: h.dn.casefold())

    def bind(self) -> str:
        """Connect and bind as look-ups do; the base they search ("" for the whole forest).

        For ``doctor``; errors as ``holders`` raises them.
        """
        self._connect()
        return self._search_base or ""

    def probe(self) -> int:
        """Search the base for users, groups and contacts as look-ups do: how many came back
        (at most one). For ``doctor``; errors as ``holders`` raises them."""
        connection = self._connect()
        try:
            connection.search(
                self._search_base or "",
                f"(&{HOLDER_CLASSES})",
                SUBTREE,
                attributes=["objectClass"],
                size_limit=1,
            )
        except lx.LDAPSizeLimitExceededResult:
            return 1  # more than one: which is what we wanted to know
        except lx.LDAPException as exc:
            raise self._failed(exc, "search") from exc
        return sum(1 for r in connection.response or [] if r.get("type") == "searchResEntry")

    def prefetch(self, values: Iterable[str]) -> None:
        """Nothing ahead of time: LDAP look-ups are one search per value, made when asked."""

    def known(self, value: str) -> bool:
        """Nothing is remembered between look-ups (a search is cheap, and a DC may recover)."""
        return False

    def unavailable(self, value: str) -> list[str]:
        """What the last look-up of ``value`` could not see (an entry it could not read, a
        referral to another domain), one line each; ``[]`` when it saw everything."""
        return list(self._partial.get(value, ()))

    def close(self) -> None:
        """Unbind and drop the connection; safe to call twice, or on a dead connection."""
        connection, self._connection = self._connection, None
        if connection is not None:
            _quietly_unbind(connection)

    # The connection -------------------------------------------------------------------------

    def _connect(self) -> Connection:
        if self._connection is not None and not self._connection.closed:
            return self._connection
        server = Server(
            self._host,
            port=self._port,
            use_ssl=self._use_ssl,
            tls=self._tls,
            get_info=NONE,  # no schema download: raw values are all we read
            connect_timeout=self._timeout,
        )
        connection = Connection(
            server,
            user=self._bind_dn,
            # As bytes: ldap3 sends a str through SASLprep, which maps some characters to
            # others (a no-break space to a space, a soft hyphen to nothing, NFKC); AD and
            # Samba compare the password as given, so a right one was refused as wrong
            # (review rev42). Those SASLprep refuses are still refused (_check_password).
            password=self._password.encode("utf-8"),  # type: ignore[arg-type]  # stub: str
            authentication=SIMPLE,
            client_strategy=SYNC,
            read_only=True,
            raise_exceptions=True,
            auto_referrals=False,
            receive_timeout=self._timeout,
        )
        try:
            connection.open()
            if not self._use_ssl:
                connection.start_tls()
            connection.bind()
            if self._search_base is None:
                self._search_base = self._find_search_base(connection)
        except BaseException as exc:
            _quietly_unbind(connection)
            if isinstance(exc, lx.LDAPException):
                raise self._failed(exc, "connect") from exc
            raise
        self._connection = connection
        log.debug("onprem: bound to %s as %s", self._url, self._bind_dn)
        return connection

    def _find_search_base(self, connection: Connection) -> str:
        if self._base_dn or self._port in GLOBAL_CATALOG_PORTS:
            return self._base_dn  # "" on a global catalog means the whole forest
        connection.search("", "(objectClass=*)", "BASE", attributes=["defaultNamingContext"])
        response = connection.response or [{}]
        naming = response[0].get("raw_attributes", {}).get("defaultNamingContext") or [b""]
        if not naming[0]:
            raise self._config("base_dn", f"{self._url} names no defaultNamingContext: set base_dn")
        return str(naming[0].decode("utf-8"))

    def _tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(
                cafile=str(self._ca_bundle) if self._ca_bundle else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise self._config(
                "ca_bundle", f"{self._ca_bundle} cannot be read as PEM certificates ({exc})"
            ) from exc

    def _check_password(self, password: str) -> None:
        """A password ldap3 will not send is the variable to fix, said before any connection.

        ldap3 prepared a simple bind's password with SASLprep (RFC 4013), which refuses
        control characters and a few others; that refusal came out of ``bind()`` as an
        ``LDAPException`` and read as the DC being unreachable: a retry for ever (exit 75)
        of what no retry fixes. The password is sent as bytes now, unprepared (``_connect``),
        but what SASLprep refuses is a paste error far more often than a password: still
        refused. Only the refusal's kind is shown, never the password."""
        try:
            validate_simple_password(password)
        except lx.LDAPException as exc:
            raise self._config(
                "password_env",
                f"${self._password_env} holds a character an LDAP simple bind cannot send "
                f"({first_line(exc).removeprefix('SASLprep error: ')}; RFC 4013): set it to "
                "the password alone, exactly as the account has it",
            ) from None

    # Errors ---------------------------------------------------------------------------------

    def _config(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self._path, f"enrich.onprem.{key}", problem)

    def _failed(self, exc: lx.LDAPException, doing: str) -> DirsyncBridgeError:
        """Sort an ldap3 failure into the error tree, with a message that says what to do."""
        if isinstance(exc, lx.LDAPCommunicationError | lx.LDAPStartTLSError):
            self.close()
        where = f"{self._host}:{self._port}"
        verify = cause_of(exc, ssl.SSLCertVerificationError)
        if verify is not None:
            reason = certificate_refusal(verify)
            if "hostname" in reason.lower() or "ip address mismatch" in reason.lower():
                return self._config(
                    "url",
                    f"the certificate of {where} does not name {self._host!r} ({reason}): "
                    "use the host name the certificate was issued for",
                )
            source = str(self._ca_bundle) if self._ca_bundle else "the system CA store"
            return self._config(
                "ca_bundle",
                f"the certificate of {where} is not trusted by {source} ({reason}): set "
                "ca_bundle to the PEM file of the CA that issued the domain controller's "
                "certificate",
            )
        if isinstance(exc, lx.LDAPInvalidCredentialsResult):
            return self._config(
                "bind_dn",
                f"{where} refused the bind as {self._bind_dn!r} (invalid credentials): check "
                f"bind_dn and the password in ${self._password_env}, and that the account is "
                "enabled and not locked out",
            )
        if isinstance(exc, lx.LDAPNoSuchObjectResult):
            return self._config(
                "base_dn",
                f"{self._search_base!r} does not exist on {where}: set base_dn to a naming "
                "context such as DC=contoso,DC=com",
            )
        if isinstance(exc, lx.LDAPInsufficientAccessRightsResult):
            return self._config(
                "bind_dn", f"{self._bind_dn!r} may not read {self._search_base!r} on {where}"
            )
        if isinstance(
            exc, lx.LDAPStrongerAuthRequiredResult | lx.LDAPConfidentialityRequiredResult
        ):
            return self._config("url", f"{where} demands a stronger bind: {exc}")
        timed_out = cause_of(exc, TimeoutError) is not None
        reason = f"no answer within {self._timeout}s" if timed_out else first_line(exc)
        return Retriable(
            f"on-premises directory {self._url}: {doing} failed ({reason}): check that the "
            f"domain controller is running and reachable at {where}; the next run retries"
        )


def _quietly_unbind(connection: Connection) -> None:
    """Unbind and close the socket, ignoring a connection that is already dead."""
    with contextlib.suppress(lx.LDAPException, OSError):
        connection.unbind()
    # ldap3 leaves the socket of a connection that failed to open (or died) unclosed.
    raw = getattr(connection, "socket", None)
    if raw is not None:
        with contextlib.suppress(OSError):
            raw.close()
