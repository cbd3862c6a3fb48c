"""A sink that writes nothing: what a dry run against a remote ticket system talks to.

A dry run against the local store runs on an in-memory copy of it; Jira cannot be copied,
so a dry run plans against the ledger alone and this sink only answers as a sink would
(new tickets get placeholder keys). The run's list of writes is the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from ..ports import TicketContent, TicketSnapshot, TicketStatus
from ..sink_values import Found, Made, NewTicket, PeopleCheck, TicketsSeen


class PlanOnly:
    """Accepts every write and keeps none of them."""

    max_batch = 50
    people = False
    max_in_flight = 1

    def __init__(self, name: str) -> None:
        """``name``: the sink this stands in for, as shown in messages."""
        self.name = name
        self._created = 0

    def find_many(
        self,
        idempotency_keys: Sequence[str],
        written_at: datetime | None = None,
        *,
        known: Callable[[str], bool] = lambda key: False,
    ) -> Found:
        """Nothing is found: an unfinished write is planned again."""
        return Found({})

    def snapshot(self, key: str) -> TicketSnapshot:
        """Unknown without asking the sink: ``settle`` plans an unfinished write again."""
        raise KeyError(key)

    def create_many(
        self,
        tickets: Sequence[NewTicket],
        *,
        reach_by: Callable[[datetime], None] | None = None,
        known: Callable[[str], bool] = lambda key: False,
    ) -> list[Made]:
        """Placeholder tickets ``(new 1)``, ``(new 2)``... (nothing is sent: no ``reach_by``)."""
        made: list[Made] = []
        for ticket in tickets:
            self._created += 1
            made.append(
                TicketSnapshot(
                    key=f"(new {self._created})",
                    idempotency_key=ticket.idempotency_key,
                    fingerprint=ticket.fingerprint,
                    content=ticket.content,
                    status="open",
                )
            )
        return made

    def update(
        self, key: str, content: TicketContent, *, comment: tuple[str, str] | None = None
    ) -> None:
        """Planned only."""

    def put_comment(self, key: str, comment_key: str, body: str) -> None:
        """Planned only."""

    def remove_comment(self, key: str, comment_key: str) -> None:
        """Planned only."""

    def set_status(self, key: str, status: TicketStatus) -> None:
        """Planned only."""

    def link(self, key: str, to: str) -> None:
        """Planned only."""

    def unlink(self, key: str, to: str) -> None:
        """Planned only."""

    def resolved_since(self, since: datetime | None) -> PeopleCheck:
        """Unknown without asking the sink: nothing."""
        return PeopleCheck([], datetime.now(UTC))

    def which_exist(self, keys: Sequence[str]) -> TicketsSeen:
        """Not asked in a dry run: every one, as far as it knows."""
        return TicketsSeen(frozenset(), {})

    def close(self) -> None:
        """Nothing to release."""
