"""The values the ports trade (``ports``): a ticket's content and snapshot, a resolution,
what was written, the facts kept of a ticket, an intent (a message as read: ``raw_message``).

Pure values, importing nothing of the package: kept apart from the ``Protocol``s for the
size of ``ports``, which re-exports them (and ``raw_message``'s, kept apart again so that
``parse`` does not build these models).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

TicketStatus = Literal["open", "resolved"]


# ---------------------------------------------------------------------------------------------
# Values


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
    linked: tuple[str, ...] = ()
    """Keys of the tickets this one is linked to (Jira: issue links of the configured type)."""


class Resolution(BaseModel):
    """A ticket resolved in the sink by someone other than this tool."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """The resolution as the sink names it (``Won't Do``); the status when it has none."""
    at: datetime


@dataclass(frozen=True, slots=True)
class Applied:
    """What the tool last wrote to (or, after a crash, found in) one ticket."""

    key: str
    idempotency_key: str
    status: TicketStatus
    content_digest: str
    comments: dict[str, str] = field(default_factory=dict)
    """Comment key -> digest of the body written."""
    linked: tuple[str, ...] = ()
    """Keys of the tickets this tool linked this one to (``Sink.link``)."""


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the ``tickets`` command shows of a ticket, kept in the ledger whatever the sink."""

    summary: str
    kind: str | None
    identity: str | None
    tenant: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    occurrences: int


@dataclass(frozen=True, slots=True)
class Intent:
    """A sink write that was started; if it is still here, its outcome is unknown."""

    id: int
    fingerprint: str
    episode: int
    idempotency_key: str
    operation: str
    created_at: datetime
    """When the write was started (wall clock)."""
    reach_by: datetime | None = None
    """The latest moment the write may reach the sink, as the sink last said (a create that
    waited out 429s leaves long after its intent was begun)."""

    @property
    def written_at(self) -> datetime:
        """The last moment the write may have reached the sink: a lagging search must be
        given its time from here."""
        return max(self.created_at, self.reach_by or self.created_at)


# ---------------------------------------------------------------------------------------------
# Ports
