"""Jira in bulk, several batches and several writes in flight: faults aimed at the second of
three bulk creates (Cloud, search lagging), and a pass in which writes in flight meet a
deleted ticket, a refusal, throttling and lost answers at once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import Retriable

from ..simulators.jira import JiraSimulator
from .test_jira_bulk import bulk_sizes, rows
from .test_jira_faults import ours, run
from .test_jira_sink import jira_config, jira_tickets, one_report, outcome_leftovers

START = datetime(2021, 5, 3, 9, tzinfo=UTC)

FAULTS: dict[str, tuple[Any, bool]] = {
    "503-after": (503, True),
    "502-before": (502, False),
    "drop-after": ("drop", True),
    "drop-before": ("drop", False),
    "chunked-after": ("chunked", True),
    "html-portal": ("html", False),
    "html-after": ("html", True),
    "429": (429, False),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_on_the_middle_batch_then_reruns_give_one_issue_per_problem(
    tmp_path: Path, jira_cloud: JiraSimulator, fault: str
) -> None:
    sim = jira_cloud
    outcome, reaches = FAULTS[fault]
    mail = tmp_path / "mail"
    one_report(mail, START, rows(120), "r0")
    config = jira_config(sim, tmp_path / "state", search_lag="1s")
    sim.faults.search_lag = 0.5
    sim.faults.retry_after = "1"
    # The first bulk create goes through; the second meets the fault.
    original = sim.faults.take
    seen = {"creates": 0}

    def take(kind: Any) -> Any:
        if kind == "create":
            seen["creates"] += 1
            if seen["creates"] == 2:
                sim.faults.break_next("create", outcome, reaches_jira=reaches)
        return original(kind)

    sim.faults.take = take  # type: ignore[method-assign]
    summaries = []
    for _ in range(4):
        try:
            summary = run(mail, config, sim)
        except Retriable as exc:
            summaries.append(str(exc))
            continue
        summaries.append(summary)
        if not summary.unconfirmed:
            break
    assert len(jira_tickets(sim)) == len(sim.issues) == 120, (summaries, bulk_sizes(sim))
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


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
