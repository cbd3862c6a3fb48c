"""The Jira sink under faults and people's doings: exactly once, never stuck.

A write whose answer is lost (5xx after the write, a dropped connection, a body cut short, a
captive portal's page) is settled by reading the ticket, never repeated blindly; a deleted
ticket is replaced; a refusal that concerns one ticket names it and the run goes on. Every
fault is a simulator switch; every test ends with a rerun that writes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import Fatal
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.sinks.jira import split_marker

from ..reportgen import duplicate
from ..simulators.jira import JiraSimulator
from ..simulators.jira.fixtures import CUSTOM_FIELDS
from .jira_scenes import (
    ANN,
    ANN_MORE,
    BOB,
    BOB_MORE,
    LOST,
    LOST_IDS,
    START,
    by_identity,
    first_run,
    ours,
    rerun_quiet,
    run,
)
from .test_jira_sink import jira_config, jira_tickets, one_report, outcome_leftovers


def message_counts(config: Config) -> dict[str, int]:
    ledger = Ledger.open(config.state.path)
    try:
        return ledger.counts()
    finally:
        ledger.close()


# ---------------------------------------------------------------------------------------------
# Item 1: comments and transitions whose outcome is unknown are settled by reading the ticket


@pytest.mark.parametrize(("outcome", "reaches_jira"), LOST, ids=LOST_IDS)
@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_a_comment_whose_answer_is_lost_is_written_exactly_once(
    tmp_path: Path,
    jira_cloud: JiraSimulator,
    jira_server: JiraSimulator,
    mode: str,
    outcome: int | str,
    reaches_jira: bool,
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    mail, config = first_run(tmp_path, sim)
    one_report(mail, START + timedelta(hours=3), [ANN_MORE], "r1")

    sim.faults.break_next("comment", outcome, reaches_jira=reaches_jira)  # type: ignore[arg-type]
    summary = run(mail, config, sim)

    assert summary.unconfirmed == summary.attention == []  # settled within the run
    (issue,) = sim.issues.values()
    keys = ours(issue)
    assert len(keys) == 1 and keys[0] is not None and ":changed:" in keys[0]
    assert "values added" in issue.comments[0].body
    assert message_counts(config) == {"processed": 2}
    rerun_quiet(mail, config, sim)


def absent_three_times(mail: Path) -> None:
    """Ann's problem in one report, then absent from three: the tool resolves it."""
    one_report(mail, START, [ANN, BOB], "r0")
    for n in range(1, 4):
        one_report(mail, START + timedelta(hours=3 * n), [BOB], f"r{n}")


@pytest.mark.parametrize(("outcome", "reaches_jira"), LOST, ids=LOST_IDS)
def test_a_transition_whose_answer_is_lost_is_made_exactly_once(
    tmp_path: Path, jira_cloud: JiraSimulator, outcome: int | str, reaches_jira: bool
) -> None:
    mail = tmp_path / "mail"
    absent_three_times(mail)
    config = jira_config(jira_cloud, tmp_path / "state")

    jira_cloud.faults.break_next("transition", outcome, reaches_jira=reaches_jira)  # type: ignore[arg-type]
    summary = run(mail, config, jira_cloud)

    assert summary.unconfirmed == summary.attention == []
    (ann,) = by_identity(jira_cloud, "ann@")
    issue = jira_cloud.issues[ann]
    assert issue.status == "Done"
    assert [k.split(":")[1] for k in ours(issue) if k] == ["resolved"]
    posted = [r for r in jira_cloud.log.writes() if r.path.endswith(f"{ann}/transitions")]
    assert len(posted) == (1 if reaches_jira else 2)  # never repeated once Jira had it
    rerun_quiet(mail, config, jira_cloud)


# ---------------------------------------------------------------------------------------------
# Item 2: a ticket deleted by a person


