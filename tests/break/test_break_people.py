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


def test_a_ticket_a_person_closed_as_wont_do_then_reopened_is_not_doubled_by_a_new_ticket(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim = jira_cloud
    mail = tmp_path / "mail"
    one_report(mail, datetime.now(UTC) - timedelta(hours=2), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Won't Do")
    # A pass that reads a report learns the resolution (Bob only: nothing about Ann).
    one_report(mail, datetime.now(UTC) - timedelta(hours=1), [BOB], "r1")
    run(mail, config, sim)
    # The person changes their mind and reopens Ann's ticket in Jira.
    sim.move_by_hand(ann, "To Do")
    one_report(mail, datetime.now(UTC) + timedelta(hours=1), [ANN, BOB], "r2")
    run(mail, config, sim)
    open_anns = [k for k in by_identity(sim, "ann@") if sim.issues[k].status != "Done"]
    assert len(open_anns) == 1, f"two open tickets for Ann's one problem: {open_anns}"


@pytest.fixture
def jira_fast_clock() -> Iterator[JiraSimulator]:
    with JiraSimulator(
        "server", custom_fields=CUSTOM_FIELDS, seed=1, clock=lambda: time.time() + 7200
    ) as sim:
        yield sim


def test_a_sighting_after_a_persons_resolution_reopens_it_whatever_jiras_fast_clock(
    tmp_path: Path, jira_fast_clock: JiraSimulator
) -> None:
    sim = jira_fast_clock  # Jira's clock two hours ahead of ours
    mail = tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Done")  # now (Jira stamps now + 2 h)
    # A report made an hour after the person's resolution still lists Ann.
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r1")
    run(mail, config, sim)
    assert sim.issues[ann].status == "To Do", "a problem seen after its resolution stays closed"


def test_a_resolution_a_person_changes_to_wont_do_after_the_tool_learned_it_is_not_reopened(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim = jira_cloud
    mail = tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=3), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Done")
    one_report(mail, now - timedelta(hours=2), [BOB], "r1")
    run(mail, config, sim)  # learns "Done"
    sim.resolve_by_hand(ann, "Won't Do")  # a person corrects the resolution, still done
    assert sim.issues[ann].resolution == "Won't Do"
    one_report(mail, now - timedelta(hours=1), [BOB], "r2")
    run(mail, config, sim)  # the ticket was updated since the last check: learned again?
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r3")
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done" and sim.issues[ann].resolution == "Won't Do", (
        "the tool reopened a ticket a person closed as Won't Do"
    )
