"""Helpers for whole-pipeline tests: a fresh state directory, and what a run left behind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.ports import TicketSnapshot
from dirsync_bridge.sinks.local import LocalStore


def make_config(state_dir: Path, **tickets: Any) -> Config:
    """Built-in defaults, state in ``state_dir``, the fixtures' trusted forwarder."""
    return Config.model_validate(
        {
            "state": {"path": str(state_dir / "state.db")},
            "trust": {"forwarders": ["it-admin@contoso.com"]},
            "tickets": tickets,
        }
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A configuration with its own empty state directory."""
    return make_config(tmp_path / "state")


def outcome(config: Config) -> dict[str, Any]:
    """Everything a run leaves behind, named so that runs in any order compare equal.

    Ticket keys (LOCAL-n) depend on creation order, so tickets are named by their
    idempotency key (fingerprint and episode), and keys inside texts are replaced by it.
    """
    ledger = Ledger.open(config.state.path)
    store = LocalStore.in_ledger(ledger.conn, ledger.path)
    try:
        snapshots = store.tickets()
        names = {s.key: s.idempotency_key for s in snapshots}

        def named(text: str) -> str:
            return re.sub(r"LOCAL-\d+", lambda m: names.get(m.group(0), m.group(0)), text)

        tickets = {
            s.idempotency_key: {
                "status": s.status,
                "resolution": s.resolution,
                "summary": s.content.summary,
                "description": named(s.content.description),
                "links": [names.get(k, k) for k in s.content.links],
                "comments": {k: named(v) for k, v in s.comments.items()},
            }
            for s in snapshots
        }
        rows = {
            names[row.key]: {
                "status": row.status,
                "occurrences": row.occurrences,
                "first_seen": row.first_seen,
                "last_seen": row.last_seen,
                "comments": row.comments,
            }
            for row in ledger.tickets()
        }
        leftovers = {
            "intents": len(ledger.pending_intents()),
            "dirty": len(ledger.dirty()),
            "pending": ledger.counts().get("pending", 0),
        }
        return {"tickets": tickets, "ledger": rows, "leftovers": leftovers}
    finally:
        store.close()
        ledger.close()


@contextmanager
def local_store(config: Config) -> Iterator[LocalStore]:
    """The local ticket store, kept in the ledger's file (open while inside)."""
    ledger = Ledger.open(config.state.path)
    try:
        yield LocalStore.in_ledger(ledger.conn, ledger.path)
    finally:
        ledger.close()


def local_tickets(config: Config) -> list[TicketSnapshot]:
    """Every ticket of the local store, oldest first."""
    with local_store(config) as store:
        return store.tickets()
