"""`run` over Graph's provisioning errors as cron runs it: a real process, the simulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import TENANT_ID
from .test_cli_run import cli

WHEN = datetime(2024, 7, 4, 0, 6, 16, tzinfo=UTC)


def config_file(tmp_path: Path, sim: GraphSimulator, *, client_id: str | None = None) -> Path:
    """Graph's provisioning errors alone: no [source.mailbox]."""
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
        f'[graph]\ntenant_id = "{TENANT_ID}"\nclient_id = "{client_id or sim.client_id}"\n'
        f'authority_url = "{sim.url}"\ngraph_url = "{sim.url}"\nca_bundle = "{sim.ca_path}"\n'
        'retry_for = "3s"\ntimeout = 5.0\n'
        "[source.provisioning_errors]\nenabled = true\n"
        "[enrich.cloud]\nenabled = false\n"
    )
    return path


def quarantine(sim: GraphSimulator, *users: str) -> None:
    for user in users:
        error = {
            "category": "PropertyConflict",
            "occurredDateTime": WHEN,
            "propertyCausingError": "ProxyAddress",
            "value": f"smtp:{user}",
        }
        sim.add_user(user, provisioning_errors=[error])


def test_run_with_provisioning_errors_alone_tickets_them_and_says_what_the_scan_found(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine(graph_sim, "ann@contoso.com", "bob@contoso.com", "cid@contoso.com")
    config = config_file(tmp_path, graph_sim)
    done = cli(config, "run")
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert "tickets: 3 created" in line
    assert line.endswith("; graph provisioning errors: 3 on 3 object(s), complete")

    again = cli(config, "--log-format", "json", "run")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["tickets"]["created"] == 0 and summary["writes"] == []
    assert summary["scans"] == ["graph provisioning errors: 3 on 3 object(s), complete"]


def test_a_failed_page_exits_75_in_one_line_after_ticketing_what_was_read(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine(graph_sim, "ann@contoso.com", "bob@contoso.com")
    graph_sim.page_size = 1
    graph_sim.faults.retry_after = "0"
    graph_sim.faults.fail_pages(503, times=100, path_contains="/users")
    config = config_file(tmp_path, graph_sim)
    done = cli(config, "run")
    assert done.returncode == 75, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "list users with provisioning errors: HTTP 503" in done.stderr
    listed = cli(config, "tickets", "--format", "json")
    # The first page (the mailbox's own user, then ann) was read: ann has her ticket.
    assert [t["identity"] for t in json.loads(listed.stdout)] == ["ann@contoso.com"]


def test_a_permission_missing_is_named_and_exits_2_after_the_pass(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine(graph_sim, "ann@contoso.com")
    roles = {"User.Read.All", "Organization.Read.All", "OrgContact.Read.All"}
    graph_sim.register_app(graph_sim.tenant_id, "app-2", secret="s3cret", roles=roles)
    done = cli(config_file(tmp_path, graph_sim, client_id="app-2"), "run", secret="s3cret")
    assert done.returncode == 2, done.stderr
    assert "tickets: 1 created" in done.stdout and "incomplete" in done.stdout
    (line,) = done.stderr.splitlines()
    assert "GroupMember.Read.All (or Directory.Read.All)" in line


def test_doctor_checks_the_tenant_name_and_each_type_the_scan_reads(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    config = config_file(tmp_path, graph_sim)
    done = cli(config, "doctor")
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok   config",
        "ok   ledger",
        "ok   graph sign-in",
        "ok   graph organization",
        "ok   graph provisioning errors users",
        "ok   graph provisioning errors groups",
        "ok   graph provisioning errors contacts",
    ]  # no mailbox: not one to warn about
    assert "ok   graph organization: Contoso" in lines[3]
    assert lines[4].endswith("User.Read.All (or Directory.Read.All) granted; the filter works")


def test_doctor_names_each_permission_the_scan_lacks_and_a_refused_filter(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    roles = {"User.Read.All", "OrgContact.Read.All"}
    graph_sim.register_app(graph_sim.tenant_id, "app-2", secret="s3cret", roles=roles)
    graph_sim.refuse_filter("onPremisesProvisioningErrors")
    done = cli(config_file(tmp_path, graph_sim, client_id="app-2"), "doctor", secret="s3cret")
    assert done.returncode == 2, done.stdout
    lines = {line.split(":")[0]: line for line in done.stdout.splitlines()}
    assert "Organization.Read.All (or Directory.Read.All)" in lines["FAIL graph organization"]
    groups = lines["FAIL graph provisioning errors groups"]
    assert "HTTP 403" in groups and "GroupMember.Read.All (or Directory.Read.All)" in groups
    users = lines["warn graph provisioning errors users"]
    assert "refused the filter" in users and "reads every user instead" in users


def test_a_dry_run_lists_the_tickets_the_scan_would_open_and_writes_nothing(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    quarantine(graph_sim, "ann@contoso.com")
    done = cli(config_file(tmp_path, graph_sim), "run", "--dry-run")
    assert done.returncode == 0, done.stderr
    # (clipped to 80 columns)
    assert "would create a ticket: [dirsync] QuarantinedAttributeValueMustBeUnique: " in done.stdout
    assert done.stdout.splitlines()[-1].endswith(
        "graph provisioning errors: 1 on 1 object(s), complete"
    )
    assert not (tmp_path / "state").exists()


def test_a_wrong_secret_stops_the_scan_in_one_line_as_it_stops_the_mailbox(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    done = cli(config_file(tmp_path, graph_sim), "run", secret="nope")
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1
    assert "sign-in refused (invalid_client" in done.stderr


def test_a_pass_whose_scan_fails_still_names_the_mail_it_rejected_and_counts_its_writes(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """The mailbox and the scan in one pass; the groups listing fails past ``retry_for``
    (exit 75) after the mail was read, a spoofed report rejected and marked, the rest
    ticketed. The rejection must still be named (it is marked: no later pass names it),
    and the pass's counts must still reach stdout, its ``run-summary`` and the metrics (found
    by hostile review rev37: a temporary failure dropped the whole summary)."""
    from ..conftest import REPORTS
    from ..simulators.graph.tenant import MAILBOX

    quarantine(graph_sim, "ann@contoso.com")
    spoofed = (REPORTS / "hostile_spoofed_display_name.eml").read_bytes()
    message = graph_sim.add_message(MAILBOX, "inbox", spoofed, received=datetime.now(UTC))
    graph_sim.faults.retry_after = "0"
    graph_sim.faults.fail_next(503, times=200)
    graph_sim.faults.path_contains = "/v1.0/groups"
    config = config_file(tmp_path, graph_sim)
    prom = tmp_path / "dirsync-bridge.prom"
    with config.open("a") as extra:
        extra.write(f'[source.mailbox]\nmailbox = "{MAILBOX}"\n[metrics]\ntextfile = "{prom}"\n')
    done = cli(config, "--log-format", "json", "run")
    assert done.returncode == 75, done.stderr
    assert graph_sim.message(message.id).folder_id == graph_sim.folder_id(MAILBOX, "inbox")
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    rejected = [line for line in lines if line["event"] == "message-rejected"]
    assert len(rejected) == 1, done.stderr
    assert lines[-2]["level"] == "error" and "list groups" in lines[-2]["message"]
    (summary,) = [line for line in lines if line["event"] == "run-summary"]
    assert summary["exit_code"] == 75 and summary["counts"] is not None
    assert summary["counts"]["messages"]["rejected"] == 1
    assert json.loads(done.stdout)["messages"]["rejected"] == 1
    assert 'dirsync_bridge_last_run_messages{outcome="rejected"} 1.0' in prom.read_text()
