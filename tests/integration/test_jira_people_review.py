"""People's actions in Jira met by reports in any order, faults and kills.

From the issue 14 review: each test failed then, or guards what held.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dirsync_bridge.errors import Retriable

from ..simulators.jira import JiraSimulator
from .jira_scenes import (
    Scene,
    assert_settled,
    markers,
    open_keys,
    rerun_quiet,
    ticketed,
    two_projects,
)
from .test_jira_faults import ANN, ANN_MORE, BOB, BOB_MORE

# Kept importable from here: other modules' tests tell their stories with them too.
__all__ = ["markers", "open_keys", "rerun_quiet"]

WONT = ("Done", "Won't Do")


def tool_resolved(sim: JiraSimulator, tmp_path: Path, at: float = -10) -> tuple[Scene, str]:
    """Ann and Bob reported ``at`` hours from now, then three reports without Ann two hours
    apart, all in one pass: the tool resolves Ann's ticket by absence."""
    s = Scene(sim, tmp_path)
    s.report(at, [ANN, BOB], "r0")
    s.reports([at + 2 * n for n in range(1, 4)])
    s.run()
    return s, s.key("ann@")


def test_deleted_open_ticket_of_a_problem_that_then_goes_away_gets_no_new_ticket(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path, -10)
    s.sim.delete_by_hand(ann)  # a person deletes it: "not a problem we track here"
    s.reports([-8, -6, -4])
    s.run()
    # Ann's problem is gone (absent from 3 reports): no open ticket for it, and ideally no
    # new ticket made just to be resolved.
    assert s.open("ann@") == []
    assert s.keys("ann@") == [], "a ticket was created for a problem already gone"
    s.quiet()


def test_resolution_then_a_report_older_than_it_arriving_late_does_not_reopen(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path)
    s.sim.resolve_by_hand(ann, "Done")  # now
    # A report made before the resolution, delivered late, lists Ann (and Bob changed).
    s.then(-1, [ANN, BOB_MORE], "r-late")
    assert s.state(ann)[0] == "Done", "a report older than the resolution reopened it"
    assert s.markers(ann) == []
    # Then a report after the resolution: reopened once.
    s.then(1, [ANN, BOB_MORE], "r-after")
    assert s.open("ann@") == [ann]
    assert s.kinds(ann) == ["reopened"]
    s.quiet()


def test_done_then_wont_do_before_any_check_is_never_reopened(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path)
    s.sim.resolve_by_hand(ann, "Done")
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.then(1, [ANN, BOB], "r1")
    s.assert_kept_wont_do(ann)
    s.quiet()


