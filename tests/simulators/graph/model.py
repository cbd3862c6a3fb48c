"""What the simulated tenant holds: mailboxes with folders and messages, and directory objects.

Messages are stored as their raw MIME bytes (what `/$value` returns, apis.md 1.3) plus the
properties Graph derives from them (From, Subject, ...; parsed with the stdlib `email` package)
and the ones Outlook keeps beside them (isRead, categories, folder). Each message has two ids,
as in Outlook (apis.md 1.3, [G-immut]): a regular id that changes when the message moves, and an
immutable id that does not. Every change bumps the mailbox's sequence number; delta queries
read those numbers and the per-folder tombstones. No I/O and no locking here: the server holds
one lock around everything.
"""

from __future__ import annotations

import base64
import email
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message as MimeMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from .wire import ID_MALFORMED, ITEM_NOT_FOUND, GraphError, Json, not_found

# Well-known folder names (apis.md 1.1): those created in every mailbox, with display names...
WELL_KNOWN = {
    "msgfolderroot": "Top of Information Store",
    "inbox": "Inbox",
    "drafts": "Drafts",
    "sentitems": "Sent Items",
    "deleteditems": "Deleted Items",
    "junkemail": "Junk Email",
    "archive": "Archive",
    "outbox": "Outbox",
    "conversationhistory": "Conversation History",
}
# ...and those Graph also accepts in a URL but which this simulator does not create.
OTHER_WELL_KNOWN = (  # noqa: SIM905  (a word list reads better)
    "clutter conflicts localfailures recoverableitemsdeletions scheduled searchfolders "
    "serverfailures syncissues"
).split()
FOLDER_EXISTS = ("ErrorFolderExists", "A folder with the specified name already exists.")
ID_PREFIXES = {"message": "AAMkAGI2", "immutable": "AAkALgAA", "folder": "AQMkADAw"}


def iso(value: datetime) -> str:
    """Graph's DateTimeOffset text: UTC, seconds, `Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class IdMaker:
    """Deterministic, opaque, case-sensitive ids that look like Outlook's (URL-safe base64
    with `-`, `_` and a trailing `=`), so that clients must treat them as opaque strings."""

    def __init__(self, seed: int) -> None:
        self.seed, self.count = seed, 0

    def make(self, kind: str) -> str:
        """A fresh id of one kind ("message", "immutable", "folder")."""
        self.count += 1
        digest = hashlib.sha256(f"{self.seed}:{kind}:{self.count}".encode()).digest()[:30]
        body = base64.urlsafe_b64encode(digest + self.count.to_bytes(3, "big")).decode()
        return f"{ID_PREFIXES[kind]}{body}AAA="


@dataclass
class Folder:
    """One mail folder."""

    id: str
    name: str
    parent_id: str | None
    well_known: str | None = None
    # Messages that left this folder: (mailbox sequence number, immutable id, regular id).
    tombstones: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class Message:
    """One stored message; `id` is the current regular id, `immutable_id` never changes."""

    id: str
    immutable_id: str
    folder_id: str
    raw: bytes
    received: datetime
    sent: datetime
    subject: str
    sender: tuple[str, str]  # (display name, address)
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    internet_message_id: str
    body_html: str | None
    body_text: str
    has_attachments: bool
    created_seq: int
    change_seq: int
    modified: datetime
    is_read: bool = False
    categories: list[str] = field(default_factory=list)
    importance: str = "normal"
    flag_status: str = "notFlagged"
    inference: str = "focused"

    def ref(self, immutable: bool) -> str:
        """The id a client sees, given whether it sent `Prefer: IdType="ImmutableId"`."""
        return self.immutable_id if immutable else self.id

    @property
    def change_key(self) -> str:
        """Outlook's changeKey (and the etag): new on every change."""
        return base64.b64encode(f"CQAAABYAAAD{self.change_seq:08d}".encode()).decode()


def _header(mime: MimeMessage, name: str) -> str:
    value = mime.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (ValueError, LookupError):  # undecodable encoded-words: keep the raw text
        return str(value)


def _addresses(mime: MimeMessage, name: str) -> list[tuple[str, str]]:
    return [(n, a) for n, a in getaddresses([_header(mime, name)]) if a]


def _bodies(mime: MimeMessage) -> tuple[str | None, str, bool]:
    html: str | None = None
    text: str | None = None
    attachments = False
    for part in mime.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            attachments = True
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        decoded = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
        if part.get_content_type() == "text/html" and html is None:
            html = decoded
        elif part.get_content_type() == "text/plain" and text is None:
            text = decoded
    if text is None:
        text = re.sub(r"<[^>]+>", " ", html or "")
    return html, text, attachments


