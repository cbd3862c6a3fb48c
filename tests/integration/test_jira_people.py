"""What people do in Jira between two runs, met while the tool has writes to settle.

A write whose outcome is unknown is settled by reading the ticket; what the reading shows a
person did (a resolution) is theirs, learned like any other person's resolution, never taken
for the tool's own write. A ticket a person moved to another project answers under its new
key, and is still the same ticket.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..simulators.jira import JiraSimulator
from ..simulators.jira.fixtures import CUSTOM_FIELDS
from .test_jira_faults import ANN, ANN_MORE, BOB, by_identity, run
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


def test_a_ticket_moved_to_another_project_and_resolved_there_is_reopened_by_a_new_sighting(
    tmp_path: Path, jira_two_projects: JiraSimulator
) -> None:
    sim = jira_two_projects
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    moved = sim.move_to_project_by_hand(ann, "NEW")
    sim.resolve_by_hand(moved, "Done")  # `key in (OPS-1)` now answers NEW-1

    carol = ("carol@contoso.com", ANN[1].replace("ann@", "carol@"))
    one_report(mail, datetime.now(UTC) + timedelta(hours=1), [ANN, BOB, carol], "r1")
    for _ in range(2):  # this run, and every run after it
        summary = run(mail, config, sim)
        assert summary.attention == summary.unconfirmed == []
    assert by_identity(sim, "ann@") == [moved]  # the same ticket, reopened
    assert sim.issues[moved].status == "To Do"
    assert by_identity(sim, "carol@")  # the other problems go on
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


def test_a_ticket_moved_to_another_project_and_left_open_still_gets_its_comments(
    tmp_path: Path, jira_two_projects: JiraSimulator
) -> None:
    sim = jira_two_projects
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    moved = sim.move_to_project_by_hand(ann, "NEW")
    one_report(mail, START + timedelta(hours=3), [ANN_MORE, BOB], "r1")
    for _ in range(2):
        summary = run(mail, config, sim)
        assert summary.attention == summary.unconfirmed == []
    assert by_identity(sim, "ann@") == [moved]
    assert len(sim.issues[moved].comments) == 1
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


def test_among_many_tickets_the_moved_and_resolved_ones_are_each_learned_under_their_own_key(
    tmp_path: Path, jira_two_projects: JiraSimulator
) -> None:
    sim = jira_two_projects
    mail = tmp_path / "mail"
    people = [f"u{n}" for n in range(9)]
    rows = [(f"{p}@contoso.com", ANN[1].replace("ann@", f"{p}@")) for p in people]
    one_report(mail, START, rows, "r0")
    config = jira_config(sim, tmp_path / "state", never_reopen=["Won't Do"])
    run(mail, config, sim)
    keys = {p: by_identity(sim, f"{p}@")[0] for p in people}
    moved = {p: sim.move_to_project_by_hand(keys[p], "NEW") for p in ("u1", "u4", "u7")}
    sim.resolve_by_hand(moved["u1"], "Won't Do")  # moved, then closed for good
    sim.resolve_by_hand(moved["u4"], "Done")  # moved, then done
    sim.resolve_by_hand(keys["u5"], "Won't Do")  # closed for good, not moved
    one_report(mail, datetime.now(UTC) + timedelta(hours=1), rows, "r1")
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    assert len(by_identity(sim, "u1@")) == 2  # Won't Do: a new ticket, the moved one left
    assert sim.issues[moved["u1"]].status == "Done"
    assert by_identity(sim, "u4@") == [moved["u4"]]  # Done: reopened where it now is
    assert sim.issues[moved["u4"]].status == "To Do"
    assert len(by_identity(sim, "u5@")) == 2
    assert by_identity(sim, "u7@") == [moved["u7"]]  # moved, still open: left alone
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


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
