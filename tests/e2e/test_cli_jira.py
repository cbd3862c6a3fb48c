"""`replay --sink jira` as a user runs it: a real process against the Jira simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..conftest import REPORTS
from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator

CLI = [sys.executable, "-m", "dirsync_bridge"]


def config_file(tmp_path: Path, url: str, **extra: str) -> Path:
    lines = [
        "[state]",
        f'path = "{tmp_path / "state" / "state.db"}"',
        "[jira]",
        f'url = "{url}"',
        'project = "OPS"',
        'email = "bot@contoso.com"',
        'search_lag = "0s"',
        'retry_for = "3s"',
        "timeout = 5.0",
        *(f"{k} = {v}" for k, v in extra.items()),
    ]
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def replay(config: Path, mail: Path, token: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DIRSYNC_JIRA_TOKEN"}
    if token is not None:
        env["DIRSYNC_JIRA_TOKEN"] = token
    return subprocess.run(
        [*CLI, "--config", str(config), "replay", "--sink", "jira", str(mail)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_a_missing_transition_names_the_ticket_and_exits_1(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    jira_cloud.set_workflow({"To Do": [("Start", "In Progress")], "In Progress": [], "Done": []})
    mail = tmp_path / "mail"
    mail.mkdir()
    row = ("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))
    other = ("bob@contoso.com", duplicate("Mail", "bob@contoso.com"))
    start = datetime(2021, 2, 1, tzinfo=UTC)
    (mail / "0.eml").write_bytes(report_email("Contoso", start, [row, other], "0@t"))
    for n in range(1, 4):
        at = start + timedelta(hours=n)
        (mail / f"{n}.eml").write_bytes(report_email("Contoso", at, [other], f"{n}@t"))

    done = replay(config_file(tmp_path, jira_cloud.url), mail, jira_cloud.api_token)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "needs attention: OPS-1: no transition named 'Done' (available: 'Start')" in done.stderr
    assert "needing attention: 1 ticket(s)" in done.stdout
    assert len(jira_cloud.issues) == 2


def test_wrong_token_exits_2_with_one_line(tmp_path: Path, jira_cloud: JiraSimulator) -> None:
    done = replay(config_file(tmp_path, jira_cloud.url), REPORTS, "wrong")
    assert done.returncode == 2
    (line,) = [line for line in done.stderr.splitlines() if "error:" in line]
    assert "refused the credentials (HTTP 401)" in line and "DIRSYNC_JIRA_TOKEN" in line
    assert "wrong" not in done.stderr  # never the secret
    assert jira_cloud.issues == {}


def test_missing_token_is_a_configuration_error(tmp_path: Path) -> None:
    done = replay(config_file(tmp_path, "http://127.0.0.1:9"), REPORTS, None)
    assert done.returncode == 2
    assert "[jira] token_env: the environment variable DIRSYNC_JIRA_TOKEN is not set" in done.stderr


def test_jira_unreachable_exits_75_and_the_next_run_finishes(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    config = config_file(tmp_path, "http://127.0.0.1:9")  # nothing listens on port 9
    done = replay(config, REPORTS, jira_cloud.api_token)
    assert done.returncode == 75, done.stderr
    assert "cannot reach http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr

    # The first run recorded every message (and named the rejected ones); this one finds
    # them in the ledger and only writes the tickets.
    done = replay(config_file(tmp_path, jira_cloud.url), REPORTS, jira_cloud.api_token)
    assert done.returncode == 0, done.stderr
    assert "0 parsed" in done.stdout and "created" in done.stdout
    assert len(jira_cloud.issues) > 20


def doctor(config: Path, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIRSYNC_JIRA_TOKEN": token}
    return subprocess.run(
        [*CLI, "--config", str(config), "doctor"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_doctor_checks_every_jira_setting_one_line_each(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    config = config_file(tmp_path, jira_cloud.url, components='["Identity"]')
    done = doctor(config, jira_cloud.api_token)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert "ok   jira credentials: signed in as bot@contoso.com on Jira Cloud" in lines[3]
    names = [line.split(":")[0] for line in lines]
    assert names == [
        "ok   config",
        "ok   ledger",
        "warn jira url",  # the simulator speaks plain http://
        "ok   jira credentials",
        "ok   jira project",
        "ok   jira issue type",
        "ok   jira components",
        "ok   jira priorities",
        "warn jira resolve transition",  # no ticket of ours yet to read the workflow from
        "warn jira reopen transition",
    ]

    # With tickets in Jira, the workflow is checked on them.
    replay(config, REPORTS, jira_cloud.api_token)
    assert doctor(config, jira_cloud.api_token).returncode == 0


def test_doctor_names_what_to_fix(tmp_path: Path, jira_cloud: JiraSimulator) -> None:
    replay(config_file(tmp_path, jira_cloud.url), REPORTS, jira_cloud.api_token)
    config = config_file(
        tmp_path,
        jira_cloud.url,
        issue_type='"Story"',
        priority='{ default = "Urgent" }',
        fields='{ customfield_99999 = "x" }',
        resolve_transition='"Close"',
    )
    done = doctor(config, jira_cloud.api_token)
    assert done.returncode == 2
    out = done.stdout
    assert "FAIL jira issue type: 'Story' is not an issue type of OPS" in out
    assert "set [jira] issue_type" in out
    assert "FAIL jira priorities: 'Urgent' unknown" in out
    assert "FAIL jira fields: 'customfield_99999' unknown: fix [jira] fields" in out
    assert "FAIL jira resolve transition: 'Close' not offered" in out


def test_doctor_with_a_bad_token_fails_at_the_credentials(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    done = doctor(config_file(tmp_path, jira_cloud.url), "nope")
    assert done.returncode == 2
    assert "FAIL jira credentials: Jira at" in done.stdout and "HTTP 401" in done.stdout
    assert "Traceback" not in done.stderr
