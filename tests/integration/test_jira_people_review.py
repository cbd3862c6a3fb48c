"""People's actions in Jira met by reports in any order, faults and kills.

From the issue 14 review: each test failed then, or guards what held.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.errors import Retriable

from ..simulators.jira import JiraSimulator
from .test_jira_faults import ANN, ANN_MORE, BOB, BOB_MORE, by_identity, ours, run
from .test_jira_sink import jira_config, one_report, outcome_leftovers


def open_keys(sim: JiraSimulator, who: str) -> list[str]:
    return [k for k in by_identity(sim, who) if sim.issues[k].status != "Done"]


def markers(sim: JiraSimulator, key: str) -> list[str]:
    return [k for k in ours(sim.issues[key]) if k]


def rerun_quiet(mail: Path, config, sim: JiraSimulator) -> None:  # type: ignore[no-untyped-def]
    sim.reset_log()
    again = run(mail, config, sim)
    assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]
    assert again.attention == again.unconfirmed == []
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


def test_deleted_open_ticket_of_a_problem_that_then_goes_away_gets_no_new_ticket(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=10), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.delete_by_hand(ann)  # a person deletes it: "not a problem we track here"
    for n in range(1, 4):
        one_report(mail, now - timedelta(hours=10 - 2 * n), [BOB], f"r{n}")
    run(mail, config, sim)
    # Ann's problem is gone (absent from 3 reports): no open ticket for it, and ideally no
    # new ticket made just to be resolved.
    assert open_keys(sim, "ann@") == []
    assert by_identity(sim, "ann@") == [], "a ticket was created for a problem already gone"
    rerun_quiet(mail, config, sim)


def test_resolution_then_a_report_older_than_it_arriving_late_does_not_reopen(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Done")  # now
    # A report made before the resolution, delivered late, lists Ann (and Bob changed).
    one_report(mail, now - timedelta(hours=1), [ANN, BOB_MORE], "r-late")
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done", "a report older than the resolution reopened it"
    assert markers(sim, ann) == []
    # Then a report after the resolution: reopened once.
    one_report(mail, now + timedelta(hours=1), [ANN, BOB_MORE], "r-after")
    run(mail, config, sim)
    assert open_keys(sim, "ann@") == [ann]
    assert [m.split(":")[1] for m in markers(sim, ann)] == ["reopened"]
    rerun_quiet(mail, config, sim)


def test_done_then_wont_do_before_any_check_is_never_reopened(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Done")
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r1")
    run(mail, config, sim)
    assert sim.issues[ann].resolution == "Won't Do" and sim.issues[ann].status == "Done"
    assert len(open_keys(sim, "ann@")) == 1
    rerun_quiet(mail, config, sim)


def test_tool_resolved_then_person_renames_to_wont_do_is_never_reopened(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=10), [ANN, BOB], "r0")
    for n in range(1, 4):
        one_report(mail, now - timedelta(hours=10 - 2 * n), [BOB], f"r{n}")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    assert sim.issues[ann].status == "Done"
    rerun_quiet(mail, config, sim)
    sim.resolve_by_hand(ann, "Won't Do")  # a person: "this one is not ours to fix"
    one_report(mail, now + timedelta(minutes=30), [ANN, BOB], "r-back")
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done" and sim.issues[ann].resolution == "Won't Do"
    assert len(open_keys(sim, "ann@")) == 1
    rerun_quiet(mail, config, sim)


def test_person_reopens_a_tool_resolved_ticket_then_problem_returns(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=10), [ANN, BOB], "r0")
    for n in range(1, 4):
        one_report(mail, now - timedelta(hours=10 - 2 * n), [BOB], f"r{n}")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.move_by_hand(ann, "To Do")  # a person reopens it
    one_report(mail, now + timedelta(minutes=30), [ANN_MORE, BOB], "r-back")
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    assert open_keys(sim, "ann@") == [ann]
    kinds = [m.split(":")[1] for m in markers(sim, ann)]
    assert kinds.count("reopened") == 0, kinds  # already open: no reopen comment/transition
    rerun_quiet(mail, config, sim)


def test_wont_do_learned_then_search_fails_then_problem_returns(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now + timedelta(hours=1), [ANN, BOB_MORE], "r1")
    sim.faults.fail_next(503, times=30)  # the people query (and retries) answered 503
    with pytest.raises(Retriable):  # exit 75 from the CLI
        run(mail, config, sim)
    sim.faults.queue.clear()
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done" and sim.issues[ann].resolution == "Won't Do"
    assert len(open_keys(sim, "ann@")) == 1
    (bob,) = by_identity(sim, "bob@")
    assert len(markers(sim, bob)) == 1, markers(sim, bob)
    rerun_quiet(mail, config, sim)


def test_moved_then_deleted_ticket_problem_still_gets_one_ticket(
    tmp_path: Path,
) -> None:
    from ..simulators.jira.fixtures import CUSTOM_FIELDS

    with JiraSimulator("cloud", project=["OPS", "NEW"], custom_fields=CUSTOM_FIELDS) as sim:
        mail = tmp_path / "mail"
        now = datetime.now(UTC)
        one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
        config = jira_config(sim, tmp_path / "state")
        run(mail, config, sim)
        (ann,) = by_identity(sim, "ann@")
        moved = sim.move_to_project_by_hand(ann, "NEW")
        sim.resolve_by_hand(moved, "Done")
        one_report(mail, now - timedelta(hours=4), [BOB], "r1")
        run(mail, config, sim)  # learns the moved ticket's resolution
        sim.delete_by_hand(moved)
        one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r2")
        summary = run(mail, config, sim)
        assert summary.attention == summary.unconfirmed == []
        assert len(open_keys(sim, "ann@")) == 1
        rerun_quiet(mail, config, sim)


def test_person_done_learned_then_renamed_wont_do_and_problem_back_in_next_report(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """The realistic order: a person resolves Done, the tool learns it, the person corrects
    it to Won't Do, and the very next report lists the problem again."""
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=3), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Done")
    one_report(mail, now - timedelta(hours=2), [BOB], "r1")
    run(mail, config, sim)  # learns "Done"
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r2")
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done" and sim.issues[ann].resolution == "Won't Do", (
        "the tool reopened a ticket a person closed as Won't Do"
    )
    assert len(open_keys(sim, "ann@")) == 1
    rerun_quiet(mail, config, sim)


