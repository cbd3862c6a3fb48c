"""A refresh and its comment in one PUT: lost answers, kills, a comment refused for good (third
review).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ..reportgen import duplicate
from ..simulators.jira import JiraSimulator
from .jira_scenes import CliScene, Scene, ticketed
from .test_jira_faults import ANN, ANN_MORE, BOB
from .test_jira_sink import outcome_leftovers

START = datetime(2021, 5, 3, 9, tzinfo=UTC)
ANN_MORE2 = (
    "ann@contoso.com",
    duplicate("ProxyAddresses", "SMTP:ann@contoso.com", "smtp:a@b.com", "smtp:z@y.com"),
)
LOST = [
    (503, True),
    (502, True),
    ("drop", True),
    ("chunked", True),
    ("html", False),
    (503, False),
    ("drop", False),
]


IDS = ["503-after", "502-after", "drop-after", "chunked-after", "html", "503-before", "drop-before"]


def ann_with(*values: str) -> tuple[str, str]:
    """Ann's duplicate ProxyAddresses row, with these values besides her own."""
    return ("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com", *values))


def refresh_answer_lost(
    sim: JiraSimulator, tmp_path: Path, outcome: int | str, reaches_jira: bool = True
) -> tuple[Scene, str]:
    """Ann ticketed, then a report that changes her values, whose refresh (with its comment,
    one PUT) meets ``outcome``: the scene after that pass, and Ann's ticket."""
    s, ann = ticketed(sim, tmp_path, 0, now=START)
    s.report(3, [ANN_MORE, BOB], "r1")
    sim.faults.break_next("edit", outcome, reaches_jira=reaches_jira)  # type: ignore[arg-type]
    s.run()
    return s, ann


def settle(s: Scene, times: int = 3) -> None:
    for _ in range(times):
        s.run()


@pytest.mark.parametrize(("outcome", "reaches_jira"), LOST, ids=IDS)
@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_refresh_with_comment_lost_answer_gives_one_comment_and_the_refresh(
    tmp_path: Path,
    jira_cloud: JiraSimulator,
    jira_server: JiraSimulator,
    mode: str,
    outcome: int | str,
    reaches_jira: bool,
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    s, ann = refresh_answer_lost(sim, tmp_path, outcome, reaches_jira)
    settle(s)
    assert "a@b.com" in sim.issues[ann].fields["description"], "the refresh was lost"
    ms = s.markers(ann)
    assert len(ms) == len(set(ms)) == 1, f"comments: {ms}"
    assert outcome_leftovers(s.config) == {"intents": 0, "dirty": 0}
    sim.reset_log()
    s.run()
    assert sim.log.writes() == []


@pytest.mark.parametrize(("outcome", "reaches_jira"), LOST[:3], ids=IDS[:3])
def test_lost_refresh_then_another_change_before_the_rerun(
    tmp_path: Path, jira_cloud: JiraSimulator, outcome: int | str, reaches_jira: bool
) -> None:
    s, ann = refresh_answer_lost(jira_cloud, tmp_path, outcome, reaches_jira)
    s.report(6, [ANN_MORE2, BOB], "r2")
    settle(s)
    assert "z@y.com" in s.sim.issues[ann].fields["description"]
    ms = s.markers(ann)
    assert len(ms) == len(set(ms)), f"duplicate comment: {ms}"
    assert outcome_leftovers(s.config) == {"intents": 0, "dirty": 0}


@pytest.mark.parametrize("person", ["edits", "deletes"])
def test_lost_refresh_then_a_person_touches_the_added_comment(
    tmp_path: Path, jira_cloud: JiraSimulator, person: str
) -> None:
    s, ann = refresh_answer_lost(jira_cloud, tmp_path, 503)
    issue = s.sim.issues[ann]
    assert len(issue.comments) == 1
    if person == "edits":
        c = issue.comments[0]
        c.body = "person wrote this instead\n\n" + c.body.splitlines()[-1]
    else:
        issue.comments.clear()
    settle(s)
    ms = s.markers(ann)
    assert len(ms) == len(set(ms)) <= 1, f"comments: {ms}"
    assert "a@b.com" in s.sim.issues[ann].fields["description"]
    assert outcome_leftovers(s.config) == {"intents": 0, "dirty": 0}


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("point", ["after-sink-write:1", "after-sink-write:2"])
def test_killed_around_the_one_put_then_another_change(
    tmp_path: Path, jira_cloud: JiraSimulator, how: str, point: str
) -> None:
    s = CliScene(jira_cloud, tmp_path, START)
    s.opening(0, [ann_with()])
    (ann,) = s.sim.issues
    s.report(3, [ann_with("smtp:a@b.com")], "r1")
    crashed = s.replay(f"{point}:{how}")
    s.report(6, [ann_with("smtp:a@b.com", "smtp:z@y.com")], "r2")
    *_, rerun = s.replays()
    assert rerun.returncode == 0, (crashed.returncode, rerun.stderr)
    s.assert_markers_once(ann)
    assert "z@y.com" in s.sim.issues[ann].fields["description"]
    assert list(s.sim.issues) == [ann]
    assert s.intents() == 0


def test_comments_refused_for_good_still_lets_the_refresh_land(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """A bot with Edit Issues but not Add Comments (or a comment validator): before 6ad4944
    the refresh (a PUT of its own) landed and only the comment was refused; now the comment
    rides in the PUT and its refusal takes the refresh down with it, run after run."""
    s, ann = ticketed(jira_cloud, tmp_path, 0, now=START)
    s.report(3, [ANN_MORE, BOB], "r1")
    s.sim.faults.break_next("comment", 400, reaches_jira=False, times=20)
    settle(s)
    assert "a@b.com" in s.sim.issues[ann].fields["description"], "the refresh never lands"


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_sigkill_sweep_over_a_pass_of_refreshes_and_creates(
    tmp_path: Path, jira_cloud: JiraSimulator, n: int
) -> None:
    s = CliScene(jira_cloud, tmp_path, START)
    s.opening(0, [ANN, BOB])
    carol = ("carol@contoso.com", duplicate("ProxyAddresses", "SMTP:carol@contoso.com"))
    bob_more = (
        "bob@contoso.com",
        duplicate("ProxyAddresses", "SMTP:bob@contoso.com", "smtp:q@r.com"),
    )
    s.report(3, [ANN_MORE, bob_more, carol], "r1")
    s.replay(f"after-sink-write:{n}")
    *_, rerun = s.replays()
    assert rerun.returncode == 0, rerun.stderr
    for who in ("ann@", "bob@", "carol@"):
        keys = s.keys(who)
        assert len(keys) == 1, (who, keys)
        s.assert_markers_once(keys[0])
    assert "a@b.com" in s.sim.issues[s.keys("ann@")[0]].fields["description"]
    assert "q@r.com" in s.sim.issues[s.keys("bob@")[0]].fields["description"]
    assert s.intents() == 0
