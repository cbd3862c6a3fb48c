"""Faults aimed at the second of three bulk creates, on Cloud with a lagging search."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import Retriable

from ..integration.test_jira_bulk import bulk_sizes, rows
from ..integration.test_jira_faults import run
from ..integration.test_jira_sink import jira_config, jira_tickets, one_report, outcome_leftovers
from ..simulators.jira import JiraSimulator

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
