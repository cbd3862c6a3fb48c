"""What people do in Jira between two runs, met while the tool has writes to settle.

A write whose outcome is unknown is settled by reading the ticket; what the reading shows a
person did (a resolution) is theirs, learned like any other person's resolution, never taken
for the tool's own write. A ticket a person moved to another project answers under its new
key, and is still the same ticket.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ..simulators.jira import JiraSimulator
from .test_jira_faults import ANN, run
from .test_jira_sink import jira_config, one_report, outcome_leftovers

START = datetime(2021, 5, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize("resolution", ["Won't Do", "Done"])
def test_a_person_resolves_a_ticket_whose_create_answer_was_lost_and_it_stays_resolved(
    tmp_path: Path, jira_cloud: JiraSimulator, resolution: str
) -> None:
    sim = jira_cloud
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN], "r0")
    config = jira_config(sim, tmp_path / "state")
    sim.faults.search_lag = 3600.0  # Cloud search does not show the new issue yet...
    sim.faults.break_next("create", 503)  # ...whose answer was lost after Jira made it
    first = run(mail, config, sim)
    assert first.unconfirmed  # exit 75: the next run looks again
    (ann,) = sim.issues
    sim.resolve_by_hand(ann, resolution)  # a person triages it before the next run
    sim.faults.search_lag = 0.0  # and search has caught up by then

    second = run(mail, config, sim)
    assert second.unconfirmed == second.attention == []
    assert list(sim.issues) == [ann]
    assert (sim.issues[ann].status, sim.issues[ann].resolution) == ("Done", resolution)
    assert sim.issues[ann].comments == []  # no reopen, no comment: nothing new was seen
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
    sim.reset_log()
    run(mail, config, sim)
    assert sim.log.writes() == []
