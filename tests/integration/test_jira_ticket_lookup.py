"""The pass's look-up of open Jira tickets (`key in (...)`): deleted keys named in any
language, moved ones, faults (from the third review).
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest

from ..reportgen import duplicate
from ..simulators.jira import JiraSimulator, jql
from .jira_scenes import Scene, assert_settled, ticketed, two_projects
from .test_jira_faults import ANN, BOB, BOB_MORE


def person(n: int) -> tuple[str, str]:
    who = f"u{n}@contoso.com"
    return (who, duplicate("ProxyAddresses", f"SMTP:{who}"))


def test_deleted_open_ticket_problem_goes_away_then_comes_back(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path, -20)
    s.sim.delete_by_hand(ann)
    s.reports([-18, -16, -14])
    s.run()
    assert s.keys("ann@") == []
    assert_settled(s.then(-5, [ANN, BOB], "r9"))
    assert len(s.open("ann@")) == 1
    assert len(s.keys("ann@")) == 1, "a ticket made just to be closed"
    s.quiet()


def test_tool_resolved_ticket_deleted_then_problem_back(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path, -20)
    s.reports([-18, -16, -14])
    s.run()
    assert s.state(ann)[0] == "Done"
    s.sim.delete_by_hand(ann)
    s.then(-5, [ANN, BOB], "r9")
    assert_settled(s.run())
    assert len(s.open("ann@")) == 1
    s.quiet()


@pytest.mark.parametrize("deleted", ["one", "many", "all"])
def test_deleted_tickets_in_a_chunk_of_live_problems(
    tmp_path: Path, jira_cloud: JiraSimulator, deleted: str
) -> None:
    s = Scene(jira_cloud, tmp_path)
    people = [person(n) for n in range(130)]
    s.then(-10, people, "r0")
    keys = list(s.sim.issues)
    assert len(keys) == 130
    victims = {"one": keys[5:6], "many": keys[::3], "all": keys}[deleted]
    for key in victims:
        s.sim.delete_by_hand(key)
    s.then(-8, people, "r1")
    s.run()
    assert_settled(s.run())
    for n in range(130):
        assert len(s.open(f"u{n}@")) == 1, f"u{n}"
    s.quiet()


def test_a_400_that_names_the_deleted_key_in_another_language(
    tmp_path: Path, jira_cloud: JiraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Jira whose bot user has a French profile: JQL errors come localised."""
    s, ann = ticketed(jira_cloud, tmp_path, -10)
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
    s.sim.delete_by_hand(ann)
    s.report(-8, [ANN, BOB_MORE], "r1")
    summary = None
    for _ in range(3):
        try:
            summary = s.run()
        except Exception as exc:
            summary = exc
    assert not isinstance(summary, Exception), f"every run fails: {summary!r}"
    assert "b@c.com" in s.sim.issues[s.keys("bob@")[0]].fields["description"], (
        "bob's refresh never made"
    )
    assert len(s.open("ann@")) == 1


@pytest.mark.parametrize("outcome", [503, "drop", "html", "chunked", 400])
def test_audit_search_fault_then_rerun_tickets_everything_once(
    tmp_path: Path, jira_cloud: JiraSimulator, outcome: int | str
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path, -10)
    s.sim.delete_by_hand(ann)
    s.report(-8, [ANN, BOB_MORE], "r1")
    # Every search answered so, for longer than the pass's retry budget: a short budget
    # ([jira] retry_for), so that the pass gives up after a retry or two rather than after
    # the default two minutes of backing off. Same fault, same end: the pass fails.
    s.sim.faults.break_next("search", outcome, times=12)  # type: ignore[arg-type]
    with contextlib.suppress(Exception):
        s.run(s.configure(retry_for="2s"))
    s.sim.faults.aimed.clear()
    s.run(s.configure())
    s.run()
    assert len(s.open("ann@")) == 1
    assert len(s.keys("bob@")) == 1
    assert "b@c.com" in s.sim.issues[s.keys("bob@")[0]].fields["description"]
    s.quiet()


@pytest.mark.parametrize("resolution", ["Won't Do", "WON'T DO"])
def test_tool_resolved_moved_then_renamed_wont_do_and_back_in_the_same_pass(
    tmp_path: Path, resolution: str
) -> None:
    with two_projects() as sim:
        s = Scene(sim, tmp_path, never_reopen=[resolution])
        s.report(-10, [ANN, BOB], "r0")
        s.reports([-8, -6, -4])
        s.run()
        ann = s.key("ann@")
        assert s.state(ann)[0] == "Done"
        moved = sim.move_to_project_by_hand(ann, "NEW")
        sim.resolve_by_hand(moved, "Won't Do")
        s.then(timedelta(minutes=30), [ANN, BOB], "r-back")
        assert s.state(moved) == ("Done", "Won't Do")
        assert len(s.open("ann@")) == 1
        s.quiet()


def test_person_reopens_then_deletes_and_problem_goes_away(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s = Scene(jira_cloud, tmp_path)
    s.report(-20, [ANN, BOB], "r0")
    s.reports([-18, -16, -14])
    s.run()
    ann = s.key("ann@")
    s.sim.move_by_hand(ann, "To Do", resolution=False)  # a person reopens it
    s.run()
    s.sim.delete_by_hand(ann)
    for n in range(4, 8):
        s.reports([-20 + 2 * n], first=n)
        s.run()
    assert s.open("ann@") == []
    assert s.keys("ann@") == [], "a ticket made just to be closed"
    s.quiet()


@pytest.mark.parametrize("typed", ["Won't Do ", " won't do"])
def test_never_reopen_typed_with_stray_spaces(
    tmp_path: Path, jira_cloud: JiraSimulator, typed: str
) -> None:
    """Case is forgiven (9f1d22e); a stray space in the config is not, silently."""
    s, ann = ticketed(jira_cloud, tmp_path, never_reopen=[typed])
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.then(1, [ANN, BOB], "r1")
    assert s.state(ann)[0] == "Done", "a Won't Do ticket was reopened"
