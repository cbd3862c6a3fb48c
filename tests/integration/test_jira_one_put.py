"""A refresh and its comment in one PUT: lost answers, kills, a comment refused for good (third
review).
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..e2e.test_cli_jira_people import intents, replay, write_config
from ..e2e.test_cli_jira_people import report as cli_report
from ..reportgen import duplicate
from ..simulators.jira import JiraSimulator
from .test_jira_faults import ANN, ANN_MORE, BOB, by_identity, ours, run
from .test_jira_sink import jira_config, one_report, outcome_leftovers

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


def markers(sim: JiraSimulator, key: str) -> list[str]:
    return [k for k in ours(sim.issues[key]) if k]


def settle(mail: Path, config, sim: JiraSimulator, times: int = 3) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        run(mail, config, sim)


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
    mail = tmp_path / "mail"
    config = jira_config(sim, tmp_path / "state")
    one_report(mail, START, [ANN, BOB], "r0")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    one_report(mail, START + timedelta(hours=3), [ANN_MORE, BOB], "r1")
    sim.faults.break_next("edit", outcome, reaches_jira=reaches_jira)  # type: ignore[arg-type]
    run(mail, config, sim)
    settle(mail, config, sim)
    issue = sim.issues[ann]
    assert "a@b.com" in issue.fields["description"], "the refresh was lost"
    ms = markers(sim, ann)
    assert len(ms) == len(set(ms)) == 1, f"comments: {ms}"
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
    sim.reset_log()
    run(mail, config, sim)
    assert sim.log.writes() == []


@pytest.mark.parametrize(("outcome", "reaches_jira"), LOST[:3], ids=IDS[:3])
def test_lost_refresh_then_another_change_before_the_rerun(
    tmp_path: Path, jira_cloud: JiraSimulator, outcome: int | str, reaches_jira: bool
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    config = jira_config(sim, tmp_path / "state")
    one_report(mail, START, [ANN, BOB], "r0")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    one_report(mail, START + timedelta(hours=3), [ANN_MORE, BOB], "r1")
    sim.faults.break_next("edit", outcome, reaches_jira=reaches_jira)  # type: ignore[arg-type]
    run(mail, config, sim)
    one_report(mail, START + timedelta(hours=6), [ANN_MORE2, BOB], "r2")
    settle(mail, config, sim)
    issue = sim.issues[ann]
    assert "z@y.com" in issue.fields["description"]
    ms = markers(sim, ann)
    assert len(ms) == len(set(ms)), f"duplicate comment: {ms}"
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


@pytest.mark.parametrize("person", ["edits", "deletes"])
def test_lost_refresh_then_a_person_touches_the_added_comment(
    tmp_path: Path, jira_cloud: JiraSimulator, person: str
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    config = jira_config(sim, tmp_path / "state")
    one_report(mail, START, [ANN, BOB], "r0")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    one_report(mail, START + timedelta(hours=3), [ANN_MORE, BOB], "r1")
    sim.faults.break_next("edit", 503, reaches_jira=True)
    run(mail, config, sim)
    issue = sim.issues[ann]
    assert len(issue.comments) == 1
    if person == "edits":
        c = issue.comments[0]
        c.body = "person wrote this instead\n\n" + c.body.splitlines()[-1]
    else:
        issue.comments.clear()
    settle(mail, config, sim)
    ms = markers(sim, ann)
    assert len(ms) == len(set(ms)) <= 1, f"comments: {ms}"
    assert "a@b.com" in sim.issues[ann].fields["description"]
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("point", ["after-sink-write:1", "after-sink-write:2"])
def test_killed_around_the_one_put_then_another_change(
    tmp_path: Path, jira_cloud: JiraSimulator, how: str, point: str
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    config = write_config(tmp_path, sim.url)
    cli_report(mail, START, "r0")
    assert replay(config, mail).returncode == 0
    (ann,) = sim.issues
    cli_report(mail, START + timedelta(hours=3), "r1", "smtp:a@b.com")
    crashed = replay(config, mail, crash=f"{point}:{how}")
    cli_report(mail, START + timedelta(hours=6), "r2", "smtp:a@b.com", "smtp:z@y.com")
    for _ in range(2):
        rerun = replay(config, mail)
    assert rerun.returncode == 0, (crashed.returncode, rerun.stderr)
    ms = markers(sim, ann)
    assert len(ms) == len(set(ms)), f"duplicate comment: {ms}"
    assert "z@y.com" in sim.issues[ann].fields["description"]
    assert list(sim.issues) == [ann]
    assert intents(tmp_path) == 0
    _ = signal


def test_comments_refused_for_good_still_lets_the_refresh_land(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """A bot with Edit Issues but not Add Comments (or a comment validator): before 6ad4944
    the refresh (a PUT of its own) landed and only the comment was refused; now the comment
    rides in the PUT and its refusal takes the refresh down with it, run after run."""
    sim, mail = jira_cloud, tmp_path / "mail"
    config = jira_config(sim, tmp_path / "state")
    one_report(mail, START, [ANN, BOB], "r0")
    run(mail, config, sim)
    (ann,) = by_identity(sim, "ann@")
    one_report(mail, START + timedelta(hours=3), [ANN_MORE, BOB], "r1")
    sim.faults.break_next("comment", 400, reaches_jira=False, times=20)
    for _ in range(3):
        run(mail, config, sim)
    assert "a@b.com" in sim.issues[ann].fields["description"], "the refresh never lands"


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_sigkill_sweep_over_a_pass_of_refreshes_and_creates(
    tmp_path: Path, jira_cloud: JiraSimulator, n: int
) -> None:
    from ..reportgen import report_email

    sim, mail = jira_cloud, tmp_path / "mail"
    mail.mkdir()
    config = write_config(tmp_path, sim.url)

    def put(name: str, at: datetime, rows: list[tuple[str, str]]) -> None:
        (mail / f"{name}.eml").write_bytes(report_email("Contoso", at, rows, f"{name}@jira.test"))

    put("r0", START, [ANN, BOB])
    assert replay(config, mail).returncode == 0
    carol = ("carol@contoso.com", duplicate("ProxyAddresses", "SMTP:carol@contoso.com"))
    bob_more = (
        "bob@contoso.com",
        duplicate("ProxyAddresses", "SMTP:bob@contoso.com", "smtp:q@r.com"),
    )
    put("r1", START + timedelta(hours=3), [ANN_MORE, bob_more, carol])
    replay(config, mail, crash=f"after-sink-write:{n}")
    for _ in range(2):
        rerun = replay(config, mail)
    assert rerun.returncode == 0, rerun.stderr
    for who in ("ann@", "bob@", "carol@"):
        keys = by_identity(sim, who)
        assert len(keys) == 1, (who, keys)
        ms = markers(sim, keys[0])
        assert len(ms) == len(set(ms)), (who, ms)
    assert "a@b.com" in sim.issues[by_identity(sim, "ann@")[0]].fields["description"]
    assert "q@r.com" in sim.issues[by_identity(sim, "bob@")[0]].fields["description"]
    assert intents(tmp_path) == 0
