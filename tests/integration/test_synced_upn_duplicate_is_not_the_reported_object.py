"""Two synced objects want one UPN: the one holding it is not the reported (quarantined) one.

Hostile review rev23: ``advice.is_self`` took a synced holder whose UPN was the identity for
the reported object even though its onPremisesImmutableId contradicted the report's object
id, so ``verify_with_graph`` resolved a conflict that still stood and the advice said
``no-holder-found``. Verification now recognises the reported object by its ImmutableId only
(a plain email, without an object id, is never verified); the advice names the other holder.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dirsync_bridge.pipeline import run

from ..reportgen import id_report_email, quarantine, report_email
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_SECRET, MAILBOX
from .conftest import local_store
from .test_verified_before_the_fix_is_rechecked import _config as _verifying

NOW = datetime.now(UTC)
ENV = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}
A_ID = "D92CwNc2nUyF/hkg/H3I0g=="  # the reported (quarantined) object
B_ID = "QF5HMK7n80qvdYsUPIHa9Q=="  # another synced object with the same UPN on-premises


def _two_synced_anns(graph_sim: GraphSimulator) -> None:
    """Two on-premises users share ann@contoso.com (AD does not enforce UPN uniqueness, or
    two forests): B synced first and keeps it; A was quarantined under a placeholder UPN."""
    graph_sim.add_user(
        "ann@contoso.com",
        display_name="Ann B (synced)",
        onPremisesUserPrincipalName="ann@contoso.com",
        on_premises_sync_enabled=True,
        on_premises_immutable_id=B_ID,
    )
    graph_sim.add_user(
        "ann5678@contoso.onmicrosoft.com",
        display_name="Ann A (quarantined)",
        onPremisesUserPrincipalName="ann@contoso.com",
        on_premises_sync_enabled=True,
        on_premises_immutable_id=A_ID,
        provisioning_errors=[
            {
                "category": "PropertyConflict",
                "propertyCausingError": "UserPrincipalName",
                "value": "ann@contoso.com",
                "occurredDateTime": "2024-01-01T00:00:00Z",
            }
        ],
    )


def test_synced_duplicate_with_object_id_is_not_verified_cleared(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """The report names object A_ID; the synced holder of the UPN is B_ID. is_self accepts B
    as 'itself' on its UPN although its ImmutableId contradicts the report's object id, and
    verification resolves a live conflict (A still quarantined with a provisioning error)."""
    _two_synced_anns(graph_sim)
    rows = [("ann@contoso.com", A_ID, quarantine("UserPrincipalName", "ann@contoso.com"))]
    raw = id_report_email("Contoso", NOW - timedelta(hours=1), rows, "ss1@rev23.test")
    graph_sim.add_message(MAILBOX, "inbox", raw, received=NOW - timedelta(minutes=50))
    cfg = _verifying(tmp_path, graph_sim)
    first = run(cfg, env=ENV)
    assert first.created == 1
    with local_store(cfg) as store:
        (ticket,) = store.tickets()
        text = ticket.content.description
    second = run(cfg, env=ENV)
    assert second.resolved == 0, (
        "resolved as verified: B (another object, ImmutableId "
        f"{B_ID}) taken for the reported object {A_ID}\n{text}"
    )


def test_synced_duplicate_advice_names_the_other_synced_holder(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """Same directory, advice: B holds the UPN A wants; the ticket should name B as the
    synced holder, not say nobody holds it."""
    _two_synced_anns(graph_sim)
    rows = [("ann@contoso.com", A_ID, quarantine("UserPrincipalName", "ann@contoso.com"))]
    raw = id_report_email("Contoso", NOW - timedelta(hours=1), rows, "ss2@rev23.test")
    graph_sim.add_message(MAILBOX, "inbox", raw, received=NOW - timedelta(minutes=50))
    cfg = _verifying(tmp_path, graph_sim)
    assert run(cfg, env=ENV).created == 1
    with local_store(cfg) as store:
        (ticket,) = store.tickets()
        text = ticket.content.description
    assert "no-holder-found" not in text, text
    assert "Ann B" in text or B_ID in text, text


def test_synced_duplicate_without_object_id_is_not_verified(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """The same directory from a plain report email (no Object ID column). Without an object
    id the two anns can only be told apart by A's provisioning error, which the look-up by
    UPN never sees (A is found by neither its placeholder UPN nor its
    onPremisesUserPrincipalName): so such a problem is never verified (verify.py)."""
    _two_synced_anns(graph_sim)
    rows = [("ann@contoso.com", quarantine("UserPrincipalName", "ann@contoso.com"))]
    raw = report_email("Contoso", NOW - timedelta(hours=1), rows, "ss3@rev23.test")
    graph_sim.add_message(MAILBOX, "inbox", raw, received=NOW - timedelta(minutes=50))
    cfg = _verifying(tmp_path, graph_sim)
    assert run(cfg, env=ENV).created == 1
    assert run(cfg, env=ENV).resolved == 0, "resolved while A is still quarantined"
