"""A sink that writes nothing: what a dry run against a remote ticket system talks to.

A dry run against the local store runs on an in-memory copy of it; Jira cannot be copied,
so a dry run plans against the ledger alone and this sink only answers as a sink would
(new tickets get placeholder keys). The run's list of writes is the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from ..ports import Resolution, TicketContent, TicketSnapshot, TicketStatus


class PlanOnly:
    """Accepts every write and keeps none of them."""

    def __init__(self, name: str) -> None:
        """``name``: the sink this stands in for, as shown in messages."""
        self.name = name
        self._created = 0

    def find(
        self, idempotency_key: str, written_at: datetime | None = None
    ) -> TicketSnapshot | None:
        """Nothing is found: an unfinished write is planned again."""
        return None

    def snapshot(self, key: str) -> TicketSnapshot:
        """Unknown without asking the sink: ``settle`` plans an unfinished write again."""
        raise KeyError(key)

    def create(
        self,
        idempotency_key: str,
        fingerprint: str,
        content: TicketContent,
        *,
        family: str = "unknown",
        reach_by: Callable[[datetime], None] | None = None,
    ) -> TicketSnapshot:
        """A placeholder ticket ``(new 1)``, ``(new 2)``... (nothing is sent: no ``reach_by``)."""
        self._created += 1
        return TicketSnapshot(
            key=f"(new {self._created})",
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            content=content,
            status="open",
        )

    def update(self, key: str, content: TicketContent) -> None:
        """Planned only."""

    def put_comment(self, key: str, comment_key: str, body: str) -> None:
        """Planned only."""

    def remove_comment(self, key: str, comment_key: str) -> None:
        """Planned only."""

    def set_status(self, key: str, status: TicketStatus) -> None:
        """Planned only."""

    def resolved_elsewhere(self, keys: Sequence[str]) -> dict[str, Resolution]:
        """Unknown without asking the sink: nothing."""
        return {}

    def close(self) -> None:
        """Nothing to release."""
