"""`run` over Graph's provisioning errors, through real msal and HTTPS, against the simulator
(objects in error built from the documented shapes, live-sources.md 1.5: reconstructed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge import bootstrap
from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import ConfigError, Retriable
from dirsync_bridge.models import Report
from dirsync_bridge.pipeline import run
from dirsync_bridge.run_summary import RunSummary
from dirsync_bridge.sources.provisioning import FILTER

from ..conftest import REPORTS
from ..simulators.graph.fixtures import tool_settings
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_SECRET, MAILBOX
from .conftest import make_config, outcome

pytestmark = pytest.mark.usefixtures("ca_bundle_env")
ENV = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}
WHEN = datetime(2024, 7, 4, 0, 6, 16, tzinfo=UTC)
KINDS = ("users", "groups", "contacts")


def conflict(attribute: str, value: str) -> dict[str, Any]:
    return {
        "category": "PropertyConflict",
        "occurredDateTime": WHEN,
        "propertyCausingError": attribute,
        "value": value,
    }


def quarantine_three(sim: GraphSimulator) -> None:
    """A user whose UPN was quarantined, a group and a contact whose proxy address was, and
    clean objects of each kind beside them."""
    sim.organization_name = "Contoso"
    sim.add_user(
        "ann1234@contoso.onmicrosoft.com",
        onPremisesUserPrincipalName="ann@contoso.com",
        on_premises_immutable_id="D92CwNc2nUyF/hkg/H3I0g==",
        provisioning_errors=[conflict("UserPrincipalName", "ann@contoso.com")],
    )
    sim.add_group(
        "Sales",
        mail="sales@contoso.com",
        provisioning_errors=[conflict("ProxyAddresses", "SMTP:sales@contoso.com")],
    )
    sim.add_contact("Partner", provisioning_errors=[conflict("ProxyAddress", "smtp:p@contoso.com")])
    sim.add_user("clean@contoso.com")
    sim.add_group("Clean")
    sim.add_contact("Clean contact")


def prov_config(
    sim: GraphSimulator,
    state: Path,
    *,
    mailbox: bool = False,
    retry_for: str = "5s",
    **section: Any,
) -> Config:
    source: dict[str, Any] = {"provisioning_errors": {"enabled": True, **section}}
    if mailbox:
        source["mailbox"] = {"mailbox": MAILBOX}
    return Config.model_validate(
        {
            "state": {"path": str(state / "state.db")},
            "graph": tool_settings(sim, retry_for=retry_for),
            "source": source,
            # Holder look-ups are enrichment's business, measured and tested there.
            "enrich": {"cloud": {"enabled": False}},
        }
    )


def tickets(config: Config) -> dict[str, Any]:
    found = outcome(make_config(config.state.path.parent))
    assert found["leftovers"] == {"intents": 0, "dirty": 0, "pending": 0}
    return found["tickets"]


def summaries(config: Config) -> list[str]:
    return sorted(t["summary"] for t in tickets(config).values())


def listings(sim: GraphSimulator) -> list[tuple[str, bool, bool]]:
    """(path, filtered, paged) of every Graph request but /organization."""
    return [
        (r.path, "$filter" in r.query, "$skiptoken" in r.query)
        for r in sim.log.graph()
        if r.path != "/v1.0/organization"
    ]


def scan(sim: GraphSimulator, state: Path, **section: Any) -> tuple[list[Report], RunSummary]:
    """One pass of the source alone: what it yields, and what it said."""
    config = prov_config(sim, state, **section)
    summary = RunSummary()
    with bootstrap.build(config, ENV, dry_run=True, graph=True, enrich=False) as parts:
        source = bootstrap.run_source(config, parts, now=WHEN + timedelta(days=1))
        found = [item for item in source.messages(summary) if isinstance(item, Report)]
        try:
            source.finish(summary)
        except Retriable:
            summary.fatal.append("retriable")
    return found, summary


def test_three_quarantined_objects_give_three_tickets_from_one_listing_per_type(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    config = prov_config(graph_sim, tmp_path / "state")
    summary = run(config, env=ENV)
    assert (summary.created, summary.parsed, summary.fatal) == (3, 0, [])
    assert summary.scans == ["graph provisioning errors: 3 on 3 object(s), complete"]
    assert summaries(config) == [
        "[dirsync] QuarantinedAttributeValueMustBeUnique: Partner (Contoso)",
        "[dirsync] QuarantinedAttributeValueMustBeUnique: ann@contoso.com (Contoso)",
        "[dirsync] QuarantinedAttributeValueMustBeUnique: sales@contoso.com (Contoso)",
    ]
    # One filtered listing per type (one page each), /organization, nothing per object.
    assert sorted(listings(graph_sim)) == [(f"/v1.0/{k}", True, False) for k in sorted(KINDS)]
    assert graph_sim.log.count("GET", "organization") == 1
    assert len(graph_sim.log.graph()) == 4 and graph_sim.log.writes() == []
    for record in graph_sim.log.graph():
        if record.path != "/v1.0/organization":
            assert record.query["$filter"] == [FILTER]
            assert "onPremisesProvisioningErrors" in record.query["$select"][0]


def test_an_unchanged_pass_makes_no_ticket_writes(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    config = prov_config(graph_sim, tmp_path / "state")
    run(config, env=ENV)
    before = tickets(config)

    graph_sim.reset_log()
    again = run(config, env=ENV)
    assert (again.created, again.commented, again.updated, again.resolved) == (0, 0, 0, 0)
    assert again.writes == [] and again.scans[0].endswith("complete")
    assert tickets(config) == before
    assert len(graph_sim.log.graph()) == 4  # the same cost: three listings and the tenant


def test_a_pass_with_a_failed_page_applies_what_it_read_then_exits_75_and_is_incomplete(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    for n in range(2):
        graph_sim.add_user(
            f"u{n}@contoso.com", provisioning_errors=[conflict("ProxyAddresses", f"smtp:u{n}@c")]
        )
    graph_sim.page_size = 1  # users: three pages
    graph_sim.faults.retry_after = "0"
    graph_sim.faults.fail_pages(503, times=50, path_contains="/users")
    config = prov_config(graph_sim, tmp_path / "state")
    with pytest.raises(Retriable, match="list users with provisioning errors: HTTP 503"):
        run(config, env=ENV)
    # The first page of users, the group and the contact: ticketed, nothing left dirty.
    assert summaries(config) == [
        "[dirsync] QuarantinedAttributeValueMustBeUnique: Partner (Contoso)",
        "[dirsync] QuarantinedAttributeValueMustBeUnique: ann@contoso.com (Contoso)",
        "[dirsync] QuarantinedAttributeValueMustBeUnique: sales@contoso.com (Contoso)",
    ]
    graph_sim.faults.page_queue.clear()
    (report,), said = scan(graph_sim, tmp_path / "s2")
    assert report.complete and len(report.errors) == 5 and said.fatal == []
    graph_sim.faults.fail_pages(503, times=50, path_contains="/users")
    (report,), said = scan(graph_sim, tmp_path / "s3")
    assert not report.complete and len(report.errors) == 3
    assert said.fatal == ["retriable"]
    assert said.scans == ["graph provisioning errors: 3 on 3 object(s), incomplete"]


def test_the_report_carries_its_source_kind_tenant_time_and_the_records(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    graph_sim.organization_name = "Contoso Pharma"
    (report,), _ = scan(graph_sim, tmp_path / "state")
    data = report.to_json_dict()
    assert (data["source_kind"], data["complete"], data["tenant"]) == (
        "graph-provisioning",
        True,
        "Contoso Pharma",
    )
    assert data["sent_at"] == "2024-07-05T00:06:16Z"  # the pass's start
    assert data["source"] == "graph:provisioning-errors" and data["message_id"] is None
    user = next(e for e in data["errors"] if e["identity"] == "ann@contoso.com")
    assert user["kind"] == "QuarantinedAttributeValueMustBeUnique" and user["kind_stated"]
    assert user["object_id"] == "D92CwNc2nUyF/hkg/H3I0g=="
    assert user["conflicts"] == [{"attribute": "UserPrincipalName", "values": ["ann@contoso.com"]}]
    contact = next(e for e in data["errors"] if e["identity"] == "Partner")
    assert contact["conflicts"] == [
        {"attribute": "ProxyAddresses", "values": ["smtp:p@contoso.com"]}
    ]


def test_a_scan_of_fewer_than_the_three_types_is_incomplete(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    (report,), _ = scan(graph_sim, tmp_path / "state", objects=["users", "groups"])
    assert not report.complete
    assert {e.identity for e in report.errors} == {"ann@contoso.com", "sales@contoso.com"}
    assert sorted(p for p, _, _ in listings(graph_sim)) == ["/v1.0/groups", "/v1.0/users"]


def test_a_refused_filter_falls_back_to_a_paged_scan_with_the_same_records(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    filtered, _ = scan(graph_sim, tmp_path / "a")
    graph_sim.refuse_filter("onPremisesProvisioningErrors")
    graph_sim.page_size = 1
    graph_sim.reset_log()
    (report,), said = scan(graph_sim, tmp_path / "b")
    assert report.complete and said.fatal == []
    assert report.errors == filtered[0].errors
    for kind in KINDS:
        asked = [(f, p) for path, f, p in listings(graph_sim) if path == f"/v1.0/{kind}"]
        # The refused request, then every object of the type, one a page here.
        pages = len(graph_sim.directory.of_kind(kind.rstrip("s")))
        assert asked == [(True, False), (False, False)] + [(False, True)] * (pages - 1)


def test_a_type_the_app_may_not_read_is_named_with_its_permission_and_the_rest_is_ticketed(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    roles = {"User.Read.All", "GroupMember.Read.All", "Organization.Read.All"}
    graph_sim.register_app(graph_sim.tenant_id, "app-2", secret="s3cret", roles=roles)
    config = prov_config(graph_sim, tmp_path / "state")
    config = config.model_copy(
        update={"graph": config.graph.model_copy(update={"client_id": "app-2"})}
    )
    summary = run(config, env={"DIRSYNC_GRAPH_SECRET": "s3cret"})
    (line,) = summary.fatal
    assert "HTTP 403" in line and "OrgContact.Read.All (or Directory.Read.All)" in line
    assert "leave contacts out of [source.provisioning_errors] objects" in line
    assert summary.created == 2 and summary.scans[0].endswith("incomplete")


def test_without_the_tenants_name_nothing_is_recorded_and_the_permission_is_named(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    roles = {"User.Read.All", "GroupMember.Read.All", "OrgContact.Read.All"}
    graph_sim.register_app(graph_sim.tenant_id, "app-2", secret="s3cret", roles=roles)
    config = prov_config(graph_sim, tmp_path / "state")
    config = config.model_copy(
        update={"graph": config.graph.model_copy(update={"client_id": "app-2"})}
    )
    summary = run(config, env={"DIRSYNC_GRAPH_SECRET": "s3cret"})
    (line,) = summary.fatal
    assert "/organization" in line and "Organization.Read.All (or Directory.Read.All)" in line
    assert summary.created == 0 and summary.scans == []


def test_run_reads_the_mailbox_and_the_provisioning_errors_in_one_pass(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    message = graph_sim.add_message(MAILBOX, "inbox", report, received=datetime.now(UTC))
    config = prov_config(graph_sim, tmp_path / "state", mailbox=True)
    summary = run(config, env=ENV)
    assert (summary.parsed, summary.created, summary.mailbox_actions) == (1, 6, 1)
    assert summary.scans == ["graph provisioning errors: 3 on 3 object(s), complete"]
    assert graph_sim.message(message.id).folder_id != graph_sim.folder_id(MAILBOX, "inbox")
    assert len(tickets(config)) == 6


def test_a_failed_scan_does_not_keep_the_mailbox_from_being_marked(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    message = graph_sim.add_message(MAILBOX, "inbox", report, received=datetime.now(UTC))
    graph_sim.faults.retry_after = "0"
    graph_sim.faults.fail_next(503, times=50)
    graph_sim.faults.path_contains = "/v1.0/groups"
    config = prov_config(graph_sim, tmp_path / "state", mailbox=True)
    with pytest.raises(Retriable, match="list groups"):
        run(config, env=ENV)
    assert graph_sim.message(message.id).folder_id != graph_sim.folder_id(MAILBOX, "inbox")
    assert len(tickets(config)) == 5  # the report's three, the user and the contact


def test_run_with_neither_source_is_a_configuration_error(tmp_path: Path) -> None:
    config = Config.model_validate({"state": {"path": str(tmp_path / "state.db")}})
    with pytest.raises(ConfigError, match=r"nor \[source.provisioning_errors\] enabled = true"):
        run(config, env=ENV)


# -- absence within coverage (design.md section 9) -------------------------------------------


def clear_errors(sim: GraphSimulator, kind: str, name: str) -> None:
    """The admin fixed the object: Graph no longer lists its provisioning errors."""
    (obj,) = [
        o
        for o in sim.directory.of_kind(kind)
        if name in (o.get("userPrincipalName"), o.get("displayName"))
    ]
    obj.props["onPremisesProvisioningErrors"] = []


def by_summary(config: Config) -> dict[str, dict[str, Any]]:
    return {t["summary"].split(": ", 1)[1]: t for t in tickets(config).values()}


ANN = "ann@contoso.com (Contoso)"


def daily(config: Config) -> Callable[[], RunSummary]:
    """``run`` once a day from now on (a pass's report is its start time, to the second)."""
    days = count()
    start = datetime.now(UTC)
    return lambda: run(config, env=ENV, now=start + timedelta(days=next(days)))


def test_a_cleared_quarantine_is_resolved_after_resolve_after_reports_complete_scans(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    config = prov_config(graph_sim, tmp_path / "state")
    cron = daily(config)
    cron()
    clear_errors(graph_sim, "user", "ann1234@contoso.onmicrosoft.com")
    wanted = config.tickets.resolve_after_reports
    for _ in range(wanted - 1):
        assert cron().resolved == 0
    assert by_summary(config)[ANN]["status"] == "open"
    last = cron()
    assert last.resolved == 1
    found = by_summary(config)
    assert found[ANN]["status"] == "resolved"
    (comment,) = found[ANN]["comments"].values()
    assert comment.startswith(
        f"Graph no longer lists it: not listed by {wanted} consecutive complete "
        "provisioning-error scans since "
    )
    assert [t["status"] for k, t in found.items() if k != ANN] == ["open", "open"]


def test_a_pass_with_a_failed_page_neither_counts_nor_breaks_a_run_of_absences(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    for n in range(2):  # users: three pages of one, so that a page can fail
        graph_sim.add_user(
            f"u{n}@contoso.com", provisioning_errors=[conflict("ProxyAddresses", f"smtp:u{n}@c")]
        )
    graph_sim.page_size = 1
    graph_sim.faults.retry_after = "0"
    config = prov_config(graph_sim, tmp_path / "state")
    cron = daily(config)
    cron()
    clear_errors(graph_sim, "user", "ann1234@contoso.onmicrosoft.com")
    wanted = config.tickets.resolve_after_reports
    for _ in range(wanted - 1):
        cron()  # complete scans without ann
    for _ in range(3):  # incomplete ones: they vouch for nothing
        graph_sim.faults.fail_pages(503, times=50, path_contains="/users")
        with pytest.raises(Retriable):
            cron()
        graph_sim.faults.page_queue.clear()
        assert by_summary(config)[ANN]["status"] == "open"
    assert cron().resolved == 1  # the last complete absence the rules ask for
    assert by_summary(config)[ANN]["status"] == "resolved"


def test_graph_scans_never_resolve_what_only_the_emails_carry(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine_three(graph_sim)
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    graph_sim.add_message(MAILBOX, "inbox", report, received=datetime.now(UTC))
    config = prov_config(graph_sim, tmp_path / "state", mailbox=True)
    cron = daily(config)
    cron()
    emails = {k for k, t in by_summary(config).items() if "Quarantined" not in t["summary"]}
    assert len(emails) == 3  # AttributeValueMustBeUnique and others, from the email
    for _ in range(config.tickets.resolve_after_reports + 2):
        assert cron().resolved == 0  # complete scans, none lists them
    found = by_summary(config)
    assert all(found[k]["status"] == "open" for k in emails)
