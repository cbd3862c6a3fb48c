"""Unfinished creates whose idempotency key the ledger's ticket of another problem holds.

A release before migration 0012 kept no record of a tenant join: with the alias gone, the
joined spelling's report re-opened a problem the join had retired, and a create began for it
under the key of its first ticket, which the join had handed over to the survivor (a ticket
keeps its key). The local store answered that create with the ticket it had; Jira made a
second issue. Either, recorded under the retired problem, was refused (the key is the
survivor's ticket's), so every run ended in "UNIQUE constraint failed:
tickets.idempotency_key". Migration 0013 retires the problem again; its intent is settled
here, before any other: the ticket holding the key is the one the create was for, recorded
as it is (the create changed nothing of it), so the intent is dropped; an issue it made besides
is resolved, naming that ticket (left untracked, as any ticket made twice: recorded, it would
share the survivor's key, and a person closing it must not resolve the survivor's).
"""

from __future__ import annotations

import logging

from . import crashpoints
from .ports import Intent, Ledger, Sink, TicketSnapshot

log = logging.getLogger(__name__)

COMMENT_KEY = "0:made-twice:0"
"""The comment the second ticket is given (keyed: written again after a crash, it is edited,
not added)."""


def settle_made_twice(ledger: Ledger, sink: Sink, intents: list[Intent]) -> list[Intent]:
    """Settle those of ``intents`` whose key a ticket of another problem (or episode)
    holds; returns the others, for the usual settling."""
    left: list[Intent] = []
    for intent in intents:
        # Only a create: another write's unknown outcome is settled by reading its ticket.
        held = ledger.ticket_with(intent.idempotency_key) if intent.operation == "create" else None
        if held is None or held == (intent.fingerprint, intent.episode):
            left.append(intent)
            continue
        holder = ledger.ticket_key(*held)
        found = sink.find_many(
            [intent.idempotency_key],
            intent.written_at,
            known=ledger.knows_key,
        )
        if intent.idempotency_key in found.unsure:
            continue  # a search that may lag: a later run looks again
        extra = found.tickets.get(intent.idempotency_key)
        if extra is not None and extra.key != holder:
            _resolve(sink, extra, holder)
        log.info(
            "settling an unfinished create on %s: the key of %s, %s",
            intent.idempotency_key,
            holder,
            f"made twice ({extra.key} resolved)" if extra and extra.key != holder else "as is",
        )
        ledger.abandon(intent.id)
    return left


def _resolve(sink: Sink, extra: TicketSnapshot, holder: str | None) -> None:
    """The second ticket of one create resolved, saying which ticket is tracked."""
    # Outside an intent: a crash before the intent is dropped writes the comment again
    # (keyed: edited, not added) and finds the ticket resolved already.
    sink.put_comment(
        extra.key,
        COMMENT_KEY,
        f"A second ticket for the problem tracked in {holder}, created by mistake by an "
        "earlier release of dirsync-bridge; resolved. Follow that ticket instead.",
    )
    crashpoints.crash_point("after-sink-write")
    if extra.status != "resolved":
        sink.set_status(extra.key, "resolved")
        crashpoints.crash_point("after-sink-write")
