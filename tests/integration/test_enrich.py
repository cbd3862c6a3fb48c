"""Enrichment end to end: real Graph look-ups (simulator, `$batch`) and a real Samba AD DC."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dirsync_bridge.config.settings import Config
from dirsync_bridge.enrich.cloud import CloudDirectory
from dirsync_bridge.graph.client import GraphClient
from dirsync_bridge.pipeline import replay

from ..directory.samba import ADMIN_DN, ADMIN_PASSWORD, BASE_DN, SambaDC, Seeded
from ..reportgen import duplicate, report_email
from ..simulators.graph.fixtures import tool_settings
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_SECRET
from .conftest import local_store

pytest_plugins = ["tests.directory.fixtures"]

AT = datetime(2024, 3, 4, 9, tzinfo=UTC)
ENV = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET, "DIRSYNC_LDAP_PASSWORD": ADMIN_PASSWORD}


def graph_settings(sim: GraphSimulator) -> dict[str, Any]:
    return tool_settings(sim, retry_for="20s")


def onprem_settings(dc: SambaDC) -> dict[str, Any]:
    return {
        "enabled": True,
        "url": dc.url,
        "bind_dn": ADMIN_DN,
        "base_dn": BASE_DN,
        "ca_bundle": str(dc.ca_path),
        "timeout": 2.0,
    }


def config(state: Path, graph: dict[str, Any] | None = None, onprem: Any = None) -> Config:
    data: dict[str, Any] = {"state": {"path": str(state / "state.db")}}
    if graph:
        data["graph"] = graph
    if onprem:
        data["enrich"] = {"onprem": onprem}
    return Config.model_validate(data)


def report(folder: Path, name: str, at: datetime, rows: list[tuple[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.eml"
    path.write_bytes(report_email("Contoso", at, rows, f"{name}@enrich.test"))
    return path


def descriptions(cfg: Config) -> list[str]:
    with local_store(cfg) as store:
        return [t.content.description for t in store.tickets()]


def seed_cloud(sim: GraphSimulator) -> None:
    # A cloud-only user holding ann's address, a synced user, a formerly synced contact.
    sim.add_user(
        "ann.cloud@contoso.com",
        mail="ann@contoso.com",
        proxy_addresses=["SMTP:ann@contoso.com"],
    )
    sim.add_user(
        "bob@contoso.com",
        proxy_addresses=["SMTP:bob@contoso.com"],
        on_premises_sync_enabled=True,
        on_premises_immutable_id="x4V0iaeB60KXxjftcwd7Hw==",
        on_premises_last_sync=AT,
    )
    sim.add_contact(
        "Carl (old)",
        mail="carl@contoso.com",
        proxy_addresses=["smtp:carl@contoso.com"],
        on_premises_sync_enabled=False,
    )


def test_cloud_holders_are_found_in_batches_of_twenty_and_told_apart(
    graph_sim: GraphSimulator,
) -> None:
    seed_cloud(graph_sim)
    client = GraphClient(config(Path("/tmp"), graph_settings(graph_sim)).graph, CLIENT_SECRET)
    directory = CloudDirectory(client)
    values = ["SMTP:ann@contoso.com", "smtp:BOB@contoso.com", "carl@contoso.com"]
    values += [f"SMTP:nobody{n}@contoso.com" for n in range(27)]
    graph_sim.reset_log()
    directory.prefetch(values)
    batches = [r for r in graph_sim.log.graph() if r.path.endswith("/$batch")]
    assert len(batches) == directory.batches == math.ceil(len(values) * 3 / 20)
    assert len(graph_sim.log.graph()) == len(batches)  # nothing outside the batches

    (ann,) = directory.holders("SMTP:ann@contoso.com")
    assert (ann.object_type, ann.sync_state, ann.user_principal_name) == (
        "user",
        "cloud-only",
        "ann.cloud@contoso.com",
    )
    (bob,) = directory.holders("smtp:BOB@contoso.com")  # found whatever the case
    assert (bob.sync_state, bob.immutable_id) == ("synced", "x4V0iaeB60KXxjftcwd7Hw==")
    (carl,) = directory.holders("carl@contoso.com")
    assert (carl.object_type, carl.sync_state) == ("contact", "formerly-synced")
    assert directory.holders("SMTP:nobody3@contoso.com") == []
    graph_sim.reset_log()
    directory.holders("SMTP:ann@contoso.com")
    assert graph_sim.log.graph() == []  # cached for the run
    client.close()


def test_throttled_sub_requests_are_retried(graph_sim: GraphSimulator) -> None:
    seed_cloud(graph_sim)
    graph_sim.faults.batch_item_429 = 0.3
    graph_sim.faults.retry_after = "0"
    client = GraphClient(config(Path("/tmp"), graph_settings(graph_sim)).graph, CLIENT_SECRET)
    directory = CloudDirectory(client)
    directory.prefetch([f"SMTP:nobody{n}@contoso.com" for n in range(20)] + ["carl@contoso.com"])
    assert directory.batches > math.ceil(63 / 20)  # some sub-requests came back 429
    assert [h.sync_state for h in directory.holders("carl@contoso.com")] == ["formerly-synced"]
    client.close()


def test_a_report_naming_a_cloud_only_holder_gives_that_advice_in_the_ticket(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    seed_cloud(graph_sim)
    mail = tmp_path / "mail"
    rows = [("ann@contoso.local", duplicate("ProxyAddresses", "SMTP:ann@contoso.com"))]
    report(mail, "r1", AT, rows)
    cfg = config(tmp_path / "state", graph_settings(graph_sim))
    summary = replay([mail], cfg, env=ENV)
    assert summary.created == 1
    (text,) = descriptions(cfg)
    assert "Advice (cloud-only-holder): The cloud-only user ann.cloud@contoso.com holds" in text
    assert "- SMTP:ann@contoso.com: cloud user ann.cloud@contoso.com (cloud-only)" in text
    assert "Get-MgUser -UserId '" in text


def test_several_onprem_holders_give_duplicate_onprem_with_every_dn(
    tmp_path: Path, samba_dc: SambaDC, samba_seeded: Seeded
) -> None:
    mail = tmp_path / "mail"
    rows = [("john@contoso.test", duplicate("ProxyAddresses", "SMTP:john@contoso.test"))]
    report(mail, "r1", AT, rows)
    cfg = config(tmp_path / "state", onprem=onprem_settings(samba_dc))
    replay([mail], cfg, env=ENV)
    (text,) = descriptions(cfg)
    # The seed: john's user (primary address), a group (secondary smtp:) and a contact (mail).
    assert "Advice (duplicate-onprem): 3 on-premises objects hold SMTP:john@contoso.test" in text
    assert f"on-premises user {samba_seeded.john}" in text
    assert f"on-premises group {samba_seeded.sales}" in text
    assert f"on-premises contact {samba_seeded.john_contact}" in text
    assert f"Set-ADGroup -Identity '{samba_seeded.sales}'" in text


def test_ldap_down_gives_a_ticket_saying_so_and_the_facts_arrive_as_a_comment(
    tmp_path: Path, spare_dc: SambaDC
) -> None:
    spare_dc.stop()
    mail = tmp_path / "mail"
    value = "SMTP:administrator@contoso.test"
    rows = [("admin@contoso.test", duplicate("ProxyAddresses", value))]
    report(mail, "r1", AT, rows)
    cfg = config(tmp_path / "state", onprem=onprem_settings(spare_dc))
    summary = replay([mail], cfg, env=ENV)
    assert summary.created == 1 and not summary.problems  # exit code 0
    (text,) = descriptions(cfg)
    assert "Could not look up: onprem:" in text and "The next report retries." in text

    # The directory is back, and the next report shows the problem again: the facts come
    # as a comment (here: nobody holds the value, which is news too).
    spare_dc.start()
    report(mail, "r2", AT + timedelta(hours=3), rows)
    again = replay([mail], cfg, env=ENV)
    assert again.commented == 1
    with local_store(cfg) as store:
        (ticket,) = store.tickets()
        assert any("changed" in key for key in ticket.comments)


def test_a_new_holder_on_a_later_sighting_is_a_change_worth_a_comment(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    mail = tmp_path / "mail"
    rows = [("dan@contoso.local", duplicate("ProxyAddresses", "SMTP:dan@contoso.com"))]
    report(mail, "r1", AT, rows)
    cfg = config(tmp_path / "state", graph_settings(graph_sim))
    replay([mail], cfg, env=ENV)
    (first,) = descriptions(cfg)
    assert "No object holds these values any more" in first

    graph_sim.add_user("dan.cloud@contoso.com", proxy_addresses=["smtp:dan@contoso.com"])
    report(mail, "r2", AT + timedelta(hours=3), rows)
    summary = replay([mail], cfg, env=ENV)
    assert summary.commented == 1
    with local_store(cfg) as store:
        (ticket,) = store.tickets()
        (comment,) = ticket.comments.values()
    assert "- now held by: cloud user dan.cloud@contoso.com (cloud-only)" in comment

    # Seen again with the same holder: nothing to say.
    report(mail, "r3", AT + timedelta(hours=6), rows)
    assert replay([mail], cfg, env=ENV).commented == 0


def test_graph_refusing_gives_a_ticket_saying_so_and_the_run_completes(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    mail = tmp_path / "mail"
    rows = [("eve@contoso.local", duplicate("ProxyAddresses", "SMTP:eve@contoso.com"))]
    report(mail, "r1", AT, rows)
    graph_sim.faults.rate_503 = 1.0
    graph_sim.faults.retry_after = "0"
    cfg = config(tmp_path / "state", tool_settings(graph_sim, retry_for="1s"))
    summary = replay([mail], cfg, env=ENV)
    assert summary.created == 1 and not summary.problems
    (text,) = descriptions(cfg)
    assert "Could not look up: cloud: " in text and "503" in text


# -- one failed look-up is only that look-up; nothing claimed that was not checked ---------


def test_a_403_on_contacts_keeps_the_user_found_and_names_the_missing_permission(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    from ..simulators.graph.tenant import TENANT_ID

    roles = ["Mail.ReadWrite", "User.Read.All", "GroupMember.Read.All"]  # no OrgContact.Read.All
    graph_sim.register_app(TENANT_ID, "no-contacts", secret="s3cret", roles=roles)
    seed_cloud(graph_sim)
    mail = tmp_path / "mail"
    rows = [("ann@contoso.local", duplicate("ProxyAddresses", "SMTP:ann@contoso.com"))]
    report(mail, "r1", AT, rows)
    graph = tool_settings(graph_sim, retry_for="20s", client_id="no-contacts")
    cfg = config(tmp_path / "state", graph)
    summary = replay([mail], cfg, env={"DIRSYNC_GRAPH_SECRET": "s3cret"})
    assert summary.created == 1 and not summary.problems
    (text,) = descriptions(cfg)
    assert "Advice (cloud-only-holder): The cloud-only user ann.cloud@contoso.com holds" in text
    assert "Could not look up: cloud contacts: HTTP 403 Authorization_RequestDenied" in text
    assert "OrgContact.Read.All" in text and "Directory.Read.All" in text
    assert "cloud users" not in text and "cloud groups" not in text


def test_throttled_look_ups_without_retry_after_back_off_exponentially(
    graph_sim: GraphSimulator,
) -> None:
    seed_cloud(graph_sim)
    graph_sim.faults.batch_item_503 = 1.0
    graph_sim.faults.retry_after = None
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # recorded, never slept; Graph heals after 3 waits
        waits.append(seconds)
        if len(waits) == 3:
            graph_sim.faults.batch_item_503 = 0.0

    settings = config(Path("/tmp"), graph_settings(graph_sim)).graph
    client = GraphClient(settings, CLIENT_SECRET, sleep=sleep)
    directory = CloudDirectory(client)
    directory.prefetch(["carl@contoso.com"])
    assert [h.sync_state for h in directory.holders("carl@contoso.com")] == ["formerly-synced"]
    assert len(waits) == 3
    for n, wait in enumerate(waits):
        assert 0.5 * 2**n <= wait <= 2**n  # 1, 2, 4 s, each with jitter; never near zero
    client.close()


def test_a_row_naming_no_value_does_not_say_the_value_is_gone(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    from ..reportgen import LARGE

    mail = tmp_path / "mail"
    report(mail, "r1", AT, [("big@contoso.com", LARGE)])
    cfg = config(tmp_path / "state", graph_settings(graph_sim))
    graph_sim.reset_log()
    assert replay([mail], cfg, env=ENV).created == 1
    (text,) = descriptions(cfg)
    assert "No object holds" not in text and "No other object holds" not in text
    assert graph_sim.log.graph() == []  # nothing to look up, nothing asked


def test_without_a_directory_rule_hits_reach_the_ticket_and_replays_stay_quiet(
    tmp_path: Path,
) -> None:
    mail = tmp_path / "mail"
    rows = [("jo hn@contoso.local", duplicate("ProxyAddresses", "SMTP:jo hn@contoso.com"))]
    report(mail, "r1", AT, rows)
    cfg = config(tmp_path / "state")  # no [graph], no [enrich.onprem]
    assert replay([mail], cfg, env=ENV).created == 1
    (text,) = descriptions(cfg)
    assert "Values that break the directory's rules (IdFix):" in text
    assert "- proxyAddresses SMTP:jo hn@contoso.com: Character; IdFix proposes" in text
    assert "No object holds" not in text and "No other object holds" not in text

    for n in (2, 3):  # later reports of the same problem: nothing new to say
        report(mail, f"r{n}", AT + timedelta(hours=n), rows)
        again = replay([mail], cfg, env=ENV)
        assert (again.created, again.commented, again.updated) == (0, 0, 0)
    assert replay([mail], cfg, env=ENV).commented == 0  # a replay of the same mail, too
