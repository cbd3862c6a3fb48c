"""Jira's search paging answered oddly (``sinks/jira_paging``), through the command line.

The Graph listings guard their next links (a link repeating a page already read ends the
listing). Jira's searches (the people query every pass makes, the settle searches) page
too: on Cloud by ``nextPageToken``, on Data Center by ``startAt``/``total``. A search whose
paging never moves on (a bug, a proxy's cache) must not keep a cron pass, and its run lock,
forever; an item of a search answer that is not an issue must not be an internal error.
Both end the pass as temporary (exit 75) in one line; the next run searches again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ..e2e.test_cli_jira import config_file
from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator
from ..simulators.jira import search as jira_search
from ..simulators.jira import server as jira_server_module
from ..simulators.jira.search import Params

CLI = [sys.executable, "-m", "dirsync_bridge"]
START = datetime(2021, 2, 1, tzinfo=UTC)
STUCK = 300
"""Answers stuck at most this many times, then true again: a pass that followed them all
(the defect) ends too, and its search count shows it."""


def replay(config: Path, mail: Path, token: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
    env["DIRSYNC_JIRA_TOKEN"] = token
    return subprocess.run(
        [*CLI, "--config", str(config), "replay", "--sink", "jira", str(mail)],
        capture_output=True,
        text=True,
        timeout=300,  # a guard against a hang only: the stuck answers end after STUCK
        check=False,
        env=env,
    )


def mail_with(folder: Path, name: str, at: datetime, users: list[str]) -> None:
    folder.mkdir(exist_ok=True)
    rows = [(u, duplicate("Mail", u)) for u in users]
    (folder / f"{name}.eml").write_bytes(report_email("Contoso", at, rows, f"{name}@t"))


def a_first_pass(tmp_path: Path, sim: JiraSimulator, mode: str) -> tuple[Path, Path, str]:
    """Two tickets made, one resolved by a person: the people query of the next pass has
    an answer. (mail folder, config, token)"""
    mail = tmp_path / "mail"
    mail_with(mail, "0", START, ["ann@contoso.com", "bob@contoso.com"])
    if mode == "cloud":
        conf, token = config_file(tmp_path, sim.url), sim.api_token
    else:  # Data Center: a personal access token, no email
        conf = config_file(tmp_path, sim.url, deployment='"datacenter"', email='""')
        token = sim.pat
    first = replay(conf, mail, token)
    assert first.returncode == 0, first.stderr
    sim.resolve_by_hand(next(iter(sim.issues)), "Done")
    return mail, conf, token


def test_a_cloud_search_whose_next_page_token_never_changes_ends_the_pass(
    tmp_path: Path, jira_cloud: JiraSimulator, monkeypatch: Any
) -> None:
    sim = jira_cloud
    mail, conf, token = a_first_pass(tmp_path, sim, "cloud")
    real = jira_server_module.search_jql
    stuck = {"n": 0}

    def same_token(model, q, lag):  # type: ignore[no-untyped-def]
        page = real(model, q, lag)
        if stuck["n"] < STUCK:
            stuck["n"] += 1
            # the token of the first page, every page: valid, and never moving on
            page["nextPageToken"] = jira_search._encode_token(0, q.one("jql") or "")
            page["isLast"] = False
        return page

    monkeypatch.setattr(jira_server_module, "search_jql", same_token)
    mail_with(mail, "1", START + timedelta(days=1), ["ann@contoso.com"])
    done = replay(conf, mail, token)
    assert stuck["n"] <= 2, f"the same nextPageToken was followed {stuck['n']} times"
    assert done.returncode == 75, done.stderr
    assert "nextPageToken repeats" in done.stderr or "repeats issues" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_data_center_search_that_ignores_start_at_and_lies_about_its_total_ends_the_pass(
    tmp_path: Path, jira_server: JiraSimulator, monkeypatch: Any
) -> None:
    sim = jira_server
    mail, conf, token = a_first_pass(tmp_path, sim, "server")
    real = jira_server_module.search
    stuck = {"n": 0}

    def first_page_always(model, q):  # type: ignore[no-untyped-def]
        if stuck["n"] >= STUCK:
            return real(model, q)
        stuck["n"] += 1
        # startAt ignored: the first page again, and a total far past what there is
        page = real(model, Params({**q.values, "startAt": "0"}))
        return page | {"total": 10**9, "isLast": False}

    monkeypatch.setattr(jira_server_module, "search", first_page_always)
    mail_with(mail, "1", START + timedelta(days=1), ["ann@contoso.com"])
    done = replay(conf, mail, token)
    assert stuck["n"] <= 2, f"the same page was read {stuck['n']} times"
    assert done.returncode == 75, done.stderr
    assert "repeats issues already read" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "odd",
    [None, {}, {"id": "10001"}, "OPS-1", {"key": "OPS-1", "fields": "x"}],
    ids=["null", "empty", "no-key", "string", "fields-a-string"],
)
@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_an_odd_issue_in_a_search_answer_is_not_an_internal_error(
    tmp_path: Path,
    jira_cloud: JiraSimulator,
    jira_server: JiraSimulator,
    monkeypatch: Any,
    odd: Any,
    mode: str,
) -> None:
    """A search answer whose ``issues`` list holds one item that is not an issue: an
    answer that cannot be read (exit 75, one line), as a page without ``issues`` is."""
    sim = jira_cloud if mode == "cloud" else jira_server
    mail, conf, token = a_first_pass(tmp_path, sim, mode)
    real_jql, real_search = jira_server_module.search_jql, jira_server_module.search

    def odd_jql(model, q, lag):  # type: ignore[no-untyped-def]
        page = real_jql(model, q, lag)
        page["issues"] = [odd, *page["issues"]]
        return page

    def odd_search(model, q):  # type: ignore[no-untyped-def]
        page = real_search(model, q)
        page["issues"] = [odd, *page["issues"]]
        return page

    monkeypatch.setattr(jira_server_module, "search_jql", odd_jql)
    monkeypatch.setattr(jira_server_module, "search", odd_search)
    mail_with(mail, "1", START + timedelta(days=1), ["ann@contoso.com"])
    done = replay(conf, mail, token)
    assert "internal error" not in done.stderr, done.stderr
    assert done.returncode == 75, done.stderr
    assert "an answer that cannot be read" in done.stderr
    assert "Traceback" not in done.stderr