def test_a_deleted_ticket_is_replaced_when_next_written_and_the_others_resolutions_are_learned(
    tmp_path: Path, jira_cloud: JiraSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    mail, config = first_run(tmp_path, jira_cloud, [ANN, BOB])
    (ann,), (bob,) = by_identity(jira_cloud, "ann@"), by_identity(jira_cloud, "bob@")
    jira_cloud.delete_by_hand(ann)
    jira_cloud.resolve_by_hand(bob, "Won't Do")

    # Ann's problem changes: its comment meets the 404 (resolutions come from one query
    # of tickets updated since the last check, which a deleted ticket is not among).
    one_report(mail, datetime.now(UTC) + timedelta(hours=1), [ANN_MORE, BOB], "r1")
    with caplog.at_level(logging.WARNING, logger="dirsync_bridge"):
        summary = run(mail, config, jira_cloud)

    assert summary.attention == summary.unconfirmed == []
    (new_ann,) = by_identity(jira_cloud, "ann@")
    assert new_ann != ann  # the problem has a ticket again
    bobs = by_identity(jira_cloud, "bob@")
    assert len(bobs) == 2  # Won't Do was learned: a new ticket, not a reopen
    assert jira_cloud.issues[bob].status == "Done"
    said = [r.getMessage() for r in caplog.records if ann in r.getMessage()]
    assert len(said) == 1 and "deleted" in said[0] and new_ann not in said[0]
    caplog.clear()
    rerun_quiet(mail, config, jira_cloud)
    assert not [r for r in caplog.records if ann in r.getMessage()]


def test_a_deleted_ticket_met_on_a_write_is_replaced_not_reported_forever(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    mail = tmp_path / "mail"
    absent_three_times(mail)
    config = jira_config(jira_server, tmp_path / "state")
    run(mail, config, jira_server)
    (ann,) = by_identity(jira_server, "ann@")
    assert jira_server.issues[ann].status == "Done"
    jira_server.delete_by_hand(ann)

    # Back within the reopen window: the tool would reopen the ticket it resolved.
    one_report(mail, START + timedelta(days=2), [ANN, BOB], "back")
    summary = run(mail, config, jira_server)

    assert summary.attention == summary.unconfirmed == []
    (new_ann,) = by_identity(jira_server, "ann@")
    issue = jira_server.issues[new_ann]
    assert issue.status == "To Do"
    assert [k.split(":")[1] for k in ours(issue) if k] == ["resolved", "reopened"]
    rerun_quiet(mail, config, jira_server)


# ---------------------------------------------------------------------------------------------
# Item 3: comments cut to fit; a refusal about one ticket never stops the run


def test_a_comment_at_the_limit_is_cut_so_that_its_marker_fits_too(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail, config = first_run(tmp_path, jira_cloud)
    huge = [c * 9_000 + "@contoso.com" for c in "pqrs"]
    grown = ("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com", *huge))
    one_report(mail, START + timedelta(hours=3), [grown, BOB], "r1")

    summary = run(mail, config, jira_cloud)

    assert summary.attention == []
    (ann,) = by_identity(jira_cloud, "ann@")
    (comment,) = jira_cloud.issues[ann].comments
    assert len(comment.body) <= 32_767
    key, text = split_marker(comment.body)
    assert key is not None and ":changed:" in key
    assert text.endswith("_(cut to fit Jira's limit of 32,767 characters)_")
    assert len(by_identity(jira_cloud, "bob@")) == 1  # the new problem got its ticket
    rerun_quiet(mail, config, jira_cloud)


def test_a_400_on_one_tickets_comment_names_it_and_the_others_go_on(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail, config = first_run(tmp_path, jira_cloud, [ANN, BOB])
    one_report(mail, START + timedelta(hours=3), [ANN_MORE, BOB_MORE], "r1")
    (ann,), (bob,) = by_identity(jira_cloud, "ann@"), by_identity(jira_cloud, "bob@")

    jira_cloud.faults.break_next("comment", 400, reaches_jira=False)
    summary = run(mail, config, jira_cloud)

    (line,) = summary.attention
    refused = ann if not jira_cloud.issues[ann].comments else bob
    assert line.startswith(f"{refused}: ") and "HTTP 400" in line
    written = bob if refused == ann else ann
    assert len(jira_cloud.issues[written].comments) == 1
    # The next run writes the refused comment (the refusal was a one-off) and is clean.
    again = run(mail, config, jira_cloud)
    assert again.attention == []
    assert len(jira_cloud.issues[refused].comments) == 1
    rerun_quiet(mail, config, jira_cloud)


# ---------------------------------------------------------------------------------------------
# Item 4: done without a resolution is resolved


def test_a_ticket_closed_without_a_resolution_counts_as_resolved(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail, config = first_run(tmp_path, jira_cloud)
    (ann,) = jira_cloud.issues
    jira_cloud.move_by_hand(ann, "Done", resolution=False)

    one_report(mail, datetime.now(UTC) + timedelta(hours=1), [ANN], "r1")
    summary = run(mail, config, jira_cloud)

    assert summary.reopened == 1 and list(jira_cloud.issues) == [ann]
    assert jira_cloud.issues[ann].status == "To Do"
    rerun_quiet(mail, config, jira_cloud)


# ---------------------------------------------------------------------------------------------
# Items 6 and 7: a create lost while search lags more than search_lag; messages wait


@pytest.mark.parametrize("reaches_jira", [True, False], ids=["created", "never-created"])
def test_a_lost_create_is_searched_for_again_by_a_later_run_before_any_second_create(
    tmp_path: Path, reaches_jira: bool
) -> None:
    clock = [1_800_000_000.0]
    with JiraSimulator("cloud", clock=lambda: clock[0], custom_fields=CUSTOM_FIELDS) as sim:
        sim.faults.search_lag = 120.0  # far more than the configured search_lag
        mail = tmp_path / "mail"
        one_report(mail, START, [ANN], "r0")
        config = jira_config(sim, tmp_path / "state", search_lag="1s")
        sim.faults.break_next("create", 503, reaches_jira=reaches_jira)

        first = run(mail, config, sim)

        assert len(sim.issues) == (1 if reaches_jira else 0)  # no second create
        assert first.unconfirmed and first.created == 0
        assert message_counts(config) == {"pending": 1}  # not processed while unsettled
        clock[0] += 600  # the next cron pass, when search has caught up

        second = run(mail, config, sim)

        assert second.unconfirmed == []
        assert len(jira_tickets(sim)) == 1  # raises on two issues for one key
        assert message_counts(config) == {"processed": 1}
        rerun_quiet(mail, config, sim)


def test_messages_stay_pending_while_a_create_is_unconfirmed(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN], "r0")
    one_report(mail, START + timedelta(hours=3), [BOB], "r1")
    config = jira_config(jira_cloud, tmp_path / "state")
    jira_cloud.faults.break_next("create", 503, reaches_jira=False, times=8)

    first = run(mail, config, jira_cloud)

    assert first.unconfirmed
    counts = message_counts(config)
    assert counts.get("processed", 0) + counts.get("pending", 0) == 2
    assert counts.get("pending", 0) >= 1  # whichever report's ticket is unconfirmed waits
    jira_cloud.faults.aimed.clear()
    second = run(mail, config, jira_cloud)
    assert second.unconfirmed == []
    assert message_counts(config) == {"processed": 2}
    assert len(jira_tickets(jira_cloud)) == 2


# ---------------------------------------------------------------------------------------------
# Broken bodies and portal pages on creates and searches


@pytest.mark.parametrize(("outcome", "reaches_jira"), [("chunked", True), ("html", False)])
@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_a_create_answered_with_a_broken_body_or_a_portal_page_gives_one_issue(
    tmp_path: Path,
    jira_cloud: JiraSimulator,
    jira_server: JiraSimulator,
    mode: str,
    outcome: str,
    reaches_jira: bool,
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN], "r0")
    config = jira_config(sim, tmp_path / "state")
    sim.faults.break_next("create", outcome, reaches_jira=reaches_jira)  # type: ignore[arg-type]

    runs = [run(mail, config, sim)]
    if runs[0].unconfirmed:  # Cloud: "not found" is trusted only in a later run
        runs.append(run(mail, config, sim))

    assert runs[-1].unconfirmed == []
    assert len(jira_tickets(sim)) == 1
    assert message_counts(config) == {"processed": 1}
    rerun_quiet(mail, config, sim)


@pytest.mark.parametrize("outcome", ["chunked", "html", "drop", 502])
def test_a_search_answered_badly_once_is_retried(
    tmp_path: Path, jira_cloud: JiraSimulator, outcome: int | str
) -> None:
    mail, config = first_run(tmp_path, jira_cloud)
    one_report(mail, START + timedelta(hours=3), [ANN_MORE], "r1")

    jira_cloud.faults.break_next("search", outcome)  # type: ignore[arg-type]
    summary = run(mail, config, jira_cloud)

    assert summary.commented == 1 and summary.unconfirmed == summary.attention == []
    assert [r.status for r in jira_cloud.log.searches()][-1] == 200


def test_a_400_on_one_create_names_its_problem_and_the_others_are_created(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN, BOB], "r0")
    config = jira_config(jira_cloud, tmp_path / "state")
    jira_cloud.faults.refuse_create("ann@")  # Jira refuses that item of the bulk create

    summary = run(mail, config, jira_cloud)

    (line,) = summary.attention
    assert line.startswith("dirsync-") and "HTTP 400" in line and "create" in line
    assert "summary: This summary is refused" in line  # the item's own error, by its number
    assert len(jira_cloud.issues) == 1 and summary.created == 1
    assert by_identity(jira_cloud, "bob@")
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 1}
    jira_cloud.faults.refused.clear()
    again = run(mail, config, jira_cloud)
    assert again.attention == [] and again.created == 1
    assert len(jira_tickets(jira_cloud)) == 2
    rerun_quiet(mail, config, jira_cloud)


