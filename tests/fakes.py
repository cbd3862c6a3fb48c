"""Small in-memory fakes of the ports (``dirsync_bridge.ports``), for the core's unit tests.

Each satisfies its ``Protocol`` structurally (mypy checks it where a test passes one in), and
keeps only what a test needs to look at afterwards. The real adapters are tested against
real servers elsewhere (the simulators, Samba).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dirsync_bridge.errors import DirsyncBridgeError
from dirsync_bridge.lifecycle import Episode, PlannedComment
from dirsync_bridge.models import Report
from dirsync_bridge.models.enrichment import CloudHolder, Holder, Where
from dirsync_bridge.ports import (
    Outcome,
    RawMessage,
    Resolution,
    TicketContent,
    TicketSnapshot,
    TicketStatus,
)
from dirsync_bridge.problem import Problem
from dirsync_bridge.run_summary import RunSummary
from dirsync_bridge.sink_values import (
    Found,
    Made,
    NewTicket,
    PeopleCheck,
    ResolvedTicket,
    TicketsSeen,
)


class MemorySink:
    """A ``Sink`` in a dict: keys ``MEM-1``, ``MEM-2``...; every write is recorded in order."""

    name = "memory"
    max_batch = 3
    people = True
    """Small, so that a handful of problems needs several batches."""
    max_in_flight = 1

    def __init__(self) -> None:
        self.tickets: dict[str, TicketSnapshot] = {}
        self.writes: list[tuple[str, str]] = []
        """(operation, ticket key), in the order they happened."""
        self.batches: list[int] = []
        """The size of each ``create_many``, in order."""
        self.resolved_by_people: dict[str, Resolution] = {}
        self.checks: list[datetime | None] = []
        """The ``since`` of each ``resolved_since``."""

    def find(self, idempotency_key: str) -> TicketSnapshot | None:
        """The ticket created with this key."""
        return next(
            (t for t in self.tickets.values() if t.idempotency_key == idempotency_key), None
        )

    def find_many(
        self,
        idempotency_keys: Sequence[str],
        written_at: datetime | None = None,
        *,
        known: Callable[[str], bool] = lambda key: False,
    ) -> Found:
        """The tickets created with these keys."""
        found = {key: self.find(key) for key in idempotency_keys}
        return Found({key: ticket for key, ticket in found.items() if ticket is not None})

    def snapshot(self, key: str) -> TicketSnapshot:
        """The ticket as held."""
        return self.tickets[key]

    def create_many(
        self,
        tickets: Sequence[NewTicket],
        *,
        reach_by: Callable[[datetime], None] | None = None,
        known: Callable[[str], bool] = lambda key: False,
    ) -> list[Made]:
        """New open tickets (the same one again for a key already used)."""
        self.batches.append(len(tickets))
        made: list[Made] = []
        for ticket in tickets:
            found = self.find(ticket.idempotency_key)
            if found is None:
                key = f"MEM-{len(self.tickets) + 1}"
                found = self.tickets[key] = TicketSnapshot(
                    key=key,
                    idempotency_key=ticket.idempotency_key,
                    fingerprint=ticket.fingerprint,
                    content=ticket.content,
                    status="open",
                    linked=ticket.content.links,  # as the local store: linked as made
                )
                self.writes.append(("create", key))
            made.append(found)
        return made

    def update(
        self, key: str, content: TicketContent, *, comment: tuple[str, str] | None = None
    ) -> None:
        """New summary, description and links (and the comment, if any)."""
        if comment is not None:
            self.put_comment(key, *comment)
        self._change(key, "update", content=content)

    def put_comment(self, key: str, comment_key: str, body: str) -> None:
        """Add or replace the comment named ``comment_key``."""
        comments = {**self.tickets[key].comments, comment_key: body}
        self._change(key, f"comment {comment_key}", comments=comments)

    def remove_comment(self, key: str, comment_key: str) -> None:
        """Drop the comment named ``comment_key``."""
        comments = {k: v for k, v in self.tickets[key].comments.items() if k != comment_key}
        self._change(key, f"remove {comment_key}", comments=comments)

    def set_status(self, key: str, status: TicketStatus) -> None:
        """Resolve or reopen."""
        self._change(key, f"status {status}", status=status)

    def link(self, key: str, to: str) -> None:
        """Link to an earlier ticket."""
        linked = (*self.tickets[key].linked, to)
        self._change(key, f"link {to}", linked=linked)

    def unlink(self, key: str, to: str) -> None:
        """Unlink from a ticket."""
        linked = tuple(k for k in self.tickets[key].linked if k != to)
        self._change(key, f"unlink {to}", linked=linked)

    def which_exist(self, keys: Sequence[str]) -> TicketsSeen:
        """The tickets this fake holds."""
        held = {k: self.tickets[k].idempotency_key for k in keys if k in self.tickets}
        return TicketsSeen(frozenset(set(keys) - set(held)), {v: k for k, v in held.items()})

    def resolved_since(self, since: datetime | None) -> PeopleCheck:
        """What a test said people resolved."""
        self.checks.append(since)
        resolved = [
            ResolvedTicket(key, self.tickets[key].idempotency_key, resolution)
            for key, resolution in self.resolved_by_people.items()
        ]
        return PeopleCheck(resolved, datetime.now(UTC))

    def close(self) -> None:
        """Nothing to release."""

    def _change(self, key: str, operation: str, **changes: object) -> None:
        self.tickets[key] = self.tickets[key].model_copy(update=changes)
        self.writes.append((operation, key))


@dataclass
class MemoryDirectory:
    """A ``Directory`` answering from a dict of value -> holders; ``failing`` values raise."""

    name: Where = "cloud"
    holding: dict[str, list[Holder]] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)
    closed: bool = False

    def prefetch(self, values: Iterable[str]) -> None:
        """Nothing ahead of time."""

    def known(self, value: str) -> bool:
        """Nothing is remembered."""
        return False

    def holders(self, value: str) -> Sequence[Holder]:
        """The holders of ``value``; raises for a failing one."""
        self.asked.append(value)
        if value in self.failing:
            raise DirsyncBridgeError(f"{self.name} is down")
        return self.holding.get(value, [])

    def unavailable(self, value: str) -> list[str]:
        """Never a partial answer."""
        return []

    def close(self) -> None:
        """Remember that it was closed."""
        self.closed = True


def cloud_user(value: str, upn: str, *, synced: bool = False) -> CloudHolder:
    """A cloud user holding ``value``."""
    return CloudHolder(
        value=value,
        object_type="user",
        id=f"id-{upn}",
        user_principal_name=upn,
        sync_state="synced" if synced else "cloud-only",
    )


@dataclass
class ListSource:
    """A ``Source`` of messages given up front; records what became of each."""

    messages_: list[RawMessage | Report]
    name: str = "list"
    outcomes: list[tuple[str, Outcome]] = field(default_factory=list)
    finished: bool = False

    def messages(self, summary: RunSummary) -> Iterator[RawMessage | Report]:
        """The messages (or built reports), in order."""
        yield from self.messages_

    def read(self, message: RawMessage | Report, outcome: Outcome) -> None:
        """Remember the outcome."""
        self.outcomes.append((message.source, outcome))

    def finish(self, summary: RunSummary) -> None:
        """Remember that the pass finished."""
        self.finished = True


class PlainTexts:
    """``TicketTexts`` without templates: the summary names the problem, comments their kind."""

    fingerprint = "plain"

    def ticket_text(
        self, problem: Problem, episode: Episode, previous_ticket: str | None
    ) -> TicketContent:
        """``<family>: <identity>``, and the earlier ticket as a link."""
        return TicketContent(
            summary=f"{problem.family}: {problem.identity}",
            description=f"episode {episode.number}",
            links=(previous_ticket,) if previous_ticket else (),
        )

    def comment_text(self, comment: PlannedComment) -> str:
        """The comment's kind."""
        return comment.kind
