"""One ledger, one sink: ``--sink`` naming the other sink than the ledger's tickets live in.

A ledger records which sink its tickets were written to. Run with the other one, it used to
go on as if those tickets were there: after one ``replay --sink local``, ``replay --sink
jira`` counted the LOCAL-n tickets as written and gave those problems no Jira ticket, and
the other way round the advice was ``tickets rebuild``, which then refused. Now either
way is one line saying where the tickets are and what to do, exit 2, nothing written.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dirsync_bridge.ledger.store import Ledger

from ..simulators.jira import JiraSimulator
from .test_cli_jira_people import CLI, replay, report, write_config

START = datetime(2021, 5, 3, 9, tzinfo=UTC)
Done = subprocess.CompletedProcess[str]


def replay_with(config: Path, mail: Path, sink: str, *more: str) -> Done:
    env = {**os.environ, "DIRSYNC_JIRA_TOKEN": "t0k"}
    return subprocess.run(
        [*CLI, "--config", str(config), "replay", "--sink", sink, *more, str(mail)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def refusal(done: Done, where: str, use: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "error:" in line]
    assert f"tickets are in {where}" in line and f"--sink {use}" in line, line
    assert "tickets rebuild" not in line
    return line


def messages(tmp_path: Path) -> dict[str, int]:
    ledger = Ledger.open(tmp_path / "state" / "state.db")
    try:
        return ledger.counts()
    finally:
        ledger.close()


def test_a_local_replay_on_a_ledger_kept_for_jira_is_refused_and_jira_goes_on(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    config = write_config(tmp_path, sim.url)
    report(mail, START, "r0")
    assert replay(config, mail).returncode == 0
    (ann,) = sim.issues
    before = messages(tmp_path)

    report(mail, START + timedelta(hours=3), "r1", "smtp:a@b.com")  # values added: a comment
    for more in ((), ("--dry-run",)):
        refusal(replay_with(config, mail, "local", *more), "Jira", "jira")
    assert messages(tmp_path) == before  # nothing read, nothing recorded

    assert replay(config, mail).returncode == 0  # what the line says to do
    assert list(sim.issues) == [ann] and len(sim.issues[ann].comments) == 1


def test_a_jira_replay_on_a_ledger_kept_for_the_local_store_is_refused(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    config = write_config(tmp_path, sim.url)
    report(mail, START, "r0")
    assert replay_with(config, mail, "local").returncode == 0

    report(mail, START + timedelta(hours=3), "r1", "smtp:a@b.com")
    for more in ((), ("--dry-run",)):
        line = refusal(replay_with(config, mail, "jira", *more), "the local ticket store", "local")
        assert "[state] path" in line  # or a new ledger, for Jira
    assert sim.issues == {} and sim.log.count() == 0  # Jira was never asked anything

    # The other way out it names: a new ledger, into which the reports are replayed.
    (tmp_path / "fresh").mkdir()
    fresh = write_config(tmp_path / "fresh", sim.url)
    assert replay(fresh, mail).returncode == 0
    (ann,) = sim.issues
    assert len(sim.issues[ann].comments) == 1


def test_a_ledger_without_tickets_yet_takes_either_sink(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    config = write_config(tmp_path, sim.url)
    mail.mkdir()
    (mail / "junk.eml").write_bytes(b"From: someone@example.com\nSubject: hi\n\nnot a report\n")
    assert replay_with(config, mail, "local").returncode == 1  # rejected: no ticket
    report(mail, START, "r0")
    assert replay(config, mail).returncode in (0, 1)
    assert len(sim.issues) == 1


def test_tickets_rebuild_on_a_ledger_kept_for_jira_says_there_is_no_local_store(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    report(mail, START, "r0")
    assert replay(write_config(tmp_path, sim.url), mail).returncode == 0
    local = tmp_path / "local.toml"  # the same ledger, [sink] kind = "local"
    local.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    done = subprocess.run(
        [*CLI, "--config", str(local), "tickets", "rebuild"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "error:" in line]
    assert "tickets are in Jira" in line and "none to rebuild" in line
    assert not (tmp_path / "state" / "tickets.db").exists()
