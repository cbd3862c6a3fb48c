"""Where tickets live. A sink is anything that satisfies ``Sink``.

Every write names what it writes with a key the tool chooses (the ticket's idempotency key,
a comment's key), so that a write repeated after a crash can be recognised: the local
store makes such repeats no-ops, and a sink that cannot (Jira) is asked what it has before
anything is written again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from ..errors import Retriable, Skippable

TicketStatus = Literal["open", "resolved"]


class WriteUnconfirmed(Retriable):
    """A write got no clear answer: it may or may not have happened. The ticket is read
    (a create: searched for) before anything is written again."""


class NotWritten(Retriable):
    """A write that certainly did not happen (the sink unreachable, or busy past the retry
    budget): temporary, and its intent can be dropped."""


class TicketGone(Skippable):
    """The ticket no longer exists in the sink (a person deleted it)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class TicketContent(BaseModel):
    """The fields the tool owns on a ticket."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    summary: str
    description: str
    links: tuple[str, ...] = ()
    """Keys of related tickets (an earlier ticket for the same problem)."""


class TicketSnapshot(BaseModel):
    """What a sink holds for one ticket, as far as the tool is concerned."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    """The sink's name for the ticket: ``LOCAL-7``, ``OPS-123``."""
    idempotency_key: str
    fingerprint: str
    content: TicketContent
    status: TicketStatus
    resolution: str | None = None
    comments: dict[str, str] = {}
    """Comment key -> body, for the comments this tool wrote."""


class Resolution(BaseModel):
    """A ticket resolved in the sink by someone other than this tool."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """The resolution as the sink names it (``Won't Do``); the status when it has none."""
    at: datetime
    gone: bool = False
    """The ticket no longer exists (deleted): the problem needs a new one."""


class Sink(Protocol):
    """A ticket system the tool writes to."""

    name: str

    def find(
        self, idempotency_key: str, written_at: datetime | None = None
    ) -> TicketSnapshot | None:
        """The ticket created with this key, or None if there is none.

        ``written_at``: when a create with this key may have happened, for a sink whose
        search lags behind its writes (it waits before answering "none").
        """
        ...

    def snapshot(self, key: str) -> TicketSnapshot:
        """The current state of a ticket the tool created (``TicketGone`` if deleted)."""
        ...

    def create(
        self,
        idempotency_key: str,
        fingerprint: str,
        content: TicketContent,
        *,
        family: str = "unknown",
    ) -> TicketSnapshot:
        """Create a ticket (open). Creating twice with one key must not make two tickets.

        ``family`` (the problem's) may choose the ticket's priority.
        """
        ...

    def update(self, key: str, content: TicketContent) -> None:
        """Replace the summary, description and links."""
        ...

    def put_comment(self, key: str, comment_key: str, body: str) -> None:
        """Add the comment named ``comment_key``, or replace its body if it exists."""
        ...

    def remove_comment(self, key: str, comment_key: str) -> None:
        """Remove the comment named ``comment_key`` if it exists."""
        ...

    def set_status(self, key: str, status: TicketStatus) -> None:
        """Resolve or reopen the ticket."""
        ...

    def resolved_elsewhere(self, keys: Sequence[str]) -> dict[str, Resolution]:
        """Of these tickets (open as far as the tool knows), those a person has resolved,
        or deleted (``gone``)."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...