class Mailbox:
    """One user's mailbox: folders, messages, and the change sequence delta reads."""

    def __init__(self, address: str, user_id: str, ids: IdMaker, clock: Callable[[], float]):
        self.address, self.user_id, self._ids, self._clock = address, user_id, ids, clock
        self.folders: dict[str, Folder] = {}
        self.well_known: dict[str, str] = {}
        self.messages: dict[str, Message] = {}  # immutable id -> message
        self._by_ref: dict[str, Message] = {}  # regular and immutable id -> message
        self.seq = 0
        root = self._new_folder("Top of Information Store", None, "msgfolderroot")
        for name, display in WELL_KNOWN.items():
            if name != "msgfolderroot":
                self._new_folder(display, root.id, name)

    def now(self) -> datetime:
        """The simulator's clock as a datetime."""
        return datetime.fromtimestamp(self._clock(), UTC)

    def _new_folder(self, name: str, parent_id: str | None, well_known: str | None) -> Folder:
        folder = Folder(self._ids.make("folder"), name, parent_id, well_known)
        self.folders[folder.id] = folder
        if well_known:
            self.well_known[well_known] = folder.id
        return folder

    # -- folders ---------------------------------------------------------------------------

    def folder(self, ref: str) -> Folder:
        """A folder by id or well-known name; 404 or 400 (malformed id) as Outlook answers."""
        if ref in self.folders:
            return self.folders[ref]
        name = ref.lower()
        if name in self.well_known:
            return self.folders[self.well_known[name]]
        if name in OTHER_WELL_KNOWN or ref.startswith(tuple(ID_PREFIXES.values())):
            raise not_found(ITEM_NOT_FOUND)
        raise GraphError(400, *ID_MALFORMED)

    def children(self, folder: Folder) -> list[Folder]:
        """Direct child folders, in creation order."""
        return [f for f in self.folders.values() if f.parent_id == folder.id]

    def create_folder(self, parent: Folder, name: str) -> Folder:
        """A new child folder; 409 ErrorFolderExists if a sibling has that name (any case)."""
        if not name.strip():
            raise GraphError(400, "ErrorInvalidRequest", "The folder display name is required.")
        if any(f.name.casefold() == name.casefold() for f in self.children(parent)):
            raise GraphError(409, *FOLDER_EXISTS)
        return self._new_folder(name, parent.id, None)

    def folder_json(self, folder: Folder) -> Json:
        """A mailFolder resource."""
        inside = [m for m in self.messages.values() if m.folder_id == folder.id]
        return {
            "id": folder.id,
            "displayName": folder.name,
            "parentFolderId": folder.parent_id or "",
            "childFolderCount": len(self.children(folder)),
            "unreadItemCount": sum(not m.is_read for m in inside),
            "totalItemCount": len(inside),
            "isHidden": False,
        }

    # -- messages --------------------------------------------------------------------------

    def in_folder(self, folder: Folder | None) -> list[Message]:
        """Messages in one folder (all folders for None), oldest received first."""
        found = [m for m in self.messages.values() if folder is None or m.folder_id == folder.id]
        return sorted(found, key=lambda m: (m.received, m.created_seq))

    def message(self, ref: str) -> Message:
        """A message by its current regular id or its immutable id."""
        if ref in self._by_ref:
            return self._by_ref[ref]
        if ref.startswith(tuple(ID_PREFIXES.values())):
            raise not_found(ITEM_NOT_FOUND)
        raise GraphError(400, *ID_MALFORMED)

    def add(
        self,
        folder: Folder,
        raw: bytes,
        *,
        received: datetime | None = None,
        is_read: bool = False,
        categories: Sequence[str] = (),
    ) -> Message:
        """Deliver raw MIME bytes into a folder, deriving Graph's properties from them."""
        mime = email.message_from_bytes(raw)
        received = received or self.now()
        if received.tzinfo is None:
            raise ValueError("received must be timezone-aware")
        try:
            sent = parsedate_to_datetime(_header(mime, "Date"))
        except (TypeError, ValueError):
            sent = received
        html, text, attachments = _bodies(mime)
        senders = _addresses(mime, "From") or [("", "")]
        self.seq += 1
        msg = Message(
            id=self._ids.make("message"),
            immutable_id=self._ids.make("immutable"),
            folder_id=folder.id,
            raw=raw,
            received=received,
            sent=sent if sent.tzinfo else sent.replace(tzinfo=UTC),
            subject=_header(mime, "Subject"),
            sender=senders[0],
            to=_addresses(mime, "To"),
            cc=_addresses(mime, "Cc"),
            internet_message_id=_header(mime, "Message-ID").strip(),
            body_html=html,
            body_text=text,
            has_attachments=attachments,
            created_seq=self.seq,
            change_seq=self.seq,
            modified=received,  # delivered then: untouched since
            is_read=is_read,
            categories=list(categories),
        )
        self.messages[msg.immutable_id] = msg
        self._by_ref[msg.id] = self._by_ref[msg.immutable_id] = msg
        return msg

    def touch(self, msg: Message) -> None:
        """Record a change: new changeKey, lastModifiedDateTime and delta sequence."""
        self.seq += 1
        msg.change_seq, msg.modified = self.seq, self.now()

    def move(self, msg: Message, dest: Folder) -> Message:
        """Move a message: a new regular id (the old one is gone), same immutable id, and a
        tombstone in the source folder so that its delta reports the removal (apis.md 1.3)."""
        self.seq += 1
        source = self.folders[msg.folder_id]
        source.tombstones.append((self.seq, msg.immutable_id, msg.id))
        del self._by_ref[msg.id]
        msg.id = self._ids.make("message")
        self._by_ref[msg.id] = msg
        msg.folder_id = dest.id
        msg.created_seq = msg.change_seq = self.seq  # new in the destination
        msg.modified = self.now()
        return msg

    def remove(self, msg: Message) -> None:
        """Take a message out of the mailbox (a delete from Deleted Items), with a tombstone."""
        self.seq += 1
        self.folders[msg.folder_id].tombstones.append((self.seq, msg.immutable_id, msg.id))
        del self.messages[msg.immutable_id], self._by_ref[msg.id], self._by_ref[msg.immutable_id]


