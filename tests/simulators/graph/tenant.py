"""The simulated tenant: its state, and what an administrator or a mail flow does to it.

`Tenant` holds the app registrations and tokens (`login`), the directory (`directory`), the
mailboxes (`model`), the delta sync states (`delta`) and the access-policy denials; tests set
it up through these methods, and the server (`server.GraphSimulator`, a `Tenant`) answers
requests from it. One re-entrant lock guards all of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .delta import DeltaStore
from .directory import Directory
from .login import DEFAULT_ROLES, App, Login, thumbprints_of
from .model import IdMaker, Mailbox, Message, iso
from .wire import GraphError

TENANT_ID = "7d3c6f0e-2b4a-4e8f-9c1d-5a6b7c8d9e0f"
CLIENT_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CLIENT_SECRET = "sim~Secret.0123456789abcdef"
MAILBOX = "dirsync@contoso.com"


class Tenant:
    """One app (`tenant_id`, `client_id`, `client_secret`; roles Mail.ReadWrite and
    Directory.Read.All) and, unless `mailbox` is None, one user with a mailbox, to start with."""

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
        self.tenant_id, self.client_id, self.client_secret = tenant_id, client_id, client_secret
        self.login = Login(clock, token_lifetime)
        self.directory = Directory(tenant_id)
        self.mailboxes: dict[str, Mailbox] = {}  # user id -> mailbox
        self.deltas = DeltaStore()
        self.denied: set[str] = set()  # lower-case UPNs / ids an access policy refuses
        self.clock = clock
        self._ids = IdMaker(seed)
        self._lock = threading.RLock()
        self.register_app(tenant_id, client_id, secret=client_secret)
        if mailbox is not None:
            self.add_mailbox(mailbox)

    def register_app(
        self,
        tenant_id: str,
        client_id: str,
        secret: str | None = None,
        cert_thumbprint: str | None = None,
        certificate: Any = None,
        roles: Iterable[str] = DEFAULT_ROLES,
    ) -> App:
        """Register an app: a secret, a certificate (PEM or x509; both thumbprints are taken
        from it) or a hex thumbprint (SHA-1 as the portal shows, or SHA-256); its roles are the
        application permissions granted (Mail.Read, Mail.ReadWrite, User.Read.All, ...)."""
        prints = set() if certificate is None else thumbprints_of(certificate)
        if cert_thumbprint:
            prints.add(cert_thumbprint)
        with self._lock:
            return self.login.register(tenant_id, client_id, secret, prints, roles)

    def add_user(
        self,
        upn: str,
        *,
        mail: str | None = None,
        display_name: str | None = None,
        proxy_addresses: Sequence[str] = (),
        on_premises_sync_enabled: bool | None = None,
        on_premises_last_sync: datetime | None = None,
        on_premises_immutable_id: str | None = None,
        provisioning_errors: Sequence[Mapping[str, Any]] = (),
        mailbox: bool = False,
        **props: Any,
    ) -> str:
        """Add a user (with a mailbox if asked); returns its id. `props` are more Graph
        properties by their Graph names (givenName, onPremisesSamAccountName, ...)."""
        base = _props(
            nickname=upn.split("@")[0],
            mail=mail,
            display_name=display_name,
            proxy_addresses=proxy_addresses,
            sync=on_premises_sync_enabled,
            last_sync=on_premises_last_sync,
            errors=provisioning_errors,
        )
        base |= {
            "userPrincipalName": upn,
            "onPremisesImmutableId": on_premises_immutable_id,
            "accountEnabled": True,
            "userType": "Member",
        }
        with self._lock:
            obj = self.directory.add("user", base | props, has_mailbox=mailbox)
            if mailbox:
                self.mailboxes[obj.id] = Mailbox(upn, obj.id, self._ids, self.clock)
            return obj.id

    def add_mailbox(self, address: str, **user: Any) -> str:
        """A user whose UPN is `address`, with a mailbox; returns the user id."""
        user.setdefault("mail", address)
        user.setdefault("proxy_addresses", [f"SMTP:{address}"])
        return self.add_user(address, mailbox=True, **user)

    def add_group(
        self,
        display_name: str,
        *,
        mail: str | None = None,
        proxy_addresses: Sequence[str] = (),
        on_premises_sync_enabled: bool | None = None,
        on_premises_last_sync: datetime | None = None,
        provisioning_errors: Sequence[Mapping[str, Any]] = (),
        **props: Any,
    ) -> str:
        """Add a group (mail-enabled when it has `mail`); returns its id."""
        base = _props(
            nickname=display_name.replace(" ", ""),
            mail=mail,
            display_name=display_name,
            proxy_addresses=proxy_addresses,
            sync=on_premises_sync_enabled,
            last_sync=on_premises_last_sync,
            errors=provisioning_errors,
        )
        base |= {"mailEnabled": mail is not None, "securityEnabled": mail is None}
        with self._lock:
            return self.directory.add("group", base | props).id

    def add_contact(
        self,
        display_name: str,
        *,
        mail: str | None = None,
        proxy_addresses: Sequence[str] = (),
        on_premises_sync_enabled: bool | None = None,
        on_premises_last_sync: datetime | None = None,
        provisioning_errors: Sequence[Mapping[str, Any]] = (),
        **props: Any,
    ) -> str:
        """Add an organisational contact; returns its id."""
        base = _props(
            nickname=display_name.replace(" ", ""),
            mail=mail,
            display_name=display_name,
            proxy_addresses=proxy_addresses,
            sync=on_premises_sync_enabled,
            last_sync=on_premises_last_sync,
            errors=provisioning_errors,
        )
        with self._lock:
            return self.directory.add("contact", base | props).id

    def _mailbox(self, address: str) -> Mailbox:
        user = self.directory.find("user", address)
        if user is None or user.id not in self.mailboxes:
            raise KeyError(f"no mailbox {address!r}")
        return self.mailboxes[user.id]

    def add_folder(self, mailbox: str, name: str, parent: str = "msgfolderroot") -> str:
        """Create a folder (under the root unless told); returns its id."""
        with self._lock:
            box = self._mailbox(mailbox)
            return box.create_folder(box.folder(parent), name).id

    def add_message(
        self,
        mailbox: str,
        folder: str,
        raw: bytes,
        *,
        received: datetime | None = None,
        is_read: bool = False,
        categories: Sequence[str] = (),
    ) -> Message:
        """Deliver raw MIME into a folder (id or well-known name); From, Subject, To, Date and
        Message-ID are parsed from it. Returns the live message (read, don't write)."""
        with self._lock:
            box = self._mailbox(mailbox)
            target = box.folder(folder)
            return box.add(target, raw, received=received, is_read=is_read, categories=categories)

    def move_message(self, message_id: str, folder: str) -> Message:
        """Move a message as a person does in Outlook (a report rescued from Junk Email, say):
        it keeps its receivedDateTime, its lastModifiedDateTime becomes now, and it gets a new
        regular id (the immutable one stays)."""
        with self._lock:
            for box in self.mailboxes.values():
                try:
                    msg = box.message(message_id)
                except GraphError:
                    continue
                return box.move(msg, box.folder(folder))
        raise KeyError(message_id)

    def folder_messages(self, mailbox: str, folder: str) -> list[Message]:
        """The messages in a folder, oldest received first."""
        with self._lock:
            box = self._mailbox(mailbox)
            return box.in_folder(box.folder(folder))

    def folder_id(self, mailbox: str, folder: str) -> str:
        """The id of a folder given by well-known name or id."""
        with self._lock:
            return self._mailbox(mailbox).folder(folder).id

    def message(self, message_id: str) -> Message:
        """A message by its current regular id or its immutable id, in any mailbox."""
        with self._lock:
            for box in self.mailboxes.values():
                try:
                    return box.message(message_id)
                except GraphError:
                    continue
        raise KeyError(message_id)

    # -- the directory as a whole ------------------------------------------------------------

    @property
    def organization_name(self) -> str:
        """The tenant's name, as `/organization` gives it (`displayName`)."""
        return str(self.directory.organization["displayName"])

    @organization_name.setter
    def organization_name(self, name: str) -> None:
        with self._lock:
            self.directory.organization["displayName"] = name

    @property
    def page_size(self) -> int | None:
        """At most this many directory objects per page, whatever `$top` asks (Graph decides
        its page sizes; a client must follow `@odata.nextLink`). None: as `$top` says."""
        return self.directory.page_size

    @page_size.setter
    def page_size(self, size: int | None) -> None:
        with self._lock:
            self.directory.page_size = size

    def refuse_filter(self, property_name: str) -> None:
        """Refuse every `$filter` on this property with 400 Request_UnsupportedQuery, as a
        community module reports Graph does for `onPremisesProvisioningErrors`
        (live-sources.md 0.2): the client must fall back to a scan."""
        with self._lock:
            self.directory.refused_filters.add(property_name.lower())

    # -- what time does ---------------------------------------------------------------------

    def deny_mailbox(self, address_or_id: str) -> None:
        """Refuse a mailbox as an application access policy does: 403 ErrorAccessDenied."""
        with self._lock:
            self.denied.add(address_or_id.lower())

    def expire_tokens(self) -> None:
        """Make every issued access token expired (the next Graph call gets 401)."""
        with self._lock:
            self.login.expire_all()

    def expire_delta_tokens(self) -> None:
        """Forget every delta sync state: the next delta link gets 410 SyncStateNotFound."""
        with self._lock:
            self.deltas.expire()


def _props(
    *,
    nickname: str,
    mail: str | None,
    display_name: str | None,
    proxy_addresses: Sequence[str],
    sync: bool | None,
    last_sync: datetime | None,
    errors: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Graph properties shared by users, groups and contacts."""
    return {
        "displayName": display_name or nickname,
        "mail": mail,
        "mailNickname": nickname,
        "proxyAddresses": list(proxy_addresses),
        "onPremisesSyncEnabled": sync,
        "onPremisesLastSyncDateTime": last_sync,
        "onPremisesProvisioningErrors": [
            {k: iso(v) if isinstance(v, datetime) else v for k, v in e.items()} for e in errors
        ],
    }
