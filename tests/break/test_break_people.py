"""Attacks on people's resolutions learned from Jira (ticket_sync.observe, jira_people)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..integration.test_jira_faults import ANN, BOB, by_identity, run
from ..integration.test_jira_sink import jira_config, one_report, outcome_leftovers
from ..simulators.jira import JiraSimulator
from ..simulators.jira.fixtures import CUSTOM_FIELDS

SKEW = 600.0  # Jira's clock ten minutes behind ours (NTP broken on the Data Center host)


@pytest.fixture
def jira_slow_clock() -> Iterator[JiraSimulator]:
    with JiraSimulator(
        "server", custom_fields=CUSTOM_FIELDS, seed=1, clock=lambda: time.time() - SKEW
    ) as sim:
        yield sim


def test_a_person_resolving_after_the_last_report_is_not_undone_by_jiras_slow_clock(
    tmp_path: Path, jira_slow_clock: JiraSimulator
) -> None:
    sim = jira_slow_clock
    mail = tmp_path / "mail"
    now = datetime.now(UTC)
    # The report that lists Ann was made five minutes ago (report time, Microsoft's clock).
    one_report(mail, now - timedelta(minutes=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    assert run(mail, config, sim).created == 2
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Done")  # now, after that report: Jira stamps now - 10 min
    # The next report lists only Bob: nothing says Ann's problem is back.
    one_report(mail, now + timedelta(minutes=1), [BOB], "r1")
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done", "the tool reopened a ticket a person resolved"
    assert sim.issues[ann].comments == []
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
