"""`run` and the Graph half of `doctor` as cron runs them: a real process, the simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from ..conftest import REPORTS
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_ID, CLIENT_SECRET, MAILBOX, TENANT_ID

CLI = [sys.executable, "-m", "dirsync_bridge"]


def config_file(tmp_path: Path, sim_url: str, ca: str, client_id: str = CLIENT_ID) -> Path:
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
        f'[graph]\ntenant_id = "{TENANT_ID}"\nclient_id = "{client_id}"\n'
        f'authority_url = "{sim_url}"\ngraph_url = "{sim_url}"\nca_bundle = "{ca}"\n'
        'retry_for = "3s"\ntimeout = 5.0\n'
        f'[source.mailbox]\nmailbox = "{MAILBOX}"\n'
    )
    return path


def cli(
    config: Path, *args: str, secret: str = CLIENT_SECRET, **env_vars: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIRSYNC_GRAPH_SECRET": secret, **env_vars}
    return subprocess.run(
        [*CLI, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def deliver(sim: GraphSimulator) -> None:
    raw = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    sim.add_message(MAILBOX, "inbox", raw, received=datetime.now(UTC))


def test_run_prints_one_line_and_json_for_cron(tmp_path: Path, graph_sim: GraphSimulator) -> None:
    deliver(graph_sim)
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    done = cli(config, "run")
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith("run: 1 new message(s) (1 parsed, 0 rejected)")
    assert "tickets: 3 created" in line and "mailbox: 1 marked" in line

    again = cli(config, "--log-format", "json", "run")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["messages"]["parsed"] == 0 and summary["tickets"]["created"] == 0


def test_run_json_summary_carries_a_timestamp(tmp_path: Path, graph_sim: GraphSimulator) -> None:
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    done = cli(config, "--log-format", "json", "run")
    assert done.returncode == 0, done.stderr
    stamp = json.loads(done.stdout)["time"]
    assert stamp.endswith("Z")
    assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).tzinfo is not None


def test_json_logs_carry_msal_records_and_the_fatal_line_as_json(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    # A real msal warning: a forced region that cannot be detected (msal then signs in at
    # a regional host, which the simulator is not: the pass ends with exit 75).
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    done = cli(config, "--log-format", "json", "run", MSAL_FORCE_REGION="westus")
    assert done.returncode == 75, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert any(r["logger"].startswith("msal") and r["level"] == "warning" for r in records)
    # The fatal line, then the pass's run-summary closing it with the same code.
    assert records[-1]["event"] == "run-summary" and records[-1]["exit_code"] == 75
    assert records[-2]["level"] == "error" and "Graph sign-in" in records[-2]["message"]


def test_run_dry_run_lists_the_plan_and_marks_nothing(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    deliver(graph_sim)
    done = cli(config_file(tmp_path, graph_sim.url, graph_sim.ca_path), "run", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would create a ticket: [dirsync]" in done.stdout
    assert "move:Processed graph:" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("run (dry run, nothing written):")
    assert graph_sim.log.writes() == []
    assert not (tmp_path / "state").exists()


def test_run_with_a_wrong_secret_exits_2_in_one_line(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    done = cli(config_file(tmp_path, graph_sim.url, graph_sim.ca_path), "run", secret="nope")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "sign-in refused (invalid_client" in done.stderr


def test_run_without_a_mailbox_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[state]\npath = "{tmp_path / "s.db"}"\n')
    done = cli(path, "run")
    assert done.returncode == 2
    assert "[source.mailbox] mailbox: is not set" in done.stderr


def test_run_with_graph_unreachable_exits_75(tmp_path: Path, graph_sim: GraphSimulator) -> None:
    config = config_file(tmp_path, "https://127.0.0.1:9", graph_sim.ca_path)
    done = cli(config, "run")
    assert done.returncode == 75, done.stderr
    assert "cannot reach https://127.0.0.1:9" in done.stderr and "Traceback" not in done.stderr


def test_doctor_checks_sign_in_mailbox_and_write_access(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    deliver(graph_sim)
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    done = cli(config, "doctor")
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok   config",
        "ok   ledger",
        "ok   graph sign-in",
        "ok   graph mailbox",
        "ok   graph write access",
        "warn graph folder 'Processed'",
        "ok   graph directory users",
        "ok   graph directory groups",
        "ok   graph directory contacts",
    ]
    assert lines[0].startswith(f"ok   config: {config}; sink local; ledger ")
    # What it was doing, on stderr, as it went.
    assert "dirsync-bridge: checking graph sign-in at " in done.stderr
    assert "dirsync-bridge: checking that the app may read contacts" in done.stderr

    graph_sim.register_app(TENANT_ID, "read-only", secret="s3cret", roles=["Mail.Read"])
    done = cli(
        config_file(tmp_path, graph_sim.url, graph_sim.ca_path, "read-only"),
        "doctor",
        secret="s3cret",
    )
    assert done.returncode == 2
    assert "FAIL graph write access: Graph: check write access: HTTP 403" in done.stdout
    assert "Mail.ReadWrite" in done.stdout


def test_run_against_a_certificate_that_does_not_verify_exits_2_naming_ca_bundle(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    import certifi

    deliver(graph_sim)
    config = config_file(tmp_path, graph_sim.url, certifi.where())  # lacks the simulator's CA
    done = cli(config, "run")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "[graph] ca_bundle" in done.stderr and graph_sim.url in done.stderr


def test_run_with_a_message_gone_before_its_fetch_exits_1_naming_it(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    deliver(graph_sim)
    raw = (REPORTS / "aadsync_plaintext_only.eml").read_bytes()
    gone = graph_sim.add_message(MAILBOX, "inbox", raw, received=datetime.now(UTC))
    graph_sim.faults.vanish_after_listing = {gone.immutable_id}
    done = cli(config_file(tmp_path, graph_sim.url, graph_sim.ca_path), "run")
    assert done.returncode == 1, done.stderr
    assert "tickets: 3 created" in done.stdout and "Traceback" not in done.stderr
    (line,) = [x for x in done.stderr.splitlines() if gone.immutable_id[-16:] in x]
    assert "unreadable: gone from the mailbox" in line


def test_doctor_retries_a_cut_off_answer_and_says_75_when_graph_keeps_sending_html(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    from ..simulators.graph.faults import HTML, TRUNCATE

    deliver(graph_sim)
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    graph_sim.faults.path_contains = "/messages"
    graph_sim.faults.fail_next(TRUNCATE)
    done = cli(config, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   graph mailbox" in done.stdout and "Traceback" not in done.stderr

    graph_sim.faults.fail_next(HTML, times=100)
    done = cli(config, "doctor")
    assert done.returncode == 75, done.stdout + done.stderr
    assert "FAIL graph mailbox: Graph: list" in done.stdout and "not JSON" in done.stdout
    assert "Traceback" not in done.stderr


def test_doctor_names_ca_bundle_when_the_certificate_does_not_verify(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    import certifi

    done = cli(config_file(tmp_path, graph_sim.url, certifi.where()), "doctor")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "FAIL graph sign-in" in done.stdout and "[graph] ca_bundle" in done.stdout
    assert "Traceback" not in done.stderr


def test_doctor_names_the_directory_permission_enrichment_lacks(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    graph_sim.register_app(
        TENANT_ID, "no-contacts", secret="s3cret", roles=["Mail.ReadWrite", "User.Read.All"]
    )
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path, "no-contacts")
    done = cli(config, "doctor", secret="s3cret")
    assert done.returncode == 2, done.stdout
    lines = done.stdout.splitlines()
    assert "ok   graph directory users: User.Read.All (or Directory.Read.All) granted" in lines
    (groups,) = [line for line in lines if line.startswith("FAIL graph directory groups: ")]
    assert "HTTP 403 Authorization_RequestDenied" in groups and "Group.Read.All" in groups
    (contacts,) = [line for line in lines if line.startswith("FAIL graph directory contacts: ")]
    assert "OrgContact.Read.All" in contacts

    # Enrichment off: nothing to check, nothing to fail.
    config.write_text(config.read_text() + "[enrich.cloud]\nenabled = false\n")
    done = cli(config, "doctor", secret="s3cret")
    assert "graph directory" not in done.stdout


def test_doctor_errors_name_the_loaded_file(tmp_path: Path, graph_sim: GraphSimulator) -> None:
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    env = {k: v for k, v in os.environ.items() if k != "DIRSYNC_GRAPH_SECRET"}
    done = subprocess.run(
        [*CLI, "--config", str(config), "doctor"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 2
    assert f"FAIL graph credentials: {config}: [graph] client_secret_env: " in done.stdout
    assert "built-in defaults" not in done.stdout
