"""Attacks on Data Center's "adopt a bare issue" settle path (jira_bulk.adopt).

A bulk create on a Data Center that drops issue properties leaves tickets without the
property until they are PUT afterwards; a PUT that fails is only logged. Later, a lost
create of the same problem's *next* ticket is settled by a label search: the only issue with
that label and no property is the problem's *old* ticket, already in the ledger.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dirsync_bridge.sinks.jira import PROPERTY

from ..integration.test_jira_faults import ANN, BOB, run
from ..integration.test_jira_sink import jira_config, one_report, outcome_leftovers
from ..simulators.jira import JiraSimulator

START = datetime(2021, 5, 3, 9, tzinfo=UTC)


def test_a_lost_create_of_a_problems_next_ticket_never_adopts_its_old_ticket(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    sim = jira_server
    sim.faults.bulk_drops_properties = True
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    # The property PUT after the bulk create fails for one issue (Ann's: sent first).
    sim.faults.break_next("property", 503, reaches_jira=False)
    first = run(mail, config, sim)
    assert first.created == 2
    assert sum(PROPERTY not in i.properties for i in sim.issues.values()) == 1
    (old,) = [k for k, i in sim.issues.items() if "ann@" in i.fields["summary"]]
    # Ann absent from three reports: her ticket is resolved by the tool.
    for n in range(1, 4):
        one_report(mail, START + timedelta(hours=3 * n), [BOB], f"r{n}")
    assert run(mail, config, sim).resolved == 1
    assert sim.issues[old].status == "Done"
    # Back after the reopen window (30 days): a new ticket, linking the old one. Its bulk
    # create never reaches Jira (the proxy drops it): settled by a label search.
    one_report(mail, START + timedelta(days=60), [ANN, BOB], "back")
    sim.faults.break_next("create", "drop", reaches_jira=False)
    for _ in range(3):
        summary = run(mail, config, sim)
        if not summary.unconfirmed:
            break
    anns = [k for k, i in sim.issues.items() if "ann@" in i.fields["summary"]]
    seen = {k: (sim.issues[k].status, sim.issues[k].properties.get(PROPERTY)) for k in anns}
    assert len(anns) == 2, f"Ann's new episode has no ticket of its own: {seen}"
    assert sim.issues[old].status == "Done"  # the old ticket stays resolved
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
