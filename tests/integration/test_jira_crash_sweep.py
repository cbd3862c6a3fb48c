"""SIGKILL (and SIGTERM) at each passage of the write crash points of one pass that makes
bulk creates and then comments and transitions four in flight; a rerun must end exactly as
a clean run: one issue per problem, no comment twice, the same statuses."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ..reportgen import duplicate
from ..simulators.jira import JiraSimulator
from .test_jira_bulk import crash_runs, rows
from .test_jira_sink import jira_tickets, one_report

START = datetime(2021, 5, 3, 9, tzinfo=UTC)


def history(mail: Path) -> None:
    """60 problems; 5 of them change, then are absent from three reports (resolved)."""
    everyone = rows(60)
    one_report(mail, START, everyone, "r0")
    changed = [
        (p, duplicate("ProxyAddresses", f"SMTP:{p}", "smtp:x@contoso.com")) for p, _ in everyone[:5]
    ]
    one_report(mail, START + timedelta(hours=3), changed + everyone[5:], "r1")
    for n in range(2, 5):
        one_report(mail, START + timedelta(hours=3 * n), everyone[5:], f"r{n}")


def shape(sim: JiraSimulator) -> dict[str, Any]:
    return {
        key: (t["status"], t["summary"], t["comments"], len(sim.issues[t["issue"]].comments))
        for key, t in jira_tickets(sim).items()
    }


POINTS = [
    *(f"after-sink-write:{n}" for n in (1, 2, 3, 4, 5, 7, 9, 12, 15)),
    "after-bulk-create:1",
    "after-bulk-create:2",
    "after-sink-write:3:SIGTERM",
    "after-sink-write:8:SIGTERM",
    "after-bulk-create:1:SIGTERM",
    "after-bulk-create:2:SIGINT",
]


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_a_crash_at_each_write_of_a_mixed_pass_then_a_rerun_ends_as_a_clean_run(
    tmp_path: Path, jira_cloud: JiraSimulator, jira_server: JiraSimulator, point: str
) -> None:
    mail = tmp_path / "mail"
    history(mail)
    (tmp_path / "clean").mkdir()
    (tmp_path / "crash").mkdir()
    assert crash_runs(jira_server, tmp_path / "clean", mail, []) == [0]
    expected = shape(jira_server)
    assert len(expected) == 60

    sim = jira_cloud
    sim.faults.search_lag = 1.0
    codes = crash_runs(sim, tmp_path / "crash", mail, [point])
    want = 130 if point.endswith(("SIGTERM", "SIGINT")) else -signal.SIGKILL
    assert codes == [want, 0], codes
    assert shape(sim) == expected
