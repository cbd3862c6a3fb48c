"""Data Center, whose bulk create drops issue properties: what goes wrong while they are
checked and set afterwards must never make Jira's made issues look never made."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dirsync_bridge.errors import DirsyncBridgeError

from ..integration.test_jira_bulk import rows
from ..integration.test_jira_faults import run
from ..integration.test_jira_sink import jira_config, jira_tickets, one_report, outcome_leftovers
from ..simulators.jira import JiraSimulator

START = datetime(2021, 5, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "status"),
    [("property", 403), ("search", 403), ("search", 401), ("property", 400)],
    ids=["property-403", "check-search-403", "check-search-401", "property-400"],
)
def test_a_refusal_after_the_bulk_create_made_the_issues_never_leads_to_duplicates(
    tmp_path: Path, jira_server: JiraSimulator, kind: str, status: int
) -> None:
    sim = jira_server
    sim.faults.bulk_drops_properties = True
    mail = tmp_path / "mail"
    one_report(mail, START, rows(5), "r0")
    config = jira_config(sim, tmp_path / "state")
    # The bulk create makes the five; then the property check or a PUT is refused (a
    # permission scheme, a token revoked mid-run): the run may stop, the issues exist.
    sim.faults.break_next(kind, status, reaches_jira=False)
    with contextlib.suppress(DirsyncBridgeError):  # exit 2 or 75: fixed, cron runs again
        run(mail, config, sim)
    assert len(sim.issues) == 5
    for _ in range(3):
        summary = run(mail, config, sim)
        if not summary.unconfirmed:
            break
    assert len(sim.issues) == 5, f"{len(sim.issues)} issues for 5 problems"
    assert len(jira_tickets(sim)) == 5
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


def test_an_account_that_may_create_but_not_edit_does_not_duplicate_every_cron_pass(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    sim = jira_server
    sim.faults.bulk_drops_properties = True
    mail = tmp_path / "mail"
    one_report(mail, START, rows(5), "r0")
    config = jira_config(sim, tmp_path / "state")
    # Setting an issue property needs Edit Issues: this account lacks it (every PUT 403).
    sim.faults.break_next("property", 403, reaches_jira=False, times=1000)
    codes = []
    for _ in range(3):  # three cron passes, each ending with "exit 2: permission denied"
        try:
            run(mail, config, sim)
            codes.append("ok")
        except DirsyncBridgeError as exc:
            codes.append(type(exc).__name__)
    assert len(sim.issues) == 5, f"{len(sim.issues)} issues for 5 problems after {codes}"