def test_a_400_naming_a_configured_field_on_create_stops_the_run(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN, BOB], "r0")
    config = jira_config(jira_cloud, tmp_path / "state", fields={"customfield_99999": "x"})

    with pytest.raises(Fatal, match="customfield_99999"):
        run(mail, config, jira_cloud)

    assert jira_cloud.issues == {}
    assert outcome_leftovers(config)["intents"] == 0


@pytest.mark.parametrize(("outcome", "reaches_jira"), [(503, True), ("drop", True)])
def test_an_edit_whose_answer_is_lost_is_not_sent_again(
    tmp_path: Path, jira_cloud: JiraSimulator, outcome: int | str, reaches_jira: bool
) -> None:
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN], "r0")
    run(mail, jira_config(jira_cloud, tmp_path / "state"), jira_cloud)
    # A new description template: the next run rewrites the ticket it touches.
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "description.txt.j2").write_text("Object: {{ t.identity }} (new wording)\n")
    config = jira_config(jira_cloud, tmp_path / "state")
    config = config.model_copy(
        update={"tickets": config.tickets.model_copy(update={"templates": templates})}
    )
    one_report(mail, START + timedelta(hours=3), [ANN], "r1")
    jira_cloud.faults.break_next("edit", outcome, reaches_jira=reaches_jira)  # type: ignore[arg-type]

    summary = run(mail, config, jira_cloud)

    assert summary.unconfirmed == summary.attention == []
    (issue,) = jira_cloud.issues.values()
    assert "(new wording)" in issue.fields["description"]
    edits = [r for r in jira_cloud.log.writes() if r.method == "PUT"]
    assert len(edits) == 1
    rerun_quiet(mail, config, jira_cloud)