def _contact(pair: tuple[str, str]) -> Json:
    return {"emailAddress": {"name": pair[0] or pair[1], "address": pair[1]}}


MESSAGE_FIELDS = (  # noqa: SIM905  (a word list reads better)
    "id createdDateTime lastModifiedDateTime changeKey categories receivedDateTime sentDateTime "
    "hasAttachments internetMessageId subject bodyPreview importance parentFolderId "
    "conversationId isDeliveryReceiptRequested isReadReceiptRequested isRead isDraft webLink "
    "inferenceClassification body sender from toRecipients ccRecipients bccRecipients replyTo "
    "flag"
).split()


def message_json(
    msg: Message, fields: Sequence[str] | None, *, immutable: bool, text: bool, base_url: str
) -> Json:
    """A message resource with all properties, or `id` plus the `$select`ed ones."""
    body_text = msg.body_text if text or msg.body_html is None else msg.body_html
    ref = msg.ref(immutable)
    full: Json = {
        "id": ref,
        "createdDateTime": iso(msg.received),
        "lastModifiedDateTime": iso(msg.modified),
        "changeKey": msg.change_key,
        "categories": list(msg.categories),
        "receivedDateTime": iso(msg.received),
        "sentDateTime": iso(msg.sent),
        "hasAttachments": msg.has_attachments,
        "internetMessageId": msg.internet_message_id,
        "subject": msg.subject,
        "bodyPreview": " ".join(msg.body_text.split())[:255],
        "importance": msg.importance,
        "parentFolderId": msg.folder_id,
        "conversationId": "AAQkAD" + msg.immutable_id[8:40],
        "isDeliveryReceiptRequested": False,
        "isReadReceiptRequested": False,
        "isRead": msg.is_read,
        "isDraft": False,
        "webLink": f"{base_url}/owa/?ItemID={ref}&exvsurl=1&viewmodel=ReadMessageItem",
        "inferenceClassification": msg.inference,
        "body": {
            "contentType": "html" if body_text is msg.body_html else "text",
            "content": body_text,
        },
        "sender": _contact(msg.sender),
        "from": _contact(msg.sender),
        "toRecipients": [_contact(p) for p in msg.to],
        "ccRecipients": [_contact(p) for p in msg.cc],
        "bccRecipients": [],
        "replyTo": [],
        "flag": {"flagStatus": msg.flag_status},
    }
    keep = MESSAGE_FIELDS if fields is None else ["id", *fields]
    return {"@odata.etag": f'W/"{msg.change_key}"'} | {k: full[k] for k in keep}


# Filterable and sortable message properties by lower-case OData path (apis.md 1.1).
MESSAGE_GETTERS: dict[str, Callable[[Message], Any]] = {
    "receiveddatetime": lambda m: m.received,
    "sentdatetime": lambda m: m.sent,
    "createddatetime": lambda m: m.received,
    "lastmodifieddatetime": lambda m: m.modified,
    "subject": lambda m: m.subject,
    "isread": lambda m: m.is_read,
    "isdraft": lambda m: False,
    "hasattachments": lambda m: m.has_attachments,
    "importance": lambda m: m.importance,
    "internetmessageid": lambda m: m.internet_message_id,
    "categories": lambda m: m.categories,
    "parentfolderid": lambda m: m.folder_id,
    "inferenceclassification": lambda m: m.inference,
    "from/emailaddress/address": lambda m: m.sender[1],
    "from/emailaddress/name": lambda m: m.sender[0],
    "sender/emailaddress/address": lambda m: m.sender[1],
    "sender/emailaddress/name": lambda m: m.sender[0],
    "flag/flagstatus": lambda m: m.flag_status,
}


def message_value(msg: Message, path: str) -> Any:
    """One filterable property by its OData path (checked against `MESSAGE_GETTERS` first)."""
    return MESSAGE_GETTERS[path.lower()](msg)