def test_wont_do_successor_made_then_person_reopens_the_old_one(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now + timedelta(minutes=10), [ANN, BOB], "r1")
    run(mail, config, sim)
    assert len(by_identity(sim, "ann@")) == 2  # a successor, linked
    sim.move_by_hand(ann, "To Do")  # a person changes their mind on the old one
    one_report(mail, now + timedelta(minutes=20), [ANN_MORE, BOB], "r2")
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    assert len(open_keys(sim, "ann@")) == 1, (
        f"two open tickets for one problem: {open_keys(sim, 'ann@')}"
    )
    rerun_quiet(mail, config, sim)


@pytest.mark.parametrize("resolution", ["Done", "Won't Do"])
def test_reports_out_of_order_around_a_persons_resolution(
    tmp_path: Path, jira_cloud: JiraSimulator, resolution: str
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, resolution)
    one_report(mail, now + timedelta(hours=2), [ANN, BOB], "r-after")
    run(mail, config, sim)
    # an archive replayed late: reports made before the resolution, listing and not listing Ann
    one_report(mail, now - timedelta(hours=1), [ANN_MORE, BOB], "r-before")
    one_report(mail, now - timedelta(hours=2), [BOB], "r-before2")
    one_report(mail, now - timedelta(minutes=30), [BOB], "r-before3")
    run(mail, config, sim)
    anns = by_identity(sim, "ann@")
    assert len(open_keys(sim, "ann@")) == 1, anns
    if resolution == "Won't Do":
        assert sim.issues[ann].status == "Done" and sim.issues[ann].resolution == "Won't Do"
        assert len(anns) == 2
    else:
        assert anns == [ann]
        ks = [m.split(":")[1] for m in markers(sim, ann)]
        assert ks.count("reopened") == 1, ks
    for k in anns:
        ms = markers(sim, k)
        assert len(ms) == len(set(ms)), ms
    rerun_quiet(mail, config, sim)


