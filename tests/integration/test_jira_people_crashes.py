"""SIGKILL mid-pass while people's actions are folded in (from the issue 14 review)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from ..simulators.jira import JiraSimulator
from .jira_scenes import CliScene
from .test_jira_faults import ANN, BOB, BOB_MORE

CAROL = ("carol@contoso.com", ANN[1].replace("ann@", "carol@"))


def reruns_succeed(s: CliScene) -> None:
    """Two replays after the kill, as cron would run them: each ends well."""
    for _ in range(2):
        rerun = s.replay()
        assert rerun.returncode == 0, rerun.stderr


@pytest.mark.parametrize(
    "crash",
    [
        "after-ingest:1",
        "after-identities:1",
        "after-ingest:1:SIGTERM",
        "after-sink-write:1",
        "after-sink-write:2",
        "after-sink-write:3",
        "after-sink-write:4",
        "after-bulk-create:1",
        "after-sink-write:2:SIGTERM",
    ],
)
def test_crash_in_the_pass_that_learns_wont_do_and_reopen(
    tmp_path: Path, jira_cloud: JiraSimulator, crash: str
) -> None:
    s = CliScene(jira_cloud, tmp_path)
    s.opening(-10, [ANN, BOB, CAROL])
    ann, bob, carol = (s.key(f"{w}@") for w in ("ann", "bob", "carol"))
    s.sim.resolve_by_hand(ann, "Won't Do")  # back later: a new ticket, linked
    s.sim.resolve_by_hand(carol, "Done")  # back later: reopened
    s.report(1, [ANN, BOB_MORE, CAROL], "r1")
    crashed = s.replay(crash)
    assert crashed.returncode in (-signal.SIGKILL, 0, 130), crashed.stderr
    reruns_succeed(s)
    anns = s.keys("ann@")
    assert s.state(ann) == ("Done", "Won't Do")
    assert len(s.open("ann@")) == 1, anns
    assert len(anns) == 2, anns
    assert s.state(carol)[0] == "To Do" and s.keys("carol@") == [carol]
    ck = s.assert_markers_once(carol)
    assert s.kinds(carol) == ["reopened"], ck
    bk = s.assert_markers_once(bob)
    assert len(bk) == 1, bk
    assert s.intents() == 0


@pytest.mark.parametrize("between", [False, True], ids=["return-next", "a-pass-between"])
@pytest.mark.parametrize("resolution", ["Won't Do", "Done"])
def test_killed_right_after_the_tools_resolve_then_person_renames_resolution(
    tmp_path: Path, jira_cloud: JiraSimulator, resolution: str, between: bool
) -> None:
    s = CliScene(jira_cloud, tmp_path)
    s.opening(-10, [ANN, BOB])
    ann = s.key("ann@")
    s.reports([-9, -8, -7])
    crashed = s.replay("after-sink-write:2")  # comment, then the transition
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert s.state(ann)[0] == "Done" and s.intents() == 1
    s.sim.resolve_by_hand(ann, resolution)  # a person corrects/confirms the resolution
    if between:  # a pass with a report that does not list Ann settles and learns first
        s.report(-5, [BOB], "r3b")
        assert s.replay().returncode == 0
    s.report(1, [ANN, BOB], "r4")
    reruns_succeed(s)
    anns = s.keys("ann@")
    assert len(s.open("ann@")) == 1, anns
    if resolution == "Won't Do":
        assert s.state(ann)[0] == "Done", "reopened a ticket a person closed as Won't Do"
    for k in anns:
        s.assert_markers_once(k)
    assert s.intents() == 0


def test_json_log_lines_of_peoples_actions_carry_the_ticket_and_fingerprint(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    import json
    import os
    import subprocess
    import sys

    s = CliScene(jira_cloud, tmp_path)
    s.opening(-5, [ANN, BOB])
    ann, bob = s.key("ann@"), s.key("bob@")
    s.sim.resolve_by_hand(ann, "Won't Do")
    s.sim.delete_by_hand(bob)
    s.report(1, [ANN, BOB_MORE], "r1")
    env = dict(os.environ, DIRSYNC_JIRA_TOKEN="t0k")
    env.pop("DIRSYNC_BRIDGE_CRASH_AT", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dirsync_bridge",
            "--config",
            str(s.file),
            "--log-format",
            "json",
            "-v",
            "replay",
            "--sink",
            "jira",
            str(s.mail),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    about = [o for o in lines if ann in o.get("message", "") and "Won't Do" in o["message"]]
    about += [o for o in lines if bob in o.get("message", "") and "gone" in o["message"]]
    assert len(about) == 2, lines
    for o in about:
        assert o.get("ticket") in (ann, bob) and o.get("fingerprint"), o
