"""A Jira answer trickling in a byte at a time (a stalled proxy), in a real process: each
byte comes well within ``[jira] timeout``, so no single read times out; ``timeout`` bounds
the whole answer (found by hostile review rev37)."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator
from ..simulators.jira.faults import API, kind_of
from .test_cli_jira import config_file, replay


def two_problems(tmp_path: Path) -> Path:
    mail = tmp_path / "mail"
    mail.mkdir()
    rows = [
        ("ann@contoso.com", duplicate("Mail", "ann@contoso.com")),
        ("bob@contoso.com", duplicate("Mail", "bob@contoso.com")),
    ]
    start = datetime(2021, 2, 1, tzinfo=UTC)
    (mail / "0.eml").write_bytes(report_email("Contoso", start, rows, "0@t"))
    return mail


def bounded_replay(config: Path, mail: Path, token: str) -> subprocess.CompletedProcess[str]:
    began = time.monotonic()
    try:
        done = replay(config, mail, token)
    except subprocess.TimeoutExpired:
        raise AssertionError("the run still reads a trickling answer after 120 s") from None
    # [jira] timeout = 5 s: a trickled answer is given up after 5 s, not read for minutes.
    assert time.monotonic() - began < 60, done.stderr
    return done


def test_a_create_whose_answer_trickles_in_is_settled_not_waited_for(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """Jira makes the issues, and its answer comes a byte a second: past ``timeout`` it is
    a lost answer to a write (outcome unknown), settled by the label search as any other:
    one issue per problem, exit 0, in seconds (was: the answer read for minutes, the pass
    and its run lock held)."""
    jira_cloud.faults.trickle_every = 1.0  # each byte well within a 5 s read
    jira_cloud.faults.break_next("create", "trickle")
    config = config_file(tmp_path, jira_cloud.url)

    done = bounded_replay(config, two_problems(tmp_path), jira_cloud.api_token)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert len(jira_cloud.issues) == 2
    creates = [
        r for r in jira_cloud.log.writes() if kind_of(r.method, r.path[len(API) :]) == "create"
    ]
    assert len(creates) == 1  # the trickled one: settled by its label search, never re-sent
    assert jira_cloud.log.searches()


def test_reads_that_trickle_in_end_the_run_75_in_one_line(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """Every read (the server's information first) answered a byte a second: each is a
    timeout, retried within ``retry_for``, then the run ends 75 in one line; nothing is
    written."""
    jira_cloud.faults.trickle_every = 1.0
    jira_cloud.faults.break_next("read", "trickle", times=50)
    config = config_file(tmp_path, jira_cloud.url)

    done = bounded_replay(config, two_problems(tmp_path), jira_cloud.api_token)

    assert done.returncode == 75, done.stderr
    assert "Traceback" not in done.stderr
    assert "Jira: read the server's information" in done.stderr, done.stderr
    assert jira_cloud.issues == {}
