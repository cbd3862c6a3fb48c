"""A merge's trade of tickets where a problem has had more than one ticket (episodes), and
what a ticket resolved as merged shows (design.md section 9; reviews rev33, rev36).

The object is ann: an event 6941 names it by its object id alone (ticket A), emails by its
identity alone (ticket B), and a csexport file by both, which merges the object id's problem
into the identity's. Only each problem's current ticket decides whether a person closed it;
a later ticket links only to the one kept; ``tickets show`` on the ticket resolved as merged
names the one kept.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import Retriable
from dirsync_bridge.fingerprint import label
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay

from ..exportgen import csexport, events_6941
from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator
from ..simulators.jira.catalog import LINK_TYPES
from .conftest import cli, local_tickets
from .jira_scenes import (
    answered_by,
    came_back_in_jira,
    came_back_in_the_store,
    linked,
    markers,
    merge_config,
)
from .test_cross_source import OBJECTS, make_config, write
from .test_jira_sink import token_env, until_settled
from .test_merge_first_ticket import BY_ID, BY_IDENTITY, inputs

WHO, OBJECT_ID = OBJECTS[0]


def test_in_jira_only_the_current_ticket_of_a_problem_counts_as_closed_by_a_person(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """A person closed A0, the object id's first ticket, as Won't Do; the object came back
    and got A1, open, made before the identity's B0. A1 is the one being worked and the
    first: it stays, B0 is resolved as merged into it. (Before: A0's Won't Do counted for the
    whole problem, so B0, the newer, stayed and the open A1 was resolved as merged.)"""
    sim = jira_cloud
    folder = tmp_path / "in"
    config = merge_config(sim, tmp_path, never_reopen=["Won't Do"])
    env = token_env(sim)
    # Reports after the person's resolution are dated after it: the simulator's clock is now.
    start = datetime.now(UTC) - timedelta(days=1)
    later = datetime.now(UTC) + timedelta(hours=1)
    replay([write(folder, "ev0.xml", events_6941([(OBJECT_ID, WHO)], start))], config, env=env)
    (a0,) = sim.issues
    sim.resolve_by_hand(a0, "Won't Do")
    ev1 = write(folder, "ev1.xml", events_6941([(OBJECT_ID, WHO)], later))
    assert replay([ev1], config, env=env).created == 1  # Won't Do: never reopened
    (a1,) = [k for k in sim.issues if k != a0]
    email = report_email(
        "Contoso", later + timedelta(hours=1), [(WHO, duplicate("UserPrincipalName", WHO))], "e@x"
    )
    assert replay([write(folder, "email.eml", email)], config, env=env).created == 1
    (b0,) = [k for k in sim.issues if k not in (a0, a1)]

    cs = write(folder, "cs.xml", csexport([(OBJECT_ID, WHO, WHO)], later + timedelta(hours=2)))
    third = replay([cs], config, env=env)
    assert third.created == 0 and third.attention == third.unconfirmed == [], third
    assert sorted(sim.issues) == sorted([a0, a1, b0])  # no fourth issue
    assert (sim.issues[a0].status, sim.issues[a0].resolution) == ("Done", "Won't Do")
    assert sim.issues[a1].status != "Done", [c.body for c in sim.issues[a1].comments]
    assert sim.issues[b0].status == "Done"
    assert any(
        f"Merged into the ticket labelled {label(BY_ID)}:" in c.body
        for c in sim.issues[b0].comments
    ), [c.body for c in sim.issues[b0].comments]
    for key in (a0, a1, b0):
        ms = markers(sim, key)
        assert len(ms) == len(set(ms)), (key, ms)
    sim.reset_log()
    replay([ev1, cs], config, env=env)
    assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]


def test_in_jira_a_ticket_the_reports_reopened_after_a_person_closed_it_is_not_closed(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """A person closed A0 (Done, not in ``never_reopen``), and the object was seen again
    within the reopen window: the tool reopened A0, which is open and being worked again.
    Made before B0, it stays; B0 is resolved as merged into it. (Before: the person's Done
    was still A0's latest event outside the reports, so A0 counted as closed by a person and
    was resolved as merged into the newer B0.)"""
    sim = jira_cloud
    folder = tmp_path / "in"
    config = merge_config(sim, tmp_path)
    env = token_env(sim)
    start = datetime.now(UTC) - timedelta(days=1)
    later = datetime.now(UTC) + timedelta(hours=1)
    ev0 = write(folder, "ev0.xml", events_6941([(OBJECT_ID, WHO)], start))
    replay([ev0], config, env=env)
    (a0,) = sim.issues
    sim.resolve_by_hand(a0, "Done")
    ev1 = write(folder, "ev1.xml", events_6941([(OBJECT_ID, WHO)], later))
    assert replay([ev1], config, env=env).created == 0
    assert sim.issues[a0].status != "Done"  # reopened by the tool: seen again
    email = report_email(
        "Contoso", later + timedelta(hours=1), [(WHO, duplicate("UserPrincipalName", WHO))], "e@x"
    )
    assert replay([write(folder, "email.eml", email)], config, env=env).created == 1
    (b0,) = [k for k in sim.issues if k != a0]

    cs = write(folder, "cs.xml", csexport([(OBJECT_ID, WHO, WHO)], later + timedelta(hours=2)))
    third = replay([cs], config, env=env)
    assert third.created == 0 and third.attention == third.unconfirmed == [], third
    assert sorted(sim.issues) == sorted([a0, b0])  # no third issue
    assert sim.issues[a0].status != "Done", [c.body for c in sim.issues[a0].comments]
    assert sim.issues[b0].status == "Done"
    assert any(
        f"Merged into the ticket labelled {label(BY_ID)}:" in c.body
        for c in sim.issues[b0].comments
    ), [c.body for c in sim.issues[b0].comments]
    sim.reset_log()
    replay([ev0, ev1, cs], config, env=env)
    assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]


def test_tickets_show_of_a_ticket_merged_away_names_the_kept_one_and_the_reports_it_had(
    tmp_path: Path,
) -> None:
    """B, the identity's newer ticket, resolved as merged into A: ``tickets show B`` says so
    by A's key, names the problem both are of now, and lists the report B was opened from.
    (Before: it named the retired object id's fingerprint, no problem any more, and said
    "Seen in 0 report(s)".) The listing names the same fingerprint as the ticket in full."""
    ev, email, cs = inputs(tmp_path / "in")
    config = make_config(tmp_path / "state")
    replay([ev], config)
    (a,) = local_tickets(config)
    replay([email], config)
    (b,) = [t for t in local_tickets(config) if t.key != a.key]
    replay([cs], config)

    text = cli(config, "tickets", "show", b.key)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == f"{b.key}  resolved"
    assert f"Merged into: {a.key}" in lines, text.stdout
    assert f"Fingerprint: {BY_IDENTITY}" in lines, text.stdout
    assert BY_ID not in text.stdout  # the retired problem's: no ticket is of it now
    seen = lines.index("Seen in 1 report(s):")
    assert lines[seen + 1].endswith(str(email)), lines[seen:]
    kept = cli(config, "tickets", "show", a.key)
    assert kept.returncode == 0 and "Merged into:" not in kept.stdout, kept.stdout

    shown = cli(config, "tickets", "show", b.key, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    ticket = json.loads(shown.stdout)
    assert ticket["merged_into"] == a.key
    assert ticket["fingerprint"] == BY_IDENTITY
    assert [s["source"] for s in ticket["sightings"]] == [str(email)]
    listing = cli(config, "tickets", "--status", "all", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    listed = {t["key"]: t for t in json.loads(listing.stdout)}
    assert {k: ticket[k] for k in listed[b.key]} == listed[b.key]
    assert (
        json.loads(cli(config, "tickets", "show", a.key, "--format", "json").stdout)["merged_into"]
        is None
    )


BOB = OBJECTS[1][0]


def test_a_later_ticket_links_only_the_kept_one_after_a_trade_in_the_local_store(
    tmp_path: Path,
) -> None:
    config, _runs, cs, (a0, b0, b1) = came_back_in_the_store(tmp_path)
    assert b1.content.links == (b0.key,), b1.content.links
    replay([cs], config)
    now = {t.key: t for t in local_tickets(config)}
    assert now[b0.key].status == now[a0.key].status == "resolved"
    assert now[b1.key].status == "open"
    assert now[b1.key].content.links == (a0.key,), now[b1.key].content.links
    shown = json.loads(cli(config, "tickets", "show", b1.key, "--format", "json").stdout)
    assert shown["links"] == [a0.key]
    ledger = Ledger.open(config.state.path)
    try:
        assert ledger.applied(BY_IDENTITY)[1].linked == (a0.key,)
    finally:
        ledger.close()


def test_in_jira_a_later_issue_links_only_the_kept_one_after_a_trade(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """B1 linked B0, its earlier ticket; the merge kept A0 in B0's place (made first), and
    B0 was resolved as merged into it: B1 is linked to A0 and no longer to B0 (before: to
    both, an issue link the tool made to a ticket no longer this problem's)."""
    sim = jira_cloud
    trade = came_back_in_jira(tmp_path, sim)
    a0, b0, b1 = trade.keys
    assert linked(sim, b1) == [b0]
    third = trade.replay([trade.cs])
    assert third.attention == third.unconfirmed == [], third
    assert sim.issues[b1].status != "Done"
    assert sim.issues[b0].status == "Done"
    assert linked(sim, b1) == [a0]
    assert b1 not in linked(sim, b0)
    trade.rerun_writes_nothing()


@pytest.mark.parametrize(
    ("outcome", "reaches_jira"), [("drop", True), ("html", False), (404, False)]
)
def test_in_jira_an_unlink_whose_answer_is_lost_is_settled_by_reading_the_links(
    tmp_path: Path,
    jira_cloud: JiraSimulator,
    outcome: str | int,
    reaches_jira: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The DELETE of B1's link to B0 gets no answer (the connection drops after Jira did
    it, or a proxy answers before it gets there, with its page or with a 404 in Jira's own
    shape, as a wrong base path does: review rev42): the run reads B1's links. Gone: settled.
    Still there: the DELETE is not sent again, and the run says so, since nothing tells a
    DELETE that never arrived from a link a person made again since (before: sent again,
    which deleted such a person's link, review rev38). A rerun writes nothing."""
    sim = jira_cloud
    trade = came_back_in_jira(tmp_path, sim)
    a0, _b0, b1 = trade.keys
    sim.reset_log()
    sim.faults.break_next("unlink", outcome, reaches_jira=reaches_jira)  # type: ignore[arg-type]
    third = trade.replay([trade.cs])
    assert third.attention == third.unconfirmed == [], third  # settled within the run
    assert linked(sim, b1) == ([a0] if reaches_jira else [a0, _b0])
    deleted = [r for r in sim.log.writes() if r.method == "DELETE" and "issueLink/" in r.path]
    assert len(deleted) == 1  # never again: the link may be a person's by then
    said = [r.getMessage() for r in caplog.records if "left alone" in r.getMessage()]
    assert len(said) == (0 if reaches_jira else 1), said
    assert all(b1 in line and _b0 in line for line in said), said
    trade.rerun_writes_nothing()


def test_in_jira_the_unlink_leaves_a_persons_link_of_another_type_with_the_same_words(
    tmp_path: Path, jira_cloud: JiraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``[jira] link_type`` given by its words ("relates to"), and the site has a second
    type with those words (a "Related" made by an admin): a person linked B1 to B0 with
    it. The trade's unlink deletes the tool's link only, of the type the tool links with
    (found by review rev38: every link whose type had those words was deleted)."""
    sim = jira_cloud
    monkeypatch.setitem(LINK_TYPES, "Related", ("relates to", "relates to"))
    trade = came_back_in_jira(tmp_path, sim, link_type="relates to")
    a0, b0, b1 = trade.keys
    sim.model.link(
        {"type": {"name": "Related"}, "inwardIssue": {"key": b0}, "outwardIssue": {"key": b1}}
    )
    third = trade.replay([trade.cs])
    assert third.attention == third.unconfirmed == [], third
    kinds = sorted((link.type, link.inward) for link in sim.model.links if link.outward == b1)
    assert kinds == [("Related", b0), ("Relates", a0)], kinds


def test_in_jira_an_unlink_whose_read_of_the_links_says_nothing_of_them_is_not_recorded(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """The read of B1's links before the DELETE is answered by a proxy's stripped copy of
    the issue: JSON without its fields. Nothing is deleted, and the unlink must not be
    recorded as done (found by review rev38: it was, and B1 stayed linked to B0 for good,
    every later run content with the ledger). A later run deletes the link."""
    sim = jira_cloud
    trade = came_back_in_jira(tmp_path, sim)
    a0, b0, b1 = trade.keys
    real = sim._route

    def stripped(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        if method == "GET" and path == f"issue/{b1}" and query.get("fields") == ["issuelinks"]:
            return 200, {"key": b1}, {}
        return real(method, path, query, body)

    with answered_by(sim, stripped), pytest.raises(Retriable) as raised:
        trade.replay([trade.cs])
    assert "without the issue's links" in str(raised.value), raised.value
    assert b0 in linked(sim, b1)  # nothing deleted on such an answer
    until_settled([*trade.runs, trade.cs], trade.config, trade.env)
    assert linked(sim, b1) == [a0]


def test_in_jira_an_unlink_whose_link_a_person_removed_first_is_recorded_without_a_word(
    tmp_path: Path, jira_cloud: JiraSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A person removes B1's link to B0 between the tool's read of B1's links and its
    DELETE: Jira answers 404. The links read again show it gone: the unlink is done, said
    by no warning, and a rerun writes nothing (the 404 is confirmed, not believed: rev42)."""
    sim = jira_cloud
    trade = came_back_in_jira(tmp_path, sim)
    a0, _b0, b1 = trade.keys
    real = sim._route

    def person_first(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        if method == "DELETE" and path.startswith("issueLink/"):
            sim.model.unlink(path.split("/")[1])  # the person's removal, just before
        return real(method, path, query, body)

    with answered_by(sim, person_first):
        third = trade.replay([trade.cs])
    assert third.attention == third.unconfirmed == [], third
    assert linked(sim, b1) == [a0]
    assert not [r for r in caplog.records if "left alone" in r.getMessage()]
    trade.rerun_writes_nothing()
