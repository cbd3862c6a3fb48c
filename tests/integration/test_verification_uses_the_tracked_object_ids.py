"""Verification, and the upgrade's re-check, use the object ids the ticket tracks.

Hostile review rev25: ``verify`` took the object ids from the problem's latest raw sighting.
A plain report email after one with the Object ID column carries none, though the fold
keeps the id it had (``lifecycle.fold._carried``): the object was then never recognised,
so a cleared conflict was never verified, and the re-check reopened a right verification
saying "the report gave no object id".
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dirsync_bridge import verify
from dirsync_bridge.pipeline import run

from ..reportgen import id_report_email, quarantine, report_email
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from .conftest import local_tickets
from .test_verified_before_the_fix_is_rechecked import (
    BOB_ID,
    ENV,
    NOW,
    _as_before_the_upgrade,
    _config,
    _old_rule,
)


def synced_bob(graph_sim: GraphSimulator, immutable_id: str) -> str:
    """bob, synced with ``immutable_id``, his quarantined address smtp:bob.x@contoso.com back
    and held by nothing else; the report row of that quarantine."""
    graph_sim.add_user(
        "bob@contoso.com",
        on_premises_sync_enabled=True,
        on_premises_immutable_id=immutable_id,
        proxy_addresses=["SMTP:bob@contoso.com", "smtp:bob.x@contoso.com"],
    )
    return quarantine("ProxyAddresses", "smtp:bob.x@contoso.com")


def _bob_cleared_then_plain_email(graph_sim: GraphSimulator, plain: bool = True) -> None:
    """bob: synced, his quarantined address back, nothing else holding it (cleared). First
    reported with the Object ID column (his ImmutableId), then (``plain``) by a report
    email without that column: the same problem, the same ticket."""
    row = synced_bob(graph_sim, BOB_ID)
    first = id_report_email(
        "Contoso", NOW - timedelta(hours=2), [("bob@contoso.com", BOB_ID, row)], "a@rev25.test"
    )
    second = report_email(
        "Contoso", NOW - timedelta(hours=1), [("bob@contoso.com", row)], "b@rev25.test"
    )
    graph_sim.add_message(MAILBOX, "inbox", first, received=NOW - timedelta(minutes=110))
    if plain:
        graph_sim.add_message(MAILBOX, "inbox", second, received=NOW - timedelta(minutes=50))


def test_a_problem_whose_object_id_the_ledger_knows_is_verified_after_a_plain_email(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    _bob_cleared_then_plain_email(graph_sim)
    cfg = _config(tmp_path, graph_sim)
    first = run(cfg, env=ENV)
    assert first.created == 1
    second = run(cfg, env=ENV)
    statuses = [t.status for t in local_tickets(cfg)]
    assert first.resolved + second.resolved == 1, statuses


def test_the_recheck_does_not_reopen_a_right_verification_for_want_of_an_id_it_has(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bob verified by the old release, rightly (the holder *is* his ImmutableId): the
    re-check after the upgrade upholds it."""
    _bob_cleared_then_plain_email(graph_sim)
    cfg = _config(tmp_path, graph_sim)
    with monkeypatch.context() as old:
        old.setattr(verify, "is_self", _old_rule)
        assert run(cfg, env=ENV).created == 1
        run(cfg, env=ENV)
        assert sum(t.status == "resolved" for t in local_tickets(cfg)) == 1
    _as_before_the_upgrade(cfg.state.path)
    upgraded = run(cfg, env=ENV)
    comments = [c for t in local_tickets(cfg) for c in t.comments.values()]
    assert upgraded.reopened == 0, [c for c in comments if "verification" in c]
    assert [t.status for t in local_tickets(cfg)] == ["resolved"]


def test_control_the_id_report_alone_is_verified(tmp_path: Path, graph_sim: GraphSimulator) -> None:
    """Control: the same directory and the id report alone: bob is verified."""
    _bob_cleared_then_plain_email(graph_sim, plain=False)
    cfg = _config(tmp_path, graph_sim)
    first = run(cfg, env=ENV)
    second = run(cfg, env=ENV)
    assert first.resolved + second.resolved == 1
