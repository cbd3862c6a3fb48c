"""A create left unsettled by a crash, stamped by a clock that was then set back.

The wait before a Cloud label search is counted from the latest moment the create may have
reached Jira (its intent's ``reach_by``: when the attempt left, plus the timeout). A host
whose clock ran ahead when the create was sent (a VM resumed with a stale clock, then put
right by NTP) leaves that moment in the future by however far the clock was off. The rerun
must not sleep that long holding the run lock (every cron pass meanwhile exits 75 on the
lock): the create happened before now, so ``search_lag`` plus the timeout from now is
always enough (found by hostile review rev31).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from dirsync_bridge.crashpoints import ENV_VAR

from ..e2e.test_cli_jira import config_file
from ..simulators.jira import JiraSimulator
from .test_jira_search_paging import START, mail_with

CLI = [sys.executable, "-m", "dirsync_bridge"]


def test_an_unsettled_create_stamped_an_hour_ahead_is_settled_without_waiting_the_hour(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    conf = config_file(tmp_path, sim.url, search_lag='"2s"')
    mail_with(mail, "0", START, ["ann@contoso.com", "bob@contoso.com"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
    env["DIRSYNC_JIRA_TOKEN"] = sim.api_token
    command = [*CLI, "--config", str(conf), "replay", "--sink", "jira", str(mail)]
    killed = subprocess.run(
        command, env={**env, ENV_VAR: "after-bulk-create:1"}, capture_output=True, timeout=60
    )
    assert killed.returncode == -9, killed.stderr
    assert len(sim.issues) == 2  # made, not recorded
    with sqlite3.connect(tmp_path / "state" / "state.db") as db:
        (left,) = db.execute("SELECT count(*) FROM intents WHERE reach_by IS NOT NULL")
        assert left == (2,)
        db.execute("UPDATE intents SET reach_by = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 hour')")

    started = time.monotonic()
    try:
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=45)
    except subprocess.TimeoutExpired:
        raise AssertionError("the rerun still waits for a moment an hour ahead") from None
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - started < 40
    assert len(sim.issues) == 2  # settled by the search: no second create
