"""SIGKILL mid-pass while people's actions are folded in (from the issue 14 review)."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..e2e.test_cli_jira_people import intents, replay, write_config
from ..simulators.jira import JiraSimulator
from .test_jira_faults import ANN, BOB, BOB_MORE, by_identity, ours
from .test_jira_sink import one_report

CAROL = ("carol@contoso.com", ANN[1].replace("ann@", "carol@"))


def comment_keys(sim: JiraSimulator, key: str) -> list[str]:
    return [k for k in ours(sim.issues[key]) if k]


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
    sim, mail = jira_cloud, tmp_path / "mail"
    config = write_config(tmp_path, sim.url)
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=10), [ANN, BOB, CAROL], "r0")
    assert replay(config, mail).returncode == 0
    (ann,), (bob,), (carol,) = (by_identity(sim, f"{w}@") for w in ("ann", "bob", "carol"))
    sim.resolve_by_hand(ann, "Won't Do")  # back later: a new ticket, linked
    sim.resolve_by_hand(carol, "Done")  # back later: reopened
    one_report(mail, now + timedelta(hours=1), [ANN, BOB_MORE, CAROL], "r1")
    crashed = replay(config, mail, crash=crash)
    assert crashed.returncode in (-signal.SIGKILL, 0, 130), crashed.stderr
    for _ in range(2):
        rerun = replay(config, mail)
        assert rerun.returncode == 0, rerun.stderr
    anns = by_identity(sim, "ann@")
    assert sim.issues[ann].resolution == "Won't Do" and sim.issues[ann].status == "Done"
    assert len([k for k in anns if sim.issues[k].status != "Done"]) == 1, anns
    assert len(anns) == 2, anns
    assert sim.issues[carol].status == "To Do" and by_identity(sim, "carol@") == [carol]
    ck = comment_keys(sim, carol)
    assert len(ck) == len(set(ck)) and [k.split(":")[1] for k in ck] == ["reopened"], ck
    bk = comment_keys(sim, bob)
    assert len(bk) == len(set(bk)) == 1, bk
    assert intents(tmp_path) == 0


@pytest.mark.parametrize("between", [False, True], ids=["return-next", "a-pass-between"])
@pytest.mark.parametrize("resolution", ["Won't Do", "Done"])
def test_killed_right_after_the_tools_resolve_then_person_renames_resolution(
    tmp_path: Path, jira_cloud: JiraSimulator, resolution: str, between: bool
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    config = write_config(tmp_path, sim.url)
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=10), [ANN, BOB], "r0")
    assert replay(config, mail).returncode == 0
    (ann,) = by_identity(sim, "ann@")
    for n in range(1, 4):
        one_report(mail, now - timedelta(hours=10 - n), [BOB], f"r{n}")
    crashed = replay(config, mail, crash="after-sink-write:2")  # comment, then the transition
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert sim.issues[ann].status == "Done" and intents(tmp_path) == 1
    sim.resolve_by_hand(ann, resolution)  # a person corrects/confirms the resolution
    if between:  # a pass with a report that does not list Ann settles and learns first
        one_report(mail, now - timedelta(hours=5), [BOB], "r3b")
        assert replay(config, mail).returncode == 0
    one_report(mail, now + timedelta(hours=1), [ANN, BOB], "r4")
    for _ in range(2):
        rerun = replay(config, mail)
        assert rerun.returncode == 0, rerun.stderr
    anns = by_identity(sim, "ann@")
    assert len([k for k in anns if sim.issues[k].status != "Done"]) == 1, anns
    if resolution == "Won't Do":
        assert sim.issues[ann].status == "Done", "reopened a ticket a person closed as Won't Do"
    for k in anns:
        ck = comment_keys(sim, k)
        assert len(ck) == len(set(ck)), ck
    assert intents(tmp_path) == 0


def test_json_log_lines_of_peoples_actions_carry_the_ticket_and_fingerprint(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    import json
    import os
    import subprocess
    import sys

    sim, mail = jira_cloud, tmp_path / "mail"
    config = write_config(tmp_path, sim.url)
    now = datetime.now(UTC)
    one_report(mail, now - timedelta(hours=5), [ANN, BOB], "r0")
    assert replay(config, mail).returncode == 0
    (ann,), (bob,) = by_identity(sim, "ann@"), by_identity(sim, "bob@")
    sim.resolve_by_hand(ann, "Won't Do")
    sim.delete_by_hand(bob)
    one_report(mail, now + timedelta(hours=1), [ANN, BOB_MORE], "r1")
    env = dict(os.environ, DIRSYNC_JIRA_TOKEN="t0k")
    env.pop("DIRSYNC_BRIDGE_CRASH_AT", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dirsync_bridge",
            "--config",
            str(config),
            "--log-format",
            "json",
            "-v",
            "replay",
            "--sink",
            "jira",
            str(mail),
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
