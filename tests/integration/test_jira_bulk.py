"""Jira in bulk, end to end against the simulator: creates 50 to a request, exactly once.

New tickets go to ``POST /issue/bulk`` with all a single create carries; an answer lost
after Jira made them is settled by one label search for the whole batch; Data Center, whose
bulk create may drop the issue property, gets it set afterwards; people's resolutions come
from one query per pass; a report already read makes no request at all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.crashpoints import ENV_VAR
from dirsync_bridge.fingerprint import label
from dirsync_bridge.sinks.jira import PROPERTY

from ..reportgen import duplicate
from ..simulators.jira import JiraSimulator
from .test_jira_faults import by_identity, run
from .test_jira_sink import TEAM_FIELD, jira_config, jira_tickets, one_report, outcome_leftovers

START = datetime(2021, 5, 3, 9, tzinfo=UTC)
BULK = "/rest/api/2/issue/bulk"


def rows(count: int, *more: str) -> list[tuple[str, str]]:
    people = [f"u{n:03d}@contoso.com" for n in range(count)]
    return [(p, duplicate("ProxyAddresses", f"SMTP:{p}", *more)) for p in people]


def bulk_sizes(sim: JiraSimulator) -> list[int]:
    return [len(r.body["issueUpdates"]) for r in sim.log.writes() if r.path == BULK]


def label_searches(sim: JiraSimulator) -> list[str]:
    jqls = [str((r.query.get("jql") or [""])[0]) for r in sim.log.searches()]
    return [jql for jql in jqls if "labels in (" in jql]


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_new_tickets_go_fifty_to_a_bulk_create_with_all_a_single_create_carries(
    tmp_path: Path, jira_cloud: JiraSimulator, jira_server: JiraSimulator, mode: str
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    mail = tmp_path / "mail"
    one_report(mail, START, rows(120), "r0")
    config = jira_config(sim, tmp_path / "state")

    summary = run(mail, config, sim)

    assert summary.created == 120 and len(jira_tickets(sim)) == 120  # one issue per key
    assert bulk_sizes(sim) == [50, 50, 20]
    assert [r.path for r in sim.log.writes() if r.path != BULK] == []  # nothing one by one
    for issue in sim.issues.values():
        prop = issue.properties[PROPERTY]
        assert issue.fields["labels"] == ["dirsync", label(prop["fingerprint"])]
        assert issue.fields["priority"] == "High" and issue.fields["components"] == ["Identity"]
        assert issue.fields[TEAM_FIELD] == "Identity team"
    # Data Center: one search checks that the site kept the properties (it did).
    assert len(sim.log.searches()) == (0 if mode == "cloud" else 1)
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}

    sim.reset_log()
    again = run(mail, config, sim)
    assert again.already_seen == 1 and len(sim.log) == 0  # a report already read: no request


def test_a_bulk_create_lost_after_jira_made_it_is_settled_by_one_search_for_the_batch(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    sim = jira_server  # consistent search: settled within the run
    mail = tmp_path / "mail"
    one_report(mail, START, rows(60), "r0")
    config = jira_config(sim, tmp_path / "state")
    sim.faults.break_next("create", 503)  # the first batch: made, its answer lost

    summary = run(mail, config, sim)

    assert summary.unconfirmed == [] and summary.created == 10  # the other batch
    assert len(jira_tickets(sim)) == 60  # raises on two issues for one key
    (search,) = label_searches(sim)  # one search for the 50 of the lost batch
    assert search.count("dirsync-") == 50
    assert bulk_sizes(sim) == [50, 10]  # never sent again
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


def test_a_bulk_create_lost_on_cloud_waits_for_the_next_run_and_one_search(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim = jira_cloud
    mail = tmp_path / "mail"
    one_report(mail, START, rows(30), "r0")
    config = jira_config(sim, tmp_path / "state")
    sim.faults.break_next("create", "drop")  # made, then the connection dropped
    sim.faults.search_lag = 3600.0  # and search does not show them yet

    first = run(mail, config, sim)
    assert first.unconfirmed and len(sim.issues) == 30  # "not found" not trusted yet
    assert first.created == 0 and bulk_sizes(sim) == [30]
    sim.faults.search_lag = 0.0  # by the next cron pass, search has caught up
    sim.reset_log()
    second = run(mail, config, sim)

    assert second.unconfirmed == [] and second.created == 0
    assert len(label_searches(sim)) == 1 and sim.log.writes() == []
    assert len(jira_tickets(sim)) == 30
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


def test_refusals_of_a_whole_bulk_create_name_every_problem_and_nothing_is_left(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim = jira_cloud
    mail = tmp_path / "mail"
    one_report(mail, START, rows(3), "r0")
    config = jira_config(sim, tmp_path / "state")
    sim.faults.refuse_create("@contoso.com")  # every item: Jira answers 400, item by item

    summary = run(mail, config, sim)

    assert len(summary.attention) == 3 and sim.issues == {}
    assert all(line.startswith("dirsync-") and "HTTP 400" in line for line in summary.attention)
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 3}
    sim.faults.refused.clear()
    assert run(mail, config, sim).created == 3


def test_data_center_that_drops_properties_in_bulk_gets_them_set_afterwards(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    sim = jira_server
    sim.faults.bulk_drops_properties = True
    mail = tmp_path / "mail"
    one_report(mail, START, rows(60), "r0")
    config = jira_config(sim, tmp_path / "state")

    summary = run(mail, config, sim)

    assert summary.created == 60 and len(jira_tickets(sim)) == 60  # each with its property
    puts = [r for r in sim.log.writes() if r.method == "PUT" and "/properties/" in r.path]
    assert len(puts) == 60
    assert len(sim.log.searches()) == 1  # checked once, on the first batch only
    # The property is what later searches find the tickets by.
    one_report(mail, START + timedelta(hours=3), rows(60, "smtp:x@contoso.com"), "r1")
    assert run(mail, config, sim).commented == 60


def test_people_resolutions_come_from_one_query_per_pass_whatever_the_open_tickets(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim = jira_cloud
    mail = tmp_path / "mail"
    one_report(mail, START, rows(250), "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (first,) = by_identity(sim, "u007@")
    sim.resolve_by_hand(first, "Done")
    one_report(mail, datetime.now(UTC) + timedelta(hours=1), rows(250), "r1")
    sim.reset_log()

    run(mail, config, sim)

    searches = [str(r.query["jql"][0]) for r in sim.log.searches()]
    (query,) = [q for q in searches if not q.startswith("key in (")]
    # Besides, the open tickets looked for (deleted? moved?): 250, up to 100 a search.
    assert len(searches) == 1 + 3
    assert query.startswith('labels = "dirsync" AND updated >= -')
    assert "AND (statusCategory = Done OR status CHANGED AFTER -" in query
    assert sim.issues[first].status == "To Do"  # learned, then reopened by the sighting
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


# ---------------------------------------------------------------------------------------------
# SIGKILL around bulk creates


def crash_runs(sim: JiraSimulator, tmp_path: Path, mail: Path, crashes: list[str]) -> list[int]:
    state = tmp_path / "state"
    config_file = tmp_path / "jira.toml"
    lines = [
        f'[state]\npath = "{state / "state.db"}"',
        f'[sink]\nkind = "jira"\n[jira]\nurl = "{sim.url}"\nproject = "OPS"',
        'search_lag = "2s"',
    ]
    if sim.mode == "cloud":
        lines.append(f'email = "{sim.email}"')
    config_file.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    env["DIRSYNC_JIRA_TOKEN"] = sim.api_token if sim.mode == "cloud" else sim.pat
    codes = []
    for crash in [*crashes, ""]:
        command = [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file)]
        done = subprocess.run(
            [*command, "replay", str(mail)],
            env={**env, **({ENV_VAR: crash} if crash else {})},
            capture_output=True,
            timeout=120,
            check=False,
        )
        codes.append(done.returncode)
    return codes


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_sigkill_after_bulk_creates_then_reruns_give_one_issue_each_settled_in_batches(
    tmp_path: Path, jira_cloud: JiraSimulator, jira_server: JiraSimulator, mode: str
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    sim.faults.search_lag = 1.0  # a killed create is invisible to Cloud search for a while
    mail = tmp_path / "mail"
    one_report(mail, START, rows(120), "r0")
    # Killed right after the first batch was answered, then after the second one, before
    # the ledger recorded either: 100 creates to settle, 50 to a search.
    codes = crash_runs(sim, tmp_path, mail, ["after-sink-write:1", "after-sink-write:2"])
    assert codes[:2] == [-signal.SIGKILL, -signal.SIGKILL] and codes[-1] == 0
    assert len(jira_tickets(sim)) == 120  # raises on two issues for one key
    assert bulk_sizes(sim) == [50, 50, 20]  # every batch sent once
    searches = label_searches(sim)
    assert all(s.count("dirsync-") <= 50 for s in searches) and len(searches) <= 3


@pytest.mark.slow
def test_sigkill_before_data_center_got_the_dropped_properties_then_a_rerun_adopts_the_issues(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    sim = jira_server
    sim.faults.bulk_drops_properties = True
    mail = tmp_path / "mail"
    one_report(mail, START, rows(20), "r0")
    codes = crash_runs(sim, tmp_path, mail, ["after-bulk-create:1"])
    assert codes == [-signal.SIGKILL, 0]
    assert len(sim.issues) == 20  # found by label, not created again
    assert len(jira_tickets(sim)) == 20  # each with its property now


@pytest.mark.slow
def test_sigterm_while_jira_throttles_the_comments_in_flight_ends_the_run_with_130(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    # Jira answers 429 "come back in a minute" to every comment list the four workers read
    # before commenting, and the run may retry for ten: the workers are waiting it out when
    # systemd stops the service. The run must stop then, not when the waits end.
    sim, mail = jira_cloud, tmp_path / "mail"
    one_report(mail, START, rows(12), "r0")
    assert crash_runs(sim, tmp_path, mail, []) == [0]
    one_report(mail, START + timedelta(hours=3), rows(12, "smtp:x@contoso.com"), "r1")
    config_file = tmp_path / "jira.toml"
    config_file.write_text(config_file.read_text() + 'retry_for = "10m"\n')
    sim.faults.retry_after = "60"
    sim.faults.break_next("comments", 429, reaches_jira=False, times=1000)
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    command = [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file)]
    with subprocess.Popen(
        [*command, "replay", str(mail)],
        env={**env, "DIRSYNC_JIRA_TOKEN": sim.api_token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        while sum(r.status == 429 for r in sim.log.records) < 4:  # four workers waiting
            assert process.poll() is None, "the run ended before Jira throttled it"
            time.sleep(0.05)  # polling for the moment, not measuring anything
        process.send_signal(signal.SIGTERM)
        try:  # a safety net far beyond a prompt stop, far short of the waits (a minute)
            _, stderr = process.communicate(timeout=45)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("SIGTERM did not end the run: it waited out Jira's Retry-After")
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    sim.faults.aimed.clear()
    assert crash_runs(sim, tmp_path, mail, []) == [0]
    assert all(len(issue.comments) == 1 for issue in sim.issues.values())