@pytest.mark.parametrize(("status", "location"), [(302, None), (304, None), (302, "")])
def test_a_transition_answered_3xx_without_a_location_is_not_taken_for_done(
    tmp_path: Path,
    jira_cloud: JiraSimulator,
    status: int,
    location: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A proxy answers the transition with a 3xx and no Location (not a redirect: requests
    does not call it one): Jira never saw it. Taken for Jira's answer, the ticket was
    recorded resolved and stayed open in Jira for good, a rerun writing nothing (review
    rev36). It is no answer, as on the Graph side: the ticket ends Done, resolved once."""
    mail = tmp_path / "mail"
    absent_three_times(mail)
    config = jira_config(jira_cloud, tmp_path / "state")

    if location is not None:  # ``Location:`` present but empty: it leads nowhere either
        plain = jira_cloud.faults.answer

        def answer(code: int) -> tuple[int, dict[str, Any], dict[str, str]]:
            got, body, headers = plain(code)
            return got, body, {**headers, "Location": location}

        monkeypatch.setattr(jira_cloud.faults, "answer", answer)
    jira_cloud.faults.break_next("transition", status, reaches_jira=False)
    run(mail, config, jira_cloud)
    run(mail, config, jira_cloud)  # a rerun settles what the first left unconfirmed

    (ann,) = by_identity(jira_cloud, "ann@")
    issue = jira_cloud.issues[ann]
    assert issue.status == "Done", [r.status for r in jira_cloud.log.records]
    assert [k.split(":")[1] for k in ours(issue) if k] == ["resolved"]
    rerun_quiet(mail, config, jira_cloud)
