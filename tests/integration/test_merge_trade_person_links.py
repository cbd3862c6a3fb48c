"""A person's issue links between the tickets of a merge (review rev38).

After a merge the tool removes one link only: a later ticket's link to the earlier ticket a
trade displaced (``test_merge_trade_episodes``). A link a person made, say from the ticket
kept to the one resolved as merged into it (which its comment names), is theirs: the tool
must not delete it, even once it has read it back from Jira (settling a lost answer reads
the issue's links, a person's among them).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dirsync_bridge.pipeline import replay

from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator
from .jira_scenes import came_back_in_jira, linked, merge_config
from .test_cross_source import OBJECTS, START, write
from .test_jira_sink import token_env
from .test_merge_first_ticket import inputs

BOB = OBJECTS[1][0]


def test_a_persons_link_from_the_kept_ticket_to_the_one_merged_into_it_stays(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """A (the object id's, made first) is kept, B (the identity's) resolved as merged into
    it; a person links A to B. Three reports without ann resolve A, the answer to its
    comment lost (the run settles it by reading A, links included): A's link to B stays
    (found by review rev38: the tool deleted it as a link to a ticket a merge displaced)."""
    sim = jira_cloud
    ev, email, cs = inputs(tmp_path / "in")
    config = merge_config(sim, tmp_path)
    env = token_env(sim)
    for path in (ev, email, cs):
        replay([path], config, env=env)
    a, b = sorted(sim.issues, key=lambda k: int(k.split("-")[1]))
    assert sim.issues[b].status == "Done" and sim.issues[a].status != "Done"
    sim.model.link(
        {"type": {"name": "Relates"}, "inwardIssue": {"key": b}, "outwardIssue": {"key": a}}
    )
    rows = [(BOB, duplicate("UserPrincipalName", BOB))]
    later = [
        write(
            tmp_path / "in",
            f"later{hour}.eml",
            report_email("Contoso", START + timedelta(hours=hour), rows, f"l{hour}"),
        )
        for hour in (3, 4, 5)
    ]
    sim.faults.break_next("comment", "drop", reaches_jira=True)
    summary = replay(later, config, env=env)
    assert summary.attention == summary.unconfirmed == [], summary
    assert sim.issues[a].status == "Done"  # resolved by absence, as the reports have it
    assert linked(sim, a) == [b]
    sim.reset_log()
    replay([ev, email, cs, *later], config, env=env)
    assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]
    assert linked(sim, a) == [b]


def test_in_jira_the_unlink_finds_the_displaced_issue_a_person_moved_to_another_project(
    tmp_path: Path, jira_two_projects: JiraSimulator
) -> None:
    """B0, the earlier ticket B1 links, was moved by a person to project NEW (NEW-1; Jira
    answers its old key still) before the trade displaced it: B1's link shows its new key.
    The unlink deletes that link too (found by review rev38: it matched the old key only,
    deleted nothing, and was recorded as done: B1 stayed linked to B0 for good)."""
    sim = jira_two_projects
    trade = came_back_in_jira(tmp_path, sim)
    a0, b0, b1 = trade.keys
    moved = sim.model.move(sim.issues[b0], "NEW")
    assert linked(sim, b1) == [moved]
    third = trade.replay([trade.cs])
    assert third.attention == third.unconfirmed == [], third
    assert linked(sim, b1) == [a0]
    trade.rerun_writes_nothing()
