"""The ports: the ``Protocol``s the pipeline talks to, and the values they trade.

Each adapter satisfies one port structurally (no inheritance): a ``Source`` yields raw
messages (or, reading structured data such as Graph's provisioning errors, the ``Report``
it built) and does its own after-actions; a ``Sink`` keeps tickets (the local store, Jira,
the dry run); a ``Directory`` says who holds a value (Entra ID through Graph, Active
Directory over LDAP); a ``Ledger`` is the tool's memory between runs (``ledger_ports``, with
``MailboxBook``; both re-exported here). The composition root (``bootstrap``) builds the
real adapters; the core (parsing, problems, the lifecycle, the ticket plan) imports only
these values and the models, never an adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # named in the Protocols' signatures only: `parse` need not load them
    from .models import Report
    from .models.enrichment import Holder, Where
    from .run_summary import RunSummary
    from .sink_values import Found, Made, NewTicket, PeopleCheck, TicketsSeen

from .ledger_ports import Ledger, MailboxBook
from .port_values import (
    Applied,
    Intent,
    Resolution,
    TicketContent,
    TicketFacts,
    TicketSnapshot,
    TicketStatus,
)
from .raw_message import Outcome, RawMessage

__all__ = [
    "Applied",
    "Directory",
    "Intent",
    "Ledger",
    "MailboxBook",
    "Outcome",
    "Progress",
    "RawMessage",
    "Resolution",
    "Sink",
    "Source",
    "TicketContent",
    "TicketFacts",
    "TicketSnapshot",
    "TicketStatus",
]


class Sink(Protocol):
    """A ticket system the tool writes to."""

    name: str
    max_batch: int
    """At most this many tickets to one ``create_many`` (Jira's bulk create takes 50)."""
    people: bool
    """Whether people change tickets there (a tracker such as Jira): if so, the open
    tickets are looked for (deleted, moved) each pass."""
    max_in_flight: int
    """At most this many writes to existing tickets at once, each in a thread of its own;
    1: one after another, in the calling thread (a store that is a SQLite connection)."""

    def find_many(
        self,
        idempotency_keys: Sequence[str],
        written_at: datetime | None = None,
        *,
        known: Callable[[str], bool] = lambda key: False,
    ) -> Found:
        """The tickets created with these keys (creates whose outcome is unknown).

        ``written_at``: the latest moment any of those creates may have reached the sink,
        for a sink whose search lags behind its writes (it waits before answering "none").
        ``known``: whether a ticket key is the ledger's already (another ticket's): a sink
        that must guess which ticket is a create's never takes such a one.
        """
        ...

    def snapshot(self, key: str) -> TicketSnapshot:
        """The current state of a ticket the tool created (``TicketGone`` if deleted)."""
        ...

    def create_many(
        self,
        tickets: Sequence[NewTicket],
        *,
        reach_by: Callable[[datetime], None] | None = None,
        known: Callable[[str], bool] = lambda key: False,
    ) -> list[Made]:
        """Create these tickets (open), at most ``max_batch``; one outcome per ticket, in order.

        Creating twice with one key must not make two tickets. Raises when the request as a
        whole failed (``WriteUnconfirmed``: any of them may have been made; ``NotWritten``:
        none was; ``Fatal``); otherwise each ticket's outcome is its own (``Made``).
        ``reach_by``: a sink whose search lags behind its writes tells it the latest moment
        the creates may reach it, whenever that moves (before each attempt; once answered),
        so that after a crash the ledger knows from when to give the search its time.
        ``known``: whether a ticket key is the ledger's already (another ticket's): a sink
        whose answer names such a key (a replayed or stale answer) never takes it for a new
        ticket's, but leaves the create's outcome unknown (``WriteUnconfirmed``).
        """
        ...

    def update(
        self, key: str, content: TicketContent, *, comment: tuple[str, str] | None = None
    ) -> None:
        """Replace the summary, description and links; with ``comment`` (its key, its body),
        add that comment as ``put_comment`` does, in the same write."""
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

    def link(self, key: str, to: str) -> None:
        """Link ticket ``key`` to the earlier ticket ``to`` (Jira: an issue link)."""
        ...

    def unlink(self, key: str, to: str) -> None:
        """Remove the links between ticket ``key`` and ``to`` that ``link`` makes (none left:
        nothing to do)."""
        ...

    def resolved_since(self, since: datetime | None) -> PeopleCheck:
        """The tool's tickets the sink shows resolved that changed since ``since`` (the
        previous check's ``checked_at``; None: ever), whoever resolved them: one query."""
        ...

    def which_exist(self, keys: Sequence[str]) -> TicketsSeen:
        """Which of these tickets the sink still has (a person may delete or move one the
        tool has no reason to write to): a few requests for up to some hundreds."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


class Source(Protocol):
    """Where reports come from: saved files, a mailbox, Graph's provisioning errors. Its
    bookkeeping is its own."""

    name: str

    def messages(self, summary: RunSummary) -> Iterator[RawMessage | Report]:
        """The messages to read in this pass, one at a time; those that cannot be read are
        counted and named in ``summary`` instead. A source that reads structured data, not
        bytes (a Graph scan), yields the ``Report`` it built: it is recorded as it is, with
        no parse and no trust rules, which are for mail."""
        ...

    def read(self, message: RawMessage | Report, outcome: Outcome) -> None:
        """Note what became of one message (or report), once the ledger has recorded it."""
        ...

    def finish(self, summary: RunSummary) -> None:
        """After every ticket write of the pass: what the source owes its messages (move,
        mark) and its cursor. May raise ``Retriable`` for a failure met earlier."""
        ...


class Progress(Protocol):
    """How far a pass has got, for a bar on a terminal (``terminal.ProgressBar``). The
    sources say how many items to expect as they learn it; the pipeline counts each one."""

    def expect(self, count: int) -> None:
        """``count`` more items to come (files, messages listed, errors a scan found)."""
        ...

    def advance(self, source: str, count: int = 1) -> None:
        """``count`` items done, ``source`` naming the latest."""
        ...


class Directory(Protocol):
    """Who holds a value: Entra ID (through Graph) or Active Directory (over LDAP)."""

    name: Where

    def prefetch(self, values: Iterable[str]) -> None:
        """Look many values up at once, where the directory can (a batch); raises when the
        directory as a whole fails, keeping what it found before."""
        ...

    def known(self, value: str) -> bool:
        """Whether ``value`` was looked up already in this run (its answer is kept)."""
        ...

    def holders(self, value: str) -> Sequence[Holder]:
        """The objects holding ``value`` (looked up now if not known); raises when the
        directory cannot answer."""
        ...

    def unavailable(self, value: str) -> list[str]:
        """Look-ups of ``value`` that failed while others answered (one object type refused),
        each as ``<where>: <why>``."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
