"""A UPN held by a cloud-only account: the ticket names it, and verification leaves it open.

Hostile review rev22: a cloud-only user whose UPN is the reported identity was taken for the
reported object itself, both by the advice ("no-holder-found") and by ``verify_with_graph``
("only ann@contoso.com holds ann@contoso.com, and it has no provisioning error"), which
resolved tickets for conflicts that still stood - Duplicate Attribute Resiliency's own
documented UPN case among them (format.md 6): the synced object quarantined under a
placeholder UPN, the squatter keeping the value.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import replay, run

from ..reportgen import duplicate, id_report_email, quarantine, report_email
from ..simulators.graph.fixtures import tool_settings
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_SECRET, MAILBOX
from .conftest import local_store
from .test_verified_before_the_fix_is_rechecked import _config as _verifying

AT = datetime(2024, 3, 4, 9, tzinfo=UTC)
NOW = datetime.now(UTC)
ENV = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}
ANN_ID = "D92CwNc2nUyF/hkg/H3I0g=="


def _deliver(graph_sim: GraphSimulator, rows: list[tuple[str, str]], message_id: str) -> None:
    raw = report_email("Contoso", NOW - timedelta(hours=1), rows, message_id)
    graph_sim.add_message(MAILBOX, "inbox", raw, received=NOW - timedelta(minutes=50))


def test_upn_conflict_ticket_from_graph_names_the_cloud_only_holder(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    graph_sim.add_user("john@contoso.com", display_name="John (cloud)")  # cloud-only
    mail = tmp_path / "mail"
    mail.mkdir()
    rows = [("john@contoso.com", duplicate("UserPrincipalName", "john@contoso.com"))]
    (mail / "r1.eml").write_bytes(report_email("Contoso", AT, rows, "r1@rev22.test"))
    cfg = Config.model_validate(
        {
            "state": {"path": str(tmp_path / "state" / "state.db")},
            "graph": tool_settings(graph_sim, retry_for="20s"),
        }
    )
    assert replay([mail], cfg, env=ENV).created == 1
    with local_store(cfg) as store:
        (text,) = [t.content.description for t in store.tickets()]
    assert "no-holder-found" not in text, text
    assert "cloud-only-holder" in text, text


def test_verified_resolution_does_not_close_a_upn_conflict_with_a_cloud_only_account(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """'Only john holds john@contoso.com' - but that john is the cloud-only squatter; the
    on-premises john never synced. The ticket stays open."""
    graph_sim.add_user("john@contoso.com", display_name="John (cloud)")  # cloud-only
    rows = [("john@contoso.com", duplicate("UserPrincipalName", "john@contoso.com"))]
    _deliver(graph_sim, rows, "v1@rev22.test")
    cfg = _verifying(tmp_path, graph_sim)
    first = run(cfg, env=ENV)
    assert first.created == 1 and first.resolved == 0
    second = run(cfg, env=ENV)  # the check runs on the open tickets of earlier passes
    assert second.resolved == 0, "resolved as verified while the cloud-only john still holds it"
    with local_store(cfg) as store:
        (ticket,) = store.tickets()
    assert ticket.status == "open"


def test_verified_resolution_does_not_close_a_quarantined_upn_still_in_error(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """The synced ann got the placeholder UPN ann1234@contoso.onmicrosoft.com and a
    provisioning error; the cloud-only squatter keeps ann@contoso.com. Nothing is fixed."""
    squatter = graph_sim.add_user("ann@contoso.com", display_name="Ann (cloud)")
    ann = graph_sim.add_user(
        "ann1234@contoso.onmicrosoft.com",
        onPremisesUserPrincipalName="ann@contoso.com",
        on_premises_sync_enabled=True,
        on_premises_immutable_id=ANN_ID,
        provisioning_errors=[
            {
                "category": "PropertyConflict",
                "propertyCausingError": "UserPrincipalName",
                "value": "ann@contoso.com",
                "occurredDateTime": "2024-01-01T00:00:00Z",
            }
        ],
    )
    # With the object id: verification recognises the reported object by it alone (verify.py).
    id_rows = [("ann@contoso.com", ANN_ID, quarantine("UserPrincipalName", "ann@contoso.com"))]
    raw = id_report_email("Contoso", NOW - timedelta(hours=1), id_rows, "vq@rev22.test")
    graph_sim.add_message(MAILBOX, "inbox", raw, received=NOW - timedelta(minutes=50))
    cfg = _verifying(tmp_path, graph_sim)
    assert run(cfg, env=ENV).created == 1
    second = run(cfg, env=ENV)
    assert second.resolved == 0, "resolved as verified while ann1234 is still quarantined"

    # The admin removes the squatter; the service gives ann her UPN back, error cleared.
    graph_sim.directory.objects.remove(graph_sim.directory.find("user", squatter))
    ann_object = graph_sim.directory.find("user", ann)
    assert ann_object is not None
    ann_object.props["userPrincipalName"] = "ann@contoso.com"
    ann_object.props["onPremisesProvisioningErrors"] = []
    third = run(cfg, env=ENV)
    assert third.resolved == 1
    with local_store(cfg) as store:
        (ticket,) = store.tickets()
    assert ticket.status == "resolved"
