"""The ledger's ports: the tool's memory between runs (``Ledger``) and its mailbox pages
(``MailboxBook``), both kept by ``ledger.store.Ledger``.

Split from ``ports`` (which re-exports both) because the ledger's port is the largest
family: the pipeline, the ticket sync and the sources each use a part of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # named in the Protocols' signatures only: `parse` need not load them
    from .lifecycle import Coverage, Episode
    from .problem import Problem, Sighting
    from .problem_rows import Listed
    from .sink_values import WriteDone

from .port_values import Applied, Intent, TicketFacts, TicketStatus

__all__ = ["Ledger", "MailboxBook"]


class Ledger(Protocol):
    """The tool's memory between runs (``ledger.store.Ledger``): messages seen, reports,
    problems and their sightings, tickets written, and the intents of unfinished writes."""

    def grouped(self) -> AbstractContextManager[None]:
        """The writes made inside commit as one transaction (nested: the outer one)."""
        ...

    def message_status(self, key: str) -> str | None:
        """``pending``, ``processed``, ``rejected``, or None if never seen."""
        ...

    def filed_under(self, message_key: str, tenant_key: str) -> bool:
        """Whether the message ``message_key`` gave a report of the tenant ``tenant_key``."""
        ...

    def record_rejected(self, key: str, source: str, reason: str) -> None:
        """A message that makes no ticket, with the reason."""
        ...

    def record_report(
        self,
        message_key: str,
        report_key: str,
        tenant: str | None,
        at: datetime,
        source: str,
        sightings: Iterable[Sighting | Listed],
        subject: str | None = None,
        coverage: Coverage | None = "unquarantined",
        listing: str | None = None,
    ) -> bool:
        """A parsed report and its sightings: the lifecycle states it changes are moved on,
        and the problems whose tickets may change are flagged. ``coverage``: the problems
        the report would have listed (``lifecycle.coverage_of``; None: it vouches for none).
        ``Listed`` problems are made only when their rows changed (``problem_rows``), and
        not even named when all the rows are the newest report's (``listing``)."""
        ...

    def identities(self, tenant: str | None, object_ids: Iterable[str]) -> dict[str, str]:
        """Object id -> the identity the ledger knows it by (design.md section 9)."""
        ...

    def learn_organization(self, org_id: str, name: str) -> None:
        """Graph's organisation ``org_id`` is named ``name`` (a rename is the same tenant)."""
        ...

    def other_names(self, tenant: str | None) -> list[str]:
        """The other names Graph gave the organisation named ``tenant``, and the spellings
        joined with it."""
        ...

    def names_of(self, spellings: Iterable[str]) -> list[str]:
        """``spellings`` and every other name the ledger knows their tenant by, in turn."""
        ...

    def established_tenant(self, names: Iterable[str]) -> str | None:
        """Of the spellings of one tenant, the one its reports were first filed under (None:
        the ledger has none of them)."""
        ...

    def join_tenant(self, names: Iterable[str]) -> str | None:
        """``established_tenant``, with what was filed under the other spellings joined into
        it first (their reports, pairs and problems: ``ledger/joining.py``)."""
        ...

    def learn_identities(
        self, tenant: str | None, pairs: Iterable[tuple[str, str]], at: datetime | None = None
    ) -> int:
        """(object id, identity) pairs a source showed (in its report of time ``at``); the
        problems found by those object ids alone are merged into their identity's. Returns
        how many were merged."""
        ...

    def merged_into(self, fingerprint: str) -> str | None:
        """The problem a problem found by an object id alone was merged into, if it was."""
        ...

    def merged_away(self, fingerprint: str, keys: Iterable[str], before: int) -> frozenset[str]:
        """Those of ``keys`` that a trade displaced from an episode of ``fingerprint`` below
        ``before``, now tickets of a problem merged into it."""
        ...

    def unlinked(self, idempotency_key: str) -> frozenset[str]:
        """The tickets an unlink was sent for from the ticket of ``idempotency_key``: each
        pair is unlinked at most once (a link a person makes again is theirs)."""
        ...

    def mark_processed(self) -> int:
        """Every pending message whose writes are all settled is done."""
        ...

    def messages_mark(self) -> int:
        """The last message row recorded so far (0: none)."""
        ...

    def unnamed_rejections(self) -> Iterator[tuple[str, str]]:
        """(source, reason) of each rejection no pass has named yet, in the order recorded."""
        ...

    def unnamed_before(self, key: str, mark: int) -> bool:
        """Whether the message ``key`` is a rejection not named yet, recorded by ``mark``."""
        ...

    def mark_named(self, up_to: int) -> int:
        """The rejections up to the mark ``up_to`` were named by a pass's output."""
        ...

    def dirty(self) -> list[str]:
        """Fingerprints of the problems whose tickets may need to change."""
        ...

    def problem(self, fingerprint: str) -> Problem:
        """The problem with this fingerprint."""
        ...

    def sightings(self, fingerprint: str) -> list[Sighting]:
        """Every sighting of a problem."""
        ...

    def episodes(self, fingerprint: str) -> list[Episode]:
        """The tickets a problem's history calls for (its lifecycle state)."""
        ...

    def timeline(self, tenant: str | None) -> list[tuple[datetime, str]]:
        """The tenant's reports in report-time order: (time, report key)."""
        ...

    def resolutions(self, fingerprint: str) -> dict[int, list[tuple[datetime, str]]]:
        """Episode -> the resolutions given to its ticket outside the reports."""
        ...

    def applied(self, fingerprint: str) -> dict[int, Applied]:
        """Episode -> what was last written to that ticket."""
        ...

    def finish_problem(
        self, fingerprint: str, status: TicketStatus | None, facts: dict[int, TicketFacts]
    ) -> None:
        """The problem's tickets are up to date: keep their facts, clear the flag."""
        ...

    def begin(self, fingerprint: str, episode: int, idempotency_key: str, operation: str) -> int:
        """Record the intent of a sink write, committed before the write starts."""
        ...

    def begin_many(self, intents: Sequence[tuple[str, int, str, str]]) -> list[int]:
        """The intents of a batch of writes, each (fingerprint, episode, idempotency key,
        operation), all committed at once before the batch is sent."""
        ...

    def done(
        self,
        intent: int | None,
        fingerprint: str,
        episode: int,
        applied: Applied,
        facts: TicketFacts | None = None,
    ) -> None:
        """Record what the sink now holds and drop the intent, in one transaction."""
        ...

    def done_many(self, writes: Sequence[WriteDone]) -> None:
        """``done`` for a batch of writes, in one transaction."""
        ...

    def abandon(self, intent: int) -> None:
        """Drop an intent whose write certainly did not happen."""
        ...

    def reach_by(self, intent: int, when: datetime) -> None:
        """Note the latest moment this intent's write may reach the sink; committed at once."""
        ...

    def reach_by_many(self, intents: Sequence[int], when: datetime) -> None:
        """``reach_by`` for the intents of a batch, in one transaction."""
        ...

    def pending_intents(self) -> list[Intent]:
        """Writes started but not recorded as done."""
        ...

    def settle(self, intent: Intent, applied: Applied | None) -> None:
        """Believe what the sink holds for an unfinished write; reconcile it again."""
        ...

    def open_problems(self) -> list[str]:
        """Fingerprints of the problems open in their lifecycle."""
        ...

    def was_deleted(self, fingerprint: str, episode: int) -> bool:
        """Whether a person deleted the ticket this episode had."""
        ...

    def tickets_to_check(self, limit: int) -> list[tuple[str, str, int, str]]:
        """Open tickets checked longest ago first: (key, fingerprint, episode, idempotency key)."""
        ...

    def checked(self, keys: Iterable[str], at: datetime) -> None:
        """These tickets were seen to exist at ``at``."""
        ...

    def rekey_ticket(self, fingerprint: str, episode: int, key: str) -> None:
        """The ticket answers under a new key (moved to another project)."""
        ...

    def has_tickets(self) -> bool:
        """Whether the tool wrote any ticket."""
        ...

    def open_tickets(self, fingerprints: Iterable[str]) -> dict[str, tuple[str, int]]:
        """Ticket key -> (fingerprint, episode), for these problems' open tickets."""
        ...

    def record_resolution(
        self, fingerprint: str, episode: int, name: str, at: datetime, *, in_sink: bool = True
    ) -> None:
        """A ticket resolved outside the reports (a person, or this tool's verification)."""
        ...

    def verified_to_recheck(self) -> list[tuple[str, int]] | None:
        """Tickets resolved by an earlier release's verification, while their once-only
        re-check is due (``ledger.reverify``); None once it is done."""
        ...

    def rechecked(self, wrong: Sequence[tuple[str, int, str]], at: datetime) -> None:
        """End the re-check, withdrawing each wrong (fingerprint, episode, why)."""
        ...

    def ticket_key(self, fingerprint: str, episode: int) -> str | None:
        """The sink's key of a problem's n-th ticket, if the ledger has it."""
        ...

    def ticket_of(self, key: str) -> tuple[str, int] | None:
        """(fingerprint, episode) of the ticket with this key, if the ledger has it."""
        ...

    def knows_key(self, key: str) -> bool:
        """Whether a ticket the ledger holds answers under ``key`` (its key, or an older
        one from before a person moved it)."""
        ...

    def ticket_with(self, idempotency_key: str) -> tuple[str, int] | None:
        """(fingerprint, episode) of the ticket created with this idempotency key, if the
        ledger has it."""
        ...

    def forget_ticket(self, fingerprint: str, episode: int) -> None:
        """The ticket is gone from the sink (deleted): the problem needs a new one."""
        ...

    def create_pending(self, idempotency_key: str) -> bool:
        """Whether a create with this key is still unsettled (maybe made, not yet found)."""
        ...

    def cursor(self, name: str) -> datetime | None:
        """A watermark (a source's, or the last check of people's resolutions)."""
        ...

    def set_cursor(self, name: str, value: datetime) -> None:
        """Move a watermark."""
        ...


class MailboxBook(Protocol):
    """The ledger's mailbox pages: messages met in a mailbox, their owed actions, cursors."""

    def mailbox_known(self, message_id: str) -> bool:
        """Whether this message was met before."""
        ...

    def record_mailbox(
        self, message_id: str, source: str, received: datetime, outcome: str
    ) -> None:
        """A message read, with the action it is owed."""
        ...

    def record_mailbox_rejected(
        self, message_id: str, source: str, received: datetime, reference: str, reason: str
    ) -> None:
        """A message refused unread, with the action it is owed; a rejection to name."""
        ...

    def mailbox_owed(self, source: str) -> list[tuple[str, str, datetime]]:
        """(message id, outcome, received) of the messages still owed their action."""
        ...

    def mailbox_done(self, message_id: str) -> None:
        """The message's action is done (or nothing is left to do to it)."""
        ...

    def cursor(self, name: str) -> datetime | None:
        """A source's watermark."""
        ...

    def set_cursor(self, name: str, value: datetime) -> None:
        """Move a source's watermark."""
        ...