def test_tool_resolved_then_person_renames_to_wont_do_is_never_reopened(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = tool_resolved(jira_cloud, tmp_path)
    assert s.state(ann)[0] == "Done"
    s.quiet()
    s.sim.resolve_by_hand(ann, "Won't Do")  # a person: "this one is not ours to fix"
    s.then(timedelta(minutes=30), [ANN, BOB], "r-back")
    s.assert_kept_wont_do(ann)
    s.quiet()


def test_person_reopens_a_tool_resolved_ticket_then_problem_returns(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = tool_resolved(jira_cloud, tmp_path)
    s.sim.move_by_hand(ann, "To Do")  # a person reopens it
    assert_settled(s.then(timedelta(minutes=30), [ANN_MORE, BOB], "r-back"))
    assert s.open("ann@") == [ann]
    kinds = s.kinds(ann)
    assert kinds.count("reopened") == 0, kinds  # already open: no reopen comment/transition
    s.quiet()


def test_wont_do_learned_then_search_fails_then_problem_returns(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path)
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.report(1, [ANN, BOB_MORE], "r1")
    s.sim.faults.fail_next(503, times=30)  # the people query (and retries) answered 503
    with pytest.raises(Retriable):  # exit 75 from the CLI
        s.run()
    s.sim.faults.queue.clear()
    s.run()
    s.assert_kept_wont_do(ann)
    bob = s.key("bob@")
    assert len(s.markers(bob)) == 1, s.markers(bob)
    s.quiet()


def test_moved_then_deleted_ticket_problem_still_gets_one_ticket(tmp_path: Path) -> None:
    with two_projects() as sim:
        s, ann = ticketed(sim, tmp_path)
        moved = sim.move_to_project_by_hand(ann, "NEW")
        sim.resolve_by_hand(moved, "Done")
        s.then(-4, [BOB], "r1")  # learns the moved ticket's resolution
        sim.delete_by_hand(moved)
        assert_settled(s.then(1, [ANN, BOB], "r2"))
        assert len(s.open("ann@")) == 1
        s.quiet()


def done_learned_then_renamed_wont_do(sim: JiraSimulator, tmp_path: Path) -> tuple[Scene, str]:
    """A person resolves Done, the tool learns it, the person corrects it to Won't Do, and
    the very next report lists the problem again."""
    s, ann = ticketed(sim, tmp_path, -3)
    s.sim.resolve_by_hand(ann, "Done")
    s.then(-2, [BOB], "r1")  # learns "Done"
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.then(1, [ANN, BOB], "r2")
    return s, ann


def test_person_done_learned_then_renamed_wont_do_and_problem_back_in_next_report(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """The realistic order (see ``done_learned_then_renamed_wont_do``)."""
    s, ann = done_learned_then_renamed_wont_do(jira_cloud, tmp_path)
    assert s.state(ann) == WONT, "the tool reopened a ticket a person closed as Won't Do"
    assert len(s.open("ann@")) == 1
    s.quiet()


def test_server_done_learned_then_renamed_wont_do_and_problem_back_in_next_report(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    s, ann = done_learned_then_renamed_wont_do(jira_server, tmp_path)
    assert s.state(ann)[0] == "Done", "the tool reopened a ticket a person closed as Won't Do"


def test_wont_do_successor_made_then_person_reopens_the_old_one(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path)
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.then(timedelta(minutes=10), [ANN, BOB], "r1")
    assert len(s.keys("ann@")) == 2  # a successor, linked
    s.sim.move_by_hand(ann, "To Do")  # a person changes their mind on the old one
    assert_settled(s.then(timedelta(minutes=20), [ANN_MORE, BOB], "r2"))
    assert len(s.open("ann@")) == 1, f"two open tickets for one problem: {s.open('ann@')}"
    s.quiet()


@pytest.mark.parametrize("resolution", ["Done", "Won't Do"])
def test_reports_out_of_order_around_a_persons_resolution(
    tmp_path: Path, jira_cloud: JiraSimulator, resolution: str
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path)
    s.sim.resolve_by_hand(ann, resolution)
    s.then(2, [ANN, BOB], "r-after")
    # an archive replayed late: reports made before the resolution, listing and not listing Ann
    s.report(-1, [ANN_MORE, BOB], "r-before")
    s.report(-2, [BOB], "r-before2")
    s.then(-0.5, [BOB], "r-before3")
    anns = s.keys("ann@")
    assert len(s.open("ann@")) == 1, anns
    if resolution == "Won't Do":
        assert s.state(ann) == WONT
        assert len(anns) == 2
    else:
        assert anns == [ann]
        ks = s.kinds(ann)
        assert ks.count("reopened") == 1, ks
    for k in anns:
        s.assert_markers_once(k)
    s.quiet()


def many_wont_do_learned_across_search_pages(sim: JiraSimulator, tmp_path: Path) -> None:
    """130 tickets all closed Won't Do by people, then all listed again: more than a page."""
    s = Scene(sim, tmp_path)
    rows = [(f"u{n}@contoso.com", ANN[1].replace("ann@", f"u{n}@")) for n in range(130)]
    s.then(-5, rows, "r0")
    first = dict(s.sim.issues)
    for key in first:
        s.sim.resolve_by_hand(key, "Won't Do")
    assert_settled(s.then(1, rows, "r1"))
    assert all(s.state(k)[0] == "Done" for k in first)
    assert len(s.sim.issues) == 260
    s.quiet()


def test_many_wont_do_tickets_learned_across_search_pages(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    many_wont_do_learned_across_search_pages(jira_cloud, tmp_path)


def test_server_many_wont_do_tickets_learned_across_search_pages(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    many_wont_do_learned_across_search_pages(jira_server, tmp_path)


def test_wont_do_then_deleted_earlier_ticket_link_is_dropped_and_one_ticket_made(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path)
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.then(-4, [BOB], "r1")  # learned
    s.sim.delete_by_hand(ann)
    assert_settled(s.then(1, [ANN, BOB], "r2"))
    assert len(s.open("ann@")) == 1
    s.quiet()


def test_bad_link_type_stops_with_config_error_then_fixed_config_links_once(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    from dirsync_bridge.errors import ConfigError

    s, ann = ticketed(jira_cloud, tmp_path, link_type="Nope")
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.report(1, [ANN, BOB_MORE], "r1")
    with pytest.raises(ConfigError):
        s.run()
    with pytest.raises(ConfigError):
        s.run()
    s.configure()
    assert_settled(s.run())
    anns = s.keys("ann@")
    assert len(anns) == 2 and len(s.open("ann@")) == 1, anns
    assert len(s.sim.model.links) == 1
    bob = s.key("bob@")
    assert len(s.markers(bob)) == 1, s.markers(bob)
    s.quiet()


def test_tool_own_resolution_seen_by_the_people_query_changes_nothing(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = tool_resolved(jira_cloud, tmp_path)
    assert s.state(ann)[0] == "Done"
    s.sim.reset_log()
    s.report(-1, [BOB], "r4")  # observe runs: sees OPS-1 done
    s.run()
    assert s.sim.log.writes() == [], [(r.method, r.path) for r in s.sim.log.writes()]
    # and a sighting within reopen_within reopens it (the tool's own Done is not never_reopen)
    s.then(1, [ANN, BOB], "r5")
    assert s.open("ann@") == [ann]
    s.quiet()


def test_person_reopens_wont_do_and_problem_returns_in_the_same_pass(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path)
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.then(-4, [BOB], "r1")  # learned
    s.sim.move_by_hand(ann, "To Do")
    s.then(1, [ANN_MORE, BOB], "r2")
    assert s.open("ann@") == [ann], s.keys("ann@")
    ms = s.markers(ann)
    assert len(ms) == len(set(ms)) and len(ms) <= 1, ms
    s.quiet()


@pytest.mark.parametrize("how", [503, "drop", "chunked", "html"])
def test_people_query_answer_lost_once_is_retried(
    tmp_path: Path, jira_cloud: JiraSimulator, how: int | str
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path)
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.report(1, [ANN, BOB_MORE], "r1")
    s.sim.faults.break_next("search", how)  # type: ignore[arg-type]
    assert_settled(s.run())
    s.assert_kept_wont_do(ann)
    s.quiet()


def test_refresh_with_huge_details_fits_jira_limits_and_rerun_is_quiet(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    from ..reportgen import duplicate

    s, ann = ticketed(jira_cloud, tmp_path)
    huge = [
        f"smtp:{c * 1500}{n}@contoso.com" for n, c in enumerate("abcdefghijklmnopqrstuvwxyz" * 2)
    ]
    big = ("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com", *huge))
    assert_settled(s.then(-4, [big, BOB], "r1"))
    assert len(s.sim.issues[ann].fields["description"]) <= 32767
    assert len(s.markers(ann)) == 1
    s.quiet()


def test_kind_flip_flop_refreshes_summary_each_time_without_churn(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    from ..reportgen import quarantine

    q = ("ann@contoso.com", quarantine("ProxyAddresses", "SMTP:ann@contoso.com"))
    s, ann = ticketed(jira_cloud, tmp_path)
    s.then(-4, [q, BOB], "r1")
    summary = s.sim.issues[ann].fields["summary"]
    assert "Quarantined" in summary, summary
    s.quiet()
    s.then(-3, [ANN, BOB], "r2")
    assert s.keys("ann@") == [ann]
    s.quiet()


def test_deleted_ticket_of_a_live_unchanged_problem_gets_a_new_one(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """`tickets show` even promises "the next run opens a new one"."""
    s, _ = ticketed(jira_cloud, tmp_path)
    s.sim.delete_by_hand(s.key("bob@"))
    for n in range(1, 3):
        s.then(-5 + n, [ANN, BOB], f"r{n}")
    s.run()
    assert len(s.open("bob@")) == 1, "a live problem is left with no ticket"


def test_moved_ticket_is_known_by_its_new_key(tmp_path: Path) -> None:
    from dirsync_bridge.ledger.showing import ticket_history
    from dirsync_bridge.ledger.store import Ledger

    with two_projects() as sim:
        s, ann = ticketed(sim, tmp_path)
        moved = sim.move_to_project_by_hand(ann, "NEW")
        sim.resolve_by_hand(moved, "Done")
        s.then(1, [ANN_MORE, BOB], "r1")
        s.run()
        assert s.open("ann@") == [moved]
        ledger = Ledger.open(s.config.state.path)
        try:
            assert ticket_history(ledger, moved) is not None, (
                f"`tickets show {moved}` says no such ticket: the ledger still calls it {ann}"
            )
        finally:
            ledger.close()


def test_never_reopen_matches_jiras_resolution_whatever_its_case(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """`never_reopen = ["won't do"]` (typed by hand) silently never matches "Won't Do";
    doctor does not check the names against Jira's resolutions either."""
    s, ann = ticketed(jira_cloud, tmp_path, never_reopen=["won't do"])
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.then(1, [ANN, BOB], "r1")
    assert s.state(ann)[0] == "Done", "a Won't Do ticket was reopened"


def test_state_lost_then_rebuilt_against_jira_with_a_wont_do_ticket(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """The state file is lost (disk replaced) and the tool starts over against the same Jira,
    where a person had closed Ann's ticket as Won't Do and Bob's as Done."""
    s = Scene(jira_cloud, tmp_path)
    s.configure("state-a")
    s.then(-5, [ANN, BOB], "r0")
    ann, bob = s.key("ann@"), s.key("bob@")
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.sim.resolve_by_hand(bob, "Done")
    s.configure("state-b")  # a fresh ledger
    s.then(1, [ANN, BOB], "r1")
    s.report(2, [ANN_MORE, BOB_MORE], "r2")
    s.run()
    s.run()
    assert s.state(ann) == WONT
    assert len(s.open("ann@")) == 1, s.keys("ann@")
    assert len(s.open("bob@")) == 1, s.keys("bob@")
    s.quiet()


def test_person_keeps_reopening_a_tool_resolved_ticket_of_an_absent_problem(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s = Scene(jira_cloud, tmp_path)
    start = -4  # reports after the first reopen: future
    s.report(start, [ANN, BOB], "r0")
    n = 0
    for _round in range(3):
        s.reports([start + n + 1, start + n + 2, start + n + 3], first=n + 1)
        n += 3
        s.run()
        ann = s.key("ann@")
        assert s.state(ann)[0] == "Done", (_round, s.state(ann)[0])
        s.quiet()
        s.sim.move_by_hand(ann, "To Do")  # a person: "not fixed yet"
        n += 1
        s.then(start + n, [BOB], f"r{n}")  # learns the reopening
    s.assert_markers_once(ann)
    assert s.keys("ann@") == [ann]


@pytest.mark.parametrize("resolution", ["Done", "Won't Do"])
def test_person_resolves_just_as_the_tool_would_resolve_by_absence(
    tmp_path: Path, jira_cloud: JiraSimulator, resolution: str
) -> None:
    s = Scene(jira_cloud, tmp_path)
    s.report(-10, [ANN, BOB], "r0")
    s.reports([-9, -8])
    s.run()
    ann = s.key("ann@")
    assert s.state(ann)[0] != "Done"
    s.sim.resolve_by_hand(ann, resolution)
    s.report(1, [BOB], "r3")  # third absence, after the person
    assert_settled(s.run())
    assert s.state(ann) == ("Done", resolution)
    s.assert_markers_once(ann)
    s.quiet()
    s.then(2, [ANN, BOB], "r4")
    assert len(s.open("ann@")) == 1
    if resolution == "Won't Do":
        assert s.state(ann)[0] == "Done"
    s.quiet()


def test_first_check_without_a_cursor_learns_reopened_tickets_too(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """A ledger without the people cursor (made before the feature, or its row lost) that
    holds tickets: the first check asks only for done tickets."""
    import sqlite3

    s = Scene(jira_cloud, tmp_path)
    s.report(-10, [ANN, BOB], "r0")
    s.reports([-9, -8, -7])
    s.run()
    ann = s.key("ann@")
    assert s.state(ann)[0] == "Done"
    s.sim.move_by_hand(ann, "To Do")  # a person reopens it
    with sqlite3.connect(s.config.state.path) as db:
        db.execute("DELETE FROM cursors WHERE name = 'people-resolutions'")
    s.then(-5, [BOB], "r4")
    assert_settled(s.then(1, [ANN_MORE, BOB], "r5"))
    assert s.open("ann@") == [ann]
    s.quiet()


def test_person_done_then_back_after_the_reopen_window_gets_one_linked_ticket(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path)
    s.sim.resolve_by_hand(ann, "Done")
    # reports arrive out of order: the far one first, then one in between
    s.then(timedelta(days=40), [ANN, BOB], "r-far")
    s.report(timedelta(days=10), [BOB], "r-mid")
    s.run()
    anns = s.keys("ann@")
    assert s.state(ann)[0] == "Done"
    assert len(anns) == 2 and len(s.open("ann@")) == 1, anns
    assert len(s.sim.model.links) == 1
    s.quiet()


def test_long_identity_summary_refresh_on_kind_change_fits_and_does_not_churn(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    from ..reportgen import duplicate, quarantine

    s = Scene(jira_cloud, tmp_path)
    who = "x" * 300 + "\u00e9\u4e2d\U0001f600" * 20 + "@contoso.com"
    s.then(-5, [(who, duplicate("Mail", "a@b.com")), BOB], "r0")
    (key,) = [k for k, i in s.sim.issues.items() if "xxxx" in i.fields["summary"]]
    assert_settled(s.then(-4, [(who, quarantine("Mail", "a@b.com")), BOB], "r1"))
    assert len(s.sim.issues[key].fields["summary"]) <= 255
    assert "Quarantined" in s.sim.issues[key].fields["summary"]
    s.quiet()
    s.report(-3, [(who, quarantine("Mail", "a@b.com")), BOB], "r2")
    s.sim.reset_log()
    s.run()
    assert s.sim.log.writes() == []


def test_person_reresolves_as_wont_do_after_the_tool_reopened(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    s, ann = ticketed(jira_cloud, tmp_path)
    s.sim.resolve_by_hand(ann, "Done")
    s.then(1, [ANN, BOB], "r1")
    assert s.state(ann)[0] == "To Do"  # reopened by the tool
    s.sim.resolve_by_hand(ann, "Won't Do")  # "stop it"
    s.then(2, [ANN, BOB], "r2")
    s.assert_kept_wont_do(ann)
    s.assert_markers_once(ann)
    s.quiet()


def test_wont_do_corrected_to_done_and_problem_back_in_the_same_pass_reopens_it(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """The mirror of the missed rename: Won't Do learned, corrected to Done, and the next
    report lists the problem. Done reopens: expected the same ticket reopened."""
    s, ann = ticketed(jira_cloud, tmp_path, -3)
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.then(-2, [BOB], "r1")  # learns "Won't Do"
    s.sim.resolve_by_hand(ann, "Done")
    s.then(1, [ANN, BOB], "r2")
    assert s.keys("ann@") == [ann], "a new ticket instead of reopening the Done one"
    assert s.state(ann)[0] == "To Do"
