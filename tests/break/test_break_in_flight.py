"""Four writes in flight against a Jira that misbehaves in several ways in one pass."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..integration.test_jira_bulk import rows
from ..integration.test_jira_faults import ours, run
from ..integration.test_jira_sink import jira_config, jira_tickets, one_report, outcome_leftovers
from ..simulators.jira import JiraSimulator

START = datetime(2021, 5, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_deleted_refused_throttled_and_lost_writes_in_one_pass_end_with_one_comment_each(
    tmp_path: Path, jira_cloud: JiraSimulator, jira_server: JiraSimulator, mode: str
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    mail = tmp_path / "mail"
    one_report(mail, START, rows(12), "r0")
    config = jira_config(sim, tmp_path / "state")
    assert run(mail, config, sim).created == 12
    one_report(mail, START + timedelta(hours=3), rows(12, "smtp:x@contoso.com"), "r1")
    keys = sorted(sim.issues, key=lambda k: int(k.split("-")[1]))
    for key in keys[:3]:
        sim.delete_by_hand(key)  # three tickets gone before their comments
    sim.faults.fail_next(429, times=6)  # throttled, every worker
    sim.faults.break_next("comment", 400, reaches_jira=False)  # one refused
    sim.faults.break_next("comment", 503, reaches_jira=True)  # one made, answer lost
    sim.faults.break_next("comment", "drop", reaches_jira=True)  # one made, connection lost

    for _ in range(4):
        summary = run(mail, config, sim)
        if not summary.unconfirmed and not summary.attention:
            break
    assert summary.unconfirmed == summary.attention == []
    tickets = jira_tickets(sim)  # one issue per idempotency key
    assert len(tickets) == 12 and len(sim.issues) == 12
    for key, issue in sim.issues.items():
        counts = Counter(k for k in ours(issue) if k)
        assert counts and all(n == 1 for n in counts.values()), (key, counts)
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
    sim.reset_log()
    run(mail, config, sim)
    assert sim.log.writes() == []
