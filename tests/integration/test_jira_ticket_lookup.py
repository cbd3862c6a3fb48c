"""The pass's look-up of open Jira tickets (`key in (...)`): deleted keys named in any
language, moved ones, faults (from the third review).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..reportgen import duplicate
from ..simulators.jira import JiraSimulator, jql
from .test_jira_faults import ANN, BOB, BOB_MORE, by_identity, run
from .test_jira_people_review import open_keys, rerun_quiet
from .test_jira_sink import jira_config, one_report


def person(n: int) -> tuple[str, str]:
    who = f"u{n}@contoso.com"
    return (who, duplicate("ProxyAddresses", f"SMTP:{who}"))


def test_deleted_open_ticket_problem_goes_away_then_comes_back(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    config = jira_config(sim, tmp_path / "state")
    one_report(mail, now - timedelta(hours=20), [ANN, BOB], "r0")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.delete_by_hand(ann)
    for n in range(1, 4):
        one_report(mail, now - timedelta(hours=20 - 2 * n), [BOB], f"r{n}")
    run(mail, config, sim)
    assert by_identity(sim, "ann@") == []
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r9")
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    assert len(open_keys(sim, "ann@")) == 1
    assert len(by_identity(sim, "ann@")) == 1, "a ticket made just to be closed"
    rerun_quiet(mail, config, sim)


def test_tool_resolved_ticket_deleted_then_problem_back(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    config = jira_config(sim, tmp_path / "state")
    one_report(mail, now - timedelta(hours=20), [ANN, BOB], "r0")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    for n in range(1, 4):
        one_report(mail, now - timedelta(hours=20 - 2 * n), [BOB], f"r{n}")
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done"
    sim.delete_by_hand(ann)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r9")
    run(mail, config, sim)
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    assert len(open_keys(sim, "ann@")) == 1
    rerun_quiet(mail, config, sim)


@pytest.mark.parametrize("deleted", ["one", "many", "all"])
def test_deleted_tickets_in_a_chunk_of_live_problems(
    tmp_path: Path, jira_cloud: JiraSimulator, deleted: str
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    config = jira_config(sim, tmp_path / "state")
    people = [person(n) for n in range(130)]
    one_report(mail, now - timedelta(hours=10), people, "r0")
    run(mail, config, sim)
    keys = list(sim.issues)
    assert len(keys) == 130
    victims = {"one": keys[5:6], "many": keys[::3], "all": keys}[deleted]
    for key in victims:
        sim.delete_by_hand(key)
    one_report(mail, now - timedelta(hours=8), people, "r1")
    run(mail, config, sim)
    run(mail, config, sim)
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    for n in range(130):
        assert len(open_keys(sim, f"u{n}@")) == 1, f"u{n}"
    rerun_quiet(mail, config, sim)


def test_a_400_that_names_the_deleted_key_in_another_language(
    tmp_path: Path, jira_cloud: JiraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Jira whose bot user has a French profile: JQL errors come localised."""
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    config = jira_config(sim, tmp_path / "state")
    one_report(mail, now - timedelta(hours=10), [ANN, BOB], "r0")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    original = jql._Parser._check

    def french(self, raw, name, value):  # type: ignore[no-untyped-def]
        try:
            return original(self, raw, name, value)
        except jql.JqlError as exc:
            if "An issue with key" in str(exc):
                raise jql.JqlError(
                    f"Un ticket avec la clé « {value} » n'existe pas pour le champ « {raw} »."
                ) from None
            raise

    monkeypatch.setattr(jql._Parser, "_check", french)
    sim.delete_by_hand(ann)
    one_report(mail, now - timedelta(hours=8), [ANN, BOB_MORE], "r1")
    summary = None
    for _ in range(3):
        try:
            summary = run(mail, config, sim)
        except Exception as exc:
            summary = exc
    assert not isinstance(summary, Exception), f"every run fails: {summary!r}"
    assert "b@c.com" in sim.issues[by_identity(sim, "bob@")[0]].fields["description"], (
        "bob's refresh never made"
    )
    assert len(open_keys(sim, "ann@")) == 1


@pytest.mark.parametrize("outcome", [503, "drop", "html", "chunked", 400])
def test_audit_search_fault_then_rerun_tickets_everything_once(
    tmp_path: Path, jira_cloud: JiraSimulator, outcome: int | str
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    config = jira_config(sim, tmp_path / "state")
    one_report(mail, now - timedelta(hours=10), [ANN, BOB], "r0")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.delete_by_hand(ann)
    one_report(mail, now - timedelta(hours=8), [ANN, BOB_MORE], "r1")
    sim.faults.break_next("search", outcome, times=12)  # type: ignore[arg-type]
    with contextlib.suppress(Exception):
        run(mail, config, sim)
    sim.faults.aimed.clear()
    run(mail, config, sim)
    run(mail, config, sim)
    assert len(open_keys(sim, "ann@")) == 1
    assert len(by_identity(sim, "bob@")) == 1
    assert "b@c.com" in sim.issues[by_identity(sim, "bob@")[0]].fields["description"]
    rerun_quiet(mail, config, sim)


@pytest.mark.parametrize("resolution", ["Won't Do", "WON'T DO"])
def test_tool_resolved_moved_then_renamed_wont_do_and_back_in_the_same_pass(
    tmp_path: Path, resolution: str
) -> None:
    from ..simulators.jira.fixtures import CUSTOM_FIELDS

    with JiraSimulator("cloud", project=["OPS", "NEW"], custom_fields=CUSTOM_FIELDS) as sim:
        mail = tmp_path / "mail"
        now = datetime.now(UTC)
        one_report(mail, now - timedelta(hours=10), [ANN, BOB], "r0")
        for n in range(1, 4):
            one_report(mail, now - timedelta(hours=10 - 2 * n), [BOB], f"r{n}")
        config = jira_config(sim, tmp_path / "state", never_reopen=[resolution])
        run(mail, config, sim)
        (ann,) = by_identity(sim, "ann@")
        assert sim.issues[ann].status == "Done"
        moved = sim.move_to_project_by_hand(ann, "NEW")
        sim.resolve_by_hand(moved, "Won't Do")
        one_report(mail, now + timedelta(minutes=30), [ANN, BOB], "r-back")
        run(mail, config, sim)
        assert sim.issues[moved].resolution == "Won't Do" and sim.issues[moved].status == "Done"
        assert len(open_keys(sim, "ann@")) == 1
        rerun_quiet(mail, config, sim)


def test_person_reopens_then_deletes_and_problem_goes_away(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=20), [ANN, BOB], "r0")
    for n in range(1, 4):
        one_report(mail, now - timedelta(hours=20 - 2 * n), [BOB], f"r{n}")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.move_by_hand(ann, "To Do", resolution=False)  # a person reopens it
    run(mail, config, sim)
    sim.delete_by_hand(ann)
    for n in range(4, 8):
        one_report(mail, now - timedelta(hours=20 - 2 * n), [BOB], f"r{n}")
        run(mail, config, sim)
    assert open_keys(sim, "ann@") == []
    assert by_identity(sim, "ann@") == [], "a ticket made just to be closed"
    rerun_quiet(mail, config, sim)


@pytest.mark.parametrize("typed", ["Won't Do ", " won't do"])
def test_never_reopen_typed_with_stray_spaces(
    tmp_path: Path, jira_cloud: JiraSimulator, typed: str
) -> None:
    """Case is forgiven (9f1d22e); a stray space in the config is not, silently."""
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state", never_reopen=[typed])
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r1")
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done", "a Won't Do ticket was reopened"