def test_many_wont_do_tickets_learned_across_search_pages(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    rows = [(f"u{n}@contoso.com", ANN[1].replace("ann@", f"u{n}@")) for n in range(130)]
    one_report(mail, now - timedelta(hours=5), rows, "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    first = dict(sim.issues)
    for key in first:
        sim.resolve_by_hand(key, "Won't Do")
    one_report(mail, now + timedelta(hours=1), rows, "r1")
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    assert all(sim.issues[k].status == "Done" for k in first)
    assert len(sim.issues) == 260
    rerun_quiet(mail, config, sim)


def test_wont_do_then_deleted_earlier_ticket_link_is_dropped_and_one_ticket_made(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now - timedelta(hours=4), [BOB], "r1")
    run(mail, config, sim)  # learned
    sim.delete_by_hand(ann)
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r2")
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    assert len(open_keys(sim, "ann@")) == 1
    rerun_quiet(mail, config, sim)


def test_bad_link_type_stops_with_config_error_then_fixed_config_links_once(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    from dirsync_bridge.errors import ConfigError

    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    bad = jira_config(sim, tmp_path / "state", link_type="Nope")
    run(mail, bad, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now + timedelta(hours=1), [ANN, BOB_MORE], "r1")
    with pytest.raises(ConfigError):
        run(mail, bad, sim)
    with pytest.raises(ConfigError):
        run(mail, bad, sim)
    good = jira_config(sim, tmp_path / "state")
    summary = run(mail, good, sim)
    assert summary.attention == summary.unconfirmed == []
    anns = by_identity(sim, "ann@")
    assert len(anns) == 2 and len(open_keys(sim, "ann@")) == 1, anns
    assert len(sim.model.links) == 1
    (bob,) = by_identity(sim, "bob@")
    assert len(markers(sim, bob)) == 1, markers(sim, bob)
    rerun_quiet(mail, good, sim)


def test_tool_own_resolution_seen_by_the_people_query_changes_nothing(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=10), [ANN, BOB], "r0")
    for n in range(1, 4):
        one_report(mail, now - timedelta(hours=10 - 2 * n), [BOB], f"r{n}")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    assert sim.issues[ann].status == "Done"
    sim.reset_log()
    one_report(mail, now - timedelta(hours=1), [BOB], "r4")  # observe runs: sees OPS-1 done
    run(mail, config, sim)
    assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]
    # and a sighting within reopen_within reopens it (the tool's own Done is not never_reopen)
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r5")
    run(mail, config, sim)
    assert open_keys(sim, "ann@") == [ann]
    rerun_quiet(mail, config, sim)


def test_person_reopens_wont_do_and_problem_returns_in_the_same_pass(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now - timedelta(hours=4), [BOB], "r1")
    run(mail, config, sim)  # learned
    sim.move_by_hand(ann, "To Do")
    one_report(mail, now + timedelta(hours=1), [ANN_MORE, BOB], "r2")
    run(mail, config, sim)
    assert open_keys(sim, "ann@") == [ann], by_identity(sim, "ann@")
    ms = markers(sim, ann)
    assert len(ms) == len(set(ms)) and len(ms) <= 1, ms
    rerun_quiet(mail, config, sim)


@pytest.mark.parametrize("how", [503, "drop", "chunked", "html"])
def test_people_query_answer_lost_once_is_retried(
    tmp_path: Path, jira_cloud: JiraSimulator, how: int | str
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now + timedelta(hours=1), [ANN, BOB_MORE], "r1")
    sim.faults.break_next("search", how)  # type: ignore[arg-type]
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    assert sim.issues[ann].resolution == "Won't Do" and sim.issues[ann].status == "Done"
    assert len(open_keys(sim, "ann@")) == 1
    rerun_quiet(mail, config, sim)


def test_refresh_with_huge_details_fits_jira_limits_and_rerun_is_quiet(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    from ..reportgen import duplicate

    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    huge = [
        f"smtp:{c * 1500}{n}@contoso.com" for n, c in enumerate("abcdefghijklmnopqrstuvwxyz" * 2)
    ]
    one_report(
        mail,
        now - timedelta(hours=4),
        [("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com", *huge)), BOB],
        "r1",
    )
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == [], summary.attention
    issue = sim.issues[ann]
    assert len(issue.fields["description"]) <= 32767
    assert len(markers(sim, ann)) == 1
    rerun_quiet(mail, config, sim)


def test_kind_flip_flop_refreshes_summary_each_time_without_churn(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    from ..reportgen import quarantine

    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    q = ("ann@contoso.com", quarantine("ProxyAddresses", "SMTP:ann@contoso.com"))
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    one_report(mail, now - timedelta(hours=4), [q, BOB], "r1")
    run(mail, config, sim)
    assert "Quarantined" in sim.issues[ann].fields["summary"], sim.issues[ann].fields["summary"]
    rerun_quiet(mail, config, sim)
    one_report(mail, now - timedelta(hours=3), [ANN, BOB], "r2")
    run(mail, config, sim)
    assert by_identity(sim, "ann@") == [ann]
    rerun_quiet(mail, config, sim)


def test_deleted_ticket_of_a_live_unchanged_problem_gets_a_new_one(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """`tickets show` even promises "the next run opens a new one"."""
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (bob,) = by_identity(sim, "bob@")
    sim.delete_by_hand(bob)
    for n in range(1, 3):
        one_report(mail, now - timedelta(hours=5 - n), [ANN, BOB], f"r{n}")
        run(mail, config, sim)
    run(mail, config, sim)
    assert len(open_keys(sim, "bob@")) == 1, "a live problem is left with no ticket"


def test_moved_ticket_is_known_by_its_new_key(tmp_path: Path) -> None:
    from dirsync_bridge.ledger.showing import ticket_history
    from dirsync_bridge.ledger.store import Ledger

    from ..simulators.jira.fixtures import CUSTOM_FIELDS

    with JiraSimulator("cloud", project=["OPS", "NEW"], custom_fields=CUSTOM_FIELDS) as sim:
        mail = tmp_path / "mail"
        now = datetime.now(UTC)
        one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
        config = jira_config(sim, tmp_path / "state")
        run(mail, config, sim)
        (ann,) = by_identity(sim, "ann@")
        moved = sim.move_to_project_by_hand(ann, "NEW")
        sim.resolve_by_hand(moved, "Done")
        one_report(mail, now + timedelta(hours=1), [ANN_MORE, BOB], "r1")
        run(mail, config, sim)
        run(mail, config, sim)
        assert open_keys(sim, "ann@") == [moved]
        ledger = Ledger.open(config.state.path)
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
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state", never_reopen=["won't do"])
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r1")
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done", "a Won't Do ticket was reopened"


def test_state_lost_then_rebuilt_against_jira_with_a_wont_do_ticket(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """The state file is lost (disk replaced) and the tool starts over against the same Jira,
    where a person had closed Ann's ticket as Won't Do and Bob's as Done."""
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    run(mail, jira_config(sim, tmp_path / "state-a"), sim)
    (ann,), (bob,) = by_identity(sim, "ann@"), by_identity(sim, "bob@")
    sim.resolve_by_hand(ann, "Won't Do")
    sim.resolve_by_hand(bob, "Done")
    config = jira_config(sim, tmp_path / "state-b")  # a fresh ledger
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r1")
    run(mail, config, sim)
    one_report(mail, now + timedelta(hours=2), [ANN_MORE, BOB_MORE], "r2")
    run(mail, config, sim)
    run(mail, config, sim)
    assert sim.issues[ann].resolution == "Won't Do" and sim.issues[ann].status == "Done"
    assert len(open_keys(sim, "ann@")) == 1, by_identity(sim, "ann@")
    assert len(open_keys(sim, "bob@")) == 1, by_identity(sim, "bob@")
    rerun_quiet(mail, config, sim)


def test_server_done_learned_then_renamed_wont_do_and_problem_back_in_next_report(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    sim, mail = jira_server, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=3), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Done")
    one_report(mail, now - timedelta(hours=2), [BOB], "r1")
    run(mail, config, sim)
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r2")
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done", (
        "the tool reopened a ticket a person closed as Won't Do"
    )


def test_person_keeps_reopening_a_tool_resolved_ticket_of_an_absent_problem(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC) - timedelta(hours=4)  # reports after the first reopen: future
    one_report(mail, now, [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    n = 0
    for _round in range(3):
        for _ in range(3):
            n += 1
            one_report(mail, now + timedelta(hours=n), [BOB], f"r{n}")
        run(mail, config, sim)
        (ann,) = by_identity(sim, "ann@")
        assert sim.issues[ann].status == "Done", (_round, sim.issues[ann].status)
        rerun_quiet(mail, config, sim)
        sim.move_by_hand(ann, "To Do")  # a person: "not fixed yet"
        n += 1
        one_report(mail, now + timedelta(hours=n), [BOB], f"r{n}")
        run(mail, config, sim)  # learns the reopening
    ms = markers(sim, ann)
    assert len(ms) == len(set(ms)), ms
    assert by_identity(sim, "ann@") == [ann]


@pytest.mark.parametrize("resolution", ["Done", "Won't Do"])
def test_person_resolves_just_as_the_tool_would_resolve_by_absence(
    tmp_path: Path, jira_cloud: JiraSimulator, resolution: str
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=10), [ANN, BOB], "r0")
    one_report(mail, now - timedelta(hours=9), [BOB], "r1")
    one_report(mail, now - timedelta(hours=8), [BOB], "r2")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    assert sim.issues[ann].status != "Done"
    sim.resolve_by_hand(ann, resolution)
    one_report(mail, now + timedelta(hours=1), [BOB], "r3")  # third absence, after the person
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    assert (sim.issues[ann].status, sim.issues[ann].resolution) == ("Done", resolution)
    ms = markers(sim, ann)
    assert len(ms) == len(set(ms)), ms
    rerun_quiet(mail, config, sim)
    one_report(mail, now + timedelta(hours=2), [ANN, BOB], "r4")
    run(mail, config, sim)
    assert len(open_keys(sim, "ann@")) == 1
    if resolution == "Won't Do":
        assert sim.issues[ann].status == "Done"
    rerun_quiet(mail, config, sim)


def test_first_check_without_a_cursor_learns_reopened_tickets_too(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """A ledger without the people cursor (made before the feature, or its row lost) that
    holds tickets: the first check asks only for done tickets."""
    import sqlite3

    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=10), [ANN, BOB], "r0")
    for n in range(1, 4):
        one_report(mail, now - timedelta(hours=10 - n), [BOB], f"r{n}")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    assert sim.issues[ann].status == "Done"
    sim.move_by_hand(ann, "To Do")  # a person reopens it
    with sqlite3.connect(config.state.path) as db:
        db.execute("DELETE FROM cursors WHERE name = 'people-resolutions'")
    one_report(mail, now - timedelta(hours=5), [BOB], "r4")
    run(mail, config, sim)
    one_report(mail, now + timedelta(hours=1), [ANN_MORE, BOB], "r5")
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == [], summary.attention
    assert open_keys(sim, "ann@") == [ann]
    rerun_quiet(mail, config, sim)


def test_server_many_wont_do_tickets_learned_across_search_pages(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    sim, mail = jira_server, tmp_path / "mail"
    now = datetime.now(UTC)
    rows = [(f"u{n}@contoso.com", ANN[1].replace("ann@", f"u{n}@")) for n in range(130)]
    one_report(mail, now - timedelta(hours=5), rows, "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    first = dict(sim.issues)
    for key in first:
        sim.resolve_by_hand(key, "Won't Do")
    one_report(mail, now + timedelta(hours=1), rows, "r1")
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    assert all(sim.issues[k].status == "Done" for k in first)
    assert len(sim.issues) == 260
    rerun_quiet(mail, config, sim)


def test_person_done_then_back_after_the_reopen_window_gets_one_linked_ticket(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Done")
    # reports arrive out of order: the far one first, then one in between
    one_report(mail, now + timedelta(days=40), [ANN, BOB], "r-far")
    run(mail, config, sim)
    one_report(mail, now + timedelta(days=10), [BOB], "r-mid")
    run(mail, config, sim)
    anns = by_identity(sim, "ann@")
    assert sim.issues[ann].status == "Done"
    assert len(anns) == 2 and len(open_keys(sim, "ann@")) == 1, anns
    assert len(sim.model.links) == 1
    rerun_quiet(mail, config, sim)


def test_long_identity_summary_refresh_on_kind_change_fits_and_does_not_churn(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    from ..reportgen import duplicate, quarantine

    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    who = "x" * 300 + "\u00e9\u4e2d\U0001f600" * 20 + "@contoso.com"
    one_report(mail, now - timedelta(hours=5), [(who, duplicate("Mail", "a@b.com")), BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (key,) = [k for k, i in sim.issues.items() if "xxxx" in i.fields["summary"]]
    one_report(mail, now - timedelta(hours=4), [(who, quarantine("Mail", "a@b.com")), BOB], "r1")
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == [], summary.attention
    assert len(sim.issues[key].fields["summary"]) <= 255
    assert "Quarantined" in sim.issues[key].fields["summary"]
    rerun_quiet(mail, config, sim)
    one_report(mail, now - timedelta(hours=3), [(who, quarantine("Mail", "a@b.com")), BOB], "r2")
    sim.reset_log()
    run(mail, config, sim)
    assert sim.log.writes() == []


def test_person_reresolves_as_wont_do_after_the_tool_reopened(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Done")
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r1")
    run(mail, config, sim)
    assert sim.issues[ann].status == "To Do"  # reopened by the tool
    sim.resolve_by_hand(ann, "Won't Do")  # "stop it"
    one_report(mail, now + timedelta(hours=2), [ANN, BOB], "r2")
    run(mail, config, sim)
    assert sim.issues[ann].status == "Done" and sim.issues[ann].resolution == "Won't Do"
    assert len(open_keys(sim, "ann@")) == 1
    ms = markers(sim, ann)
    assert len(ms) == len(set(ms)), ms
    rerun_quiet(mail, config, sim)


def test_wont_do_corrected_to_done_and_problem_back_in_the_same_pass_reopens_it(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """The mirror of the missed rename: Won't Do learned, corrected to Done, and the next
    report lists the problem. Done reopens: expected the same ticket reopened."""
    sim, mail = jira_cloud, tmp_path / "mail"
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=3), [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    sim.resolve_by_hand(ann, "Won't Do")
    one_report(mail, now - timedelta(hours=2), [BOB], "r1")
    run(mail, config, sim)  # learns "Won't Do"
    sim.resolve_by_hand(ann, "Done")
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r2")
    run(mail, config, sim)
    assert by_identity(sim, "ann@") == [ann], "a new ticket instead of reopening the Done one"
    assert sim.issues[ann].status == "To Do"
