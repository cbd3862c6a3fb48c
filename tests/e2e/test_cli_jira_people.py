"""A run killed right after a Jira write, then a person acts in Jira before the rerun.

The rerun settles the write by reading the ticket; what it finds a person did there is the
person's, learned with its name and time and folded in like any resolution: no reopen
without a new sighting, and never a reopen of Won't Do.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.crashpoints import ENV_VAR
from dirsync_bridge.ledger.store import Ledger

from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator

CLI = [sys.executable, "-m", "dirsync_bridge"]
START = datetime(2021, 5, 3, 9, tzinfo=UTC)


def write_config(tmp_path: Path, url: str, **jira: str) -> Path:
    settings = {
        "url": f'"{url}"',
        "project": '"OPS"',
        "email": '"bot@contoso.com"',
        "search_lag": '"0s"',
        "retry_for": '"3s"',
        **jira,
    }
    lines = [
        "[state]",
        f'path = "{tmp_path / "state" / "state.db"}"',
        "[trust]",
        'forwarders = ["it-admin@contoso.com"]',
        "[sink]",
        'kind = "jira"',
        "[jira]",
        *(f"{k} = {v}" for k, v in settings.items()),
    ]
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def replay(config: Path, mail: Path, crash: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    env["DIRSYNC_JIRA_TOKEN"] = "t0k"
    if crash is not None:
        env[ENV_VAR] = crash
    return subprocess.run(
        [*CLI, "--config", str(config), "replay", "--sink", "jira", str(mail)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def report(mail: Path, at: datetime, name: str, *values: str) -> None:
    mail.mkdir(parents=True, exist_ok=True)
    row = ("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com", *values))
    (mail / f"{name}.eml").write_bytes(report_email("Contoso", at, [row], f"{name}@jira.test"))


def intents(tmp_path: Path) -> int:
    ledger = Ledger.open(tmp_path / "state" / "state.db")
    try:
        return len(ledger.pending_intents())
    finally:
        ledger.close()


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("resolution", ["Won't Do", "Done"])
def test_a_person_resolves_a_ticket_whose_comment_write_was_cut_short_and_it_stays_resolved(
    tmp_path: Path, jira_cloud: JiraSimulator, resolution: str, how: str
) -> None:
    sim, mail = jira_cloud, tmp_path / "mail"
    config = write_config(tmp_path, sim.url)
    report(mail, START, "r0")
    assert replay(config, mail).returncode == 0
    (ann,) = sim.issues

    # Values added: the summary and description refreshed with the comment that says why
    # (one write: an edit that adds a comment), cut short.
    report(mail, START + timedelta(hours=3), "r1", "smtp:a@b.com")
    crashed = replay(config, mail, crash=f"after-sink-write:1:{how}")
    assert crashed.returncode in (-signal.SIGKILL, 130), crashed.stderr
    assert len(sim.issues[ann].comments) == 1  # the comment reached Jira, not the ledger
    assert intents(tmp_path) == 1

    sim.resolve_by_hand(ann, resolution)  # before the next run
    rerun = replay(config, mail)
    assert rerun.returncode == 0, rerun.stderr
    # No sighting came after the person's resolution: the ticket stays as they left it.
    assert (sim.issues[ann].status, sim.issues[ann].resolution) == ("Done", resolution)
    assert len(sim.issues[ann].comments) == 1 and list(sim.issues) == [ann]
    assert intents(tmp_path) == 0

    if resolution == "Done":
        # The person's resolution is a resolution like any other: a new sighting reopens it.
        report(mail, datetime.now(UTC) + timedelta(hours=1), "r2", "smtp:a@b.com")
        assert replay(config, mail).returncode == 0
        assert sim.issues[ann].status == "To Do" and list(sim.issues) == [ann]
