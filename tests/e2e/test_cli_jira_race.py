"""SIGKILL right after a create that waited out two 429s, then an immediate rerun, while
Jira Cloud search lags behind the create by no more than the ``search_lag`` configured.

The rerun must not trust "not found" before the lag has passed since the create last could
reach Jira (here: when it was answered): counted from when its intent was begun (before the
429s), it searched too early, found nothing, and made a second issue. The test waits in
real time, as cron's rerun would: about twice the Retry-After plus the lag.
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

from ..simulators.jira import JiraSimulator
from .test_cli_jira_people import replay, report, write_config


def test_sigkill_after_a_create_that_waited_out_429s_then_an_immediate_rerun_gives_one_issue(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    sim.faults.search_lag = 5.0  # Cloud search shows an issue 5 s after it is made...
    config = write_config(tmp_path, sim.url, search_lag='"5s"', retry_for='"60s"')  # ...we know
    report(mail, datetime(2021, 5, 3, 9, tzinfo=UTC), "r0")
    sim.faults.retry_after = "2"
    sim.faults.fail_next(429, times=2)  # the create leaves for good 4 s after its intent

    first = replay(config, mail, crash="after-sink-write:1")
    assert first.returncode == -signal.SIGKILL, first.stderr
    assert len(sim.issues) == 1

    again = replay(config, mail)  # at once, as systemd's Restart= would
    assert again.returncode == 0, again.stderr
    assert len(sim.issues) == 1, f"a second issue for the same problem: {sorted(sim.issues)}"
    assert [r.method for r in sim.log.writes()].count("POST") == 3  # two 429s, one create
