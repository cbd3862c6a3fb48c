"""Tickets an earlier release resolved by verification are checked again once after the upgrade.

Hostile review rev23: releases up to c1cbabf took a holder with the reported UPN for the
reported object, so ``verify_with_graph`` resolved tickets whose conflict still stood; a
quarantine row is never reported again, so nothing reopened them after the upgrade. On the
first verification pass of this release (migration ``0019-recheck-verified``), each ticket
still resolved by a verification is checked under this release's rule, once, and reopened
with a comment where the conflict is not shown cleared.

The earlier release is played by this one with the old rule (``is_self`` by the UPN) put
back, and the migration undone, as ``tests/earlier_release.py`` does for the local store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge import verify
from dirsync_bridge.config.settings import Config
from dirsync_bridge.enrich.advice import is_self
from dirsync_bridge.models.enrichment import CloudHolder
from dirsync_bridge.pipeline import run

from ..reportgen import id_report_email, quarantine
from ..simulators.graph.fixtures import tool_settings
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_SECRET, MAILBOX
from .conftest import local_store

NOW = datetime.now(UTC)
ENV = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}
ANN_ID = "D92CwNc2nUyF/hkg/H3I0g=="
BOB_ID = "Qm9iSW1tdXRhYmxlSWQ="
ERROR = {"category": "PropertyConflict", "occurredDateTime": "2024-01-01T00:00:00Z"}


def _old_rule(
    holder: CloudHolder, identity: str | None, object_ids: Sequence[str] = (), **_: bool
) -> bool:
    """The earlier release's ``is_self``: a synced object with the reported UPN is itself."""
    return is_self(holder, identity, (), by_name=True) or is_self(
        holder, identity, object_ids, by_name=False
    )


def _config(tmp_path: Path, graph_sim: GraphSimulator) -> Config:
    return Config.model_validate(
        {
            "state": {"path": str(tmp_path / "state" / "state.db")},
            "graph": tool_settings(graph_sim, retry_for="20s"),
            "source": {"mailbox": {"mailbox": MAILBOX}},
            "tickets": {"verify_with_graph": True},
        }
    )


def _verified_by_the_old_rule(
    cfg: Config, monkeypatch: pytest.MonkeyPatch, env: dict[str, str] = ENV
) -> None:
    """Two passes of the earlier release over ``cfg``: both problems ticketed, then both
    resolved as verified (ann wrongly, bob rightly)."""
    with monkeypatch.context() as old:
        old.setattr(verify, "is_self", _old_rule)
        assert run(cfg, env=env).created == 2
        assert run(cfg, env=env).resolved == 2


def _directory(graph_sim: GraphSimulator) -> None:
    """ann: a synced object quarantined under a placeholder UPN, another synced object
    (another forest) holding ann@contoso.com - not cleared. bob: synced, his quarantined
    address back, nothing else holding it - cleared."""
    graph_sim.add_user(
        "ann@contoso.com",
        display_name="Ann (the other forest)",
        onPremisesUserPrincipalName="ann@contoso.com",
        on_premises_sync_enabled=True,
        on_premises_immutable_id="QF5HMK7n80qvdYsUPIHa9Q==",
    )
    graph_sim.add_user(
        "ann5678@contoso.onmicrosoft.com",
        onPremisesUserPrincipalName="ann@contoso.com",
        on_premises_sync_enabled=True,
        on_premises_immutable_id=ANN_ID,
        provisioning_errors=[
            {**ERROR, "propertyCausingError": "UserPrincipalName", "value": "ann@contoso.com"}
        ],
    )
    graph_sim.add_user(
        "bob@contoso.com",
        on_premises_sync_enabled=True,
        on_premises_immutable_id=BOB_ID,
        proxy_addresses=["SMTP:bob@contoso.com", "smtp:bob.x@contoso.com"],
    )
    rows = [
        ("ann@contoso.com", ANN_ID, quarantine("UserPrincipalName", "ann@contoso.com")),
        ("bob@contoso.com", BOB_ID, quarantine("ProxyAddresses", "smtp:bob.x@contoso.com")),
    ]
    raw = id_report_email("Contoso", NOW - timedelta(hours=1), rows, "up@rev23.test")
    graph_sim.add_message(MAILBOX, "inbox", raw, received=NOW - timedelta(minutes=50))


def _as_before_the_upgrade(state: Path) -> None:
    """The ledger as the earlier release left it: without migration 0019."""
    conn = sqlite3.connect(state, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("DROP TABLE IF EXISTS recheck_verified")
        conn.execute("DELETE FROM migrations WHERE name = '0019-recheck-verified'")
        conn.execute("COMMIT")
    finally:
        conn.close()


def _statuses(cfg: Config) -> dict[str, tuple[str, list[str]]]:
    with local_store(cfg) as store:
        return {
            t.content.summary.split(": ")[1].split(" ")[0]: (t.status, list(t.comments.values()))
            for t in store.tickets()
        }


def test_a_ticket_wrongly_verified_before_the_fix_is_reopened_once_after_the_upgrade(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _directory(graph_sim)
    cfg = _config(tmp_path, graph_sim)
    _verified_by_the_old_rule(cfg, monkeypatch)
    _as_before_the_upgrade(cfg.state.path)
    before = _statuses(cfg)
    assert {k: s for k, (s, _c) in before.items()} == {
        "ann@contoso.com": "resolved",
        "bob@contoso.com": "resolved",
    }

    upgraded = run(cfg, env=ENV)  # the same directory: ann's conflict still stands
    assert (upgraded.reopened, upgraded.resolved, upgraded.created) == (1, 0, 0)
    after = _statuses(cfg)
    assert after["bob@contoso.com"][0] == "resolved"  # the new rule upholds it
    status, comments = after["ann@contoso.com"]
    assert status == "open"
    assert any("earlier verification that resolved this ticket was wrong" in c for c in comments)
    assert any(ANN_ID in c for c in comments), comments

    again = run(cfg, env=ENV)  # once: no second re-check, no comment twice
    assert (again.reopened, again.resolved, again.commented) == (0, 0, 0)
    assert _statuses(cfg) == after
