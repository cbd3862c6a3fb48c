"""The values the ``Sink`` and ``Ledger`` ports trade for writes in bulk: tickets to create
together and what became of each, what a search for unsettled creates found, the tickets
people resolved, and a batch of writes to record.

Kept beside ``ports`` (which names them in its Protocols) for that module's size; pure
values, importing only ``ports``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from .ports import Applied, Resolution, TicketContent, TicketFacts, TicketSnapshot


@dataclass(frozen=True, slots=True)
class ResolvedTicket:
    """A ticket the sink shows resolved (``Sink.resolved_since``), by whoever did it."""

    key: str
    """Its key as the sink shows it now (a ticket moved to another project has a new one)."""
    idempotency_key: str
    """The key it was created with, as the ticket itself records it ("" if it does not)."""
    resolution: Resolution


@dataclass(frozen=True, slots=True)
class PeopleCheck:
    """The answer of ``Sink.resolved_since``: the tickets found, and when the check began
    (the ``since`` of the next one)."""

    resolved: list[ResolvedTicket]
    checked_at: datetime
    reopened: tuple[ResolvedTicket, ...] = ()
    """Tickets the sink shows not done that changed since (a person may have reopened
    one the tool knows resolved); ``resolution.at``: when their status last changed."""


@dataclass(frozen=True, slots=True)
class TicketsSeen:
    """The answer of ``Sink.which_exist``: the keys asked for that the sink no longer has
    (deleted), and the idempotency key -> key of every ticket found (a ticket a person moved
    to another project answers its old key under its new one)."""

    gone: frozenset[str]
    found: dict[str, str]


@dataclass(frozen=True, slots=True)
class NewTicket:
    """A ticket to create (``Sink.create_many``)."""

    idempotency_key: str
    fingerprint: str
    content: TicketContent
    family: str = "unknown"
    """The problem's family, which may choose the ticket's priority."""


Made: TypeAlias = TicketSnapshot | Exception
"""One ticket of ``Sink.create_many``: the ticket made, or the error that befell it alone
(a refusal: ``Fatal``, ``Skippable``; or ``WriteUnconfirmed``: it may have been made)."""


@dataclass(frozen=True, slots=True)
class Found:
    """What a sink holds for creates whose outcome is unknown (``Sink.find_many``)."""

    tickets: dict[str, TicketSnapshot]
    """Idempotency key -> the ticket created with it."""
    unsure: frozenset[str] = frozenset()
    """Keys not found, but not surely absent either (a search lagging behind a create of
    this very run; issues that may be its but cannot be told apart): looked for again
    before any new attempt. Any other key not found is surely absent."""


@dataclass(frozen=True, slots=True)
class WriteDone:
    """A sink write to record as done (``Ledger.done_many``): what the ticket now holds."""

    intent: int | None
    fingerprint: str
    episode: int
    applied: Applied
    facts: TicketFacts | None = None
