"""One Exchange Online mailbox folder through Graph: list, fetch raw MIME, act on messages.

How a pass lists the folder (a watermark on ``lastModifiedDateTime``, pages that are new
queries rather than offsets) is ``mail_listing``'s business.

Ids are immutable (``Prefer: IdType="ImmutableId"``, sent by ``GraphClient``), so a message
keeps its id when this tool moves it, and ``/$value`` answering 404 means the message is
gone from the mailbox (deleted), not moved: ``MessageGone``.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime
from typing import Final
from urllib.parse import quote

from .. import interrupt
from ..config.settings import MailboxSettings
from ..errors import ConfigError, GraphError, MessageGone, Retriable, Skippable, Unserved
from ..graph.client import MAX_IN_FLIGHT, GraphClient
from .mail_listing import Listing, MailItem

__all__ = ["FETCH_AHEAD", "WELL_KNOWN", "Listing", "MailFolder", "MailItem"]

log = logging.getLogger(__name__)

FETCH_AHEAD: Final = 8
"""Messages fetched ahead of the parser (Graph serves four at a time, see ``graph``)."""
WELL_KNOWN: Final = frozenset(
    {"inbox", "archive", "drafts", "sentitems", "junkemail", "msgfolderroot", "outbox"}
)
"""Well-known folder names accepted for ``folder`` and ``move:`` (never deleteditems)."""
_NEVER: Final = frozenset({"deleteditems", "recoverableitemsdeletions"})


class MailFolder:
    """One mailbox folder: list, fetch raw MIME, and act on messages afterwards."""

    def __init__(self, client: GraphClient, settings: MailboxSettings) -> None:
        """Nothing is sent until the first call."""
        self.client = client
        self.settings = settings
        self._user = f"/users/{quote(settings.mailbox, safe='@')}"
        self._folders: dict[str, str] = {}
        self._watched: str | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """``mailbox/folder``, for messages and the ledger's cursor."""
        return f"{self.settings.mailbox}/{self.settings.folder}".casefold()

    def reference(self, message_id: str) -> str:
        """How a message is named in logs and tickets."""
        return f"graph:{self.settings.mailbox}/{self.settings.folder}/{message_id[-16:]}"

    def list_since(self, since: datetime, *, received_since: datetime | None = None) -> Listing:
        """The folder's messages changed (delivered, moved in...) at or after ``since``, and
        received at or after ``received_since`` if given; the oldest change first."""
        folder = self.folder_path(self.settings.folder, "[source.mailbox] folder")
        return Listing(
            self.client, f"{folder}/messages", f"list {self.name}", since, received_since
        )

    def raw(self, message_id: str, limit: int | None = None) -> bytes:
        """The message's MIME bytes, as received (``/$value``), streamed.

        Raises ``MessageGone`` when it is no longer in the mailbox, ``TooLarge`` when it is
        over ``limit`` bytes (read no further than that).
        """
        path = f"{self._user}/messages/{message_id}/$value"
        what = f"read {self.reference(message_id)}"
        try:
            return self.client.download(path, what=what, limit=limit)
        except GraphError as exc:
            if exc.status != 404:
                raise
            raise MessageGone(
                f"{what}: gone from the mailbox (HTTP 404 {exc.code}): deleted after it was "
                "listed; nothing to do"
            ) from None

    def fetched(
        self, items: list[MailItem], limit: int
    ) -> Iterator[tuple[MailItem, bytes | Skippable | Retriable]]:
        """Each item with its raw MIME (or why it cannot be read), in order, fetched a few
        ahead in parallel. After a ``Retriable`` nothing more is fetched: Graph is failing;
        but after an ``Unserved`` (that one message's answer stayed broken) the rest is."""
        with interrupt.workers(MAX_IN_FLIGHT) as pool:
            pending: deque[tuple[MailItem, Future[bytes]]] = deque()
            queue = iter(items)
            try:
                while True:
                    while len(pending) < FETCH_AHEAD and (item := next(queue, None)) is not None:
                        pending.append((item, pool.submit(self.raw, item.id, limit)))
                    if not pending:
                        return
                    first, future = pending.popleft()
                    try:
                        data: bytes | Skippable | Retriable = future.result()
                    except (Skippable, Retriable) as exc:
                        data = exc
                    yield first, data
                    if isinstance(data, Retriable) and not isinstance(data, Unserved):
                        return
            finally:
                for _, future in pending:
                    future.cancel()

    def apply(self, message_id: str, action: str) -> bool:
        """Do ``action`` (``none``, ``read``, ``move:<folder>``, ``category:<name>``) unless
        the message has left the folder since it was listed; whether it was done.

        A message a person moved or deleted meanwhile (Outlook's delete is a move to Deleted
        Items, where its immutable id still reaches it) is left where that person put it:
        never moved back out, never marked. Every answer must be Graph's JSON (the message,
        the moved message): a proxy's page in its place is retried like a 503, which is safe
        because each write ends the same however often it is sent (a PATCH sets values; a
        second move finds the message already in its destination, and leaves it there).
        """
        kind, _, argument = action.partition(":")
        if kind not in ("read", "category", "move"):
            return False
        path = f"{self._user}/messages/{message_id}"
        what = f"{action} {self.reference(message_id)}"
        current = self.client.get_json(
            path, what=what, params={"$select": "parentFolderId,categories"}
        )
        if current.get("parentFolderId") != self.watched_id():
            log.info("%s: left alone, no longer in %s", what, self.settings.folder)
            return False
        if kind == "read":
            self.client.request_json("PATCH", path, what=what, json={"isRead": True})
        elif kind == "category":
            # PATCH replaces the whole collection: keep what others set.
            categories = list(current.get("categories") or [])
            if argument not in categories:
                body = {"categories": [*categories, argument]}
                self.client.request_json("PATCH", path, what=what, json=body)
        else:
            destination = self.folder_id(argument, create=True)
            self.client.request_json(
                "POST", f"{path}/move", what=what, json={"destinationId": destination}
            )
        return True

    def watched_id(self) -> str:
        """The id of the folder the source reads (what ``parentFolderId`` says), asked once:
        a well-known name is not an id."""
        with self._lock:
            if self._watched is None:
                folder = self.folder_path(self.settings.folder, "[source.mailbox] folder")
                answer = self.client.get_json(
                    folder, what=f"find {self.name}", params={"$select": "id"}
                )
                self._watched = str(answer["id"])
            return self._watched

    # -- folders ---------------------------------------------------------------------------

    def folder_path(self, folder: str, key: str) -> str:
        """The URL path of a folder given by well-known name or top-level display name."""
        return f"{self._user}/mailFolders/{self.folder_id(folder, key=key)}"

    def folder_id(self, folder: str, *, create: bool = False, key: str = "") -> str:
        """A folder's id (a well-known name is its own id); created if asked and missing."""
        lowered = folder.casefold()
        if lowered in _NEVER:
            raise ConfigError(None, key or "[source.mailbox] after", "this tool never deletes mail")
        if lowered in WELL_KNOWN:
            return lowered
        if folder in self._folders:
            return self._folders[folder]
        found = self._find_folder(folder)
        if found is None and create:
            try:
                made = self.client.request_json(
                    "POST",
                    f"{self._user}/mailFolders",
                    what=f"create the folder {folder!r}",
                    json={"displayName": folder},
                )
                found = str(made["id"])
            except GraphError as exc:
                if exc.status != 409:  # made meanwhile by someone else: look it up again
                    raise
                found = self._find_folder(folder)
        if found is None:
            raise ConfigError(
                None,
                key or "[source.mailbox] after",
                f"{self.settings.mailbox} has no top-level folder {folder!r}",
            )
        self._folders[folder] = found
        return found

    def _find_folder(self, folder: str) -> str | None:
        escaped = folder.replace("'", "''")
        answer = self.client.get_json(
            f"{self._user}/mailFolders",
            what=f"find the folder {folder!r}",
            params={"$filter": f"displayName eq '{escaped}'", "$select": "id,displayName"},
        )
        # A gateway's {} is no answer (Retriable), never "no such folder" (a config error).
        for item in self.client.paging(f"find the folder {folder!r}").items(answer):
            return str(item["id"])
        return None
