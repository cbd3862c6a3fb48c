"""Archives replayed into Jira one report per run, in orders other than chronological: the
tickets must end as a chronological replay into the local store leaves them (statuses and
the comments' keys), superseded tickets aside."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.pipeline import replay

from ..simulators.jira import JiraSimulator
from .test_jira_faults import ANN, ANN_MORE, BOB
from .test_jira_sink import (
    jira_config,
    jira_tickets,
    local_reference,
    one_report,
    outcome_leftovers,
)

START = datetime(2021, 5, 3, 9, tzinfo=UTC)
CAROL = ("carol@contoso.com", BOB[1].replace("bob@", "carol@"))


def history(mail: Path) -> list[Path]:
    """Ann: seen, changed, absent twice, back (not resolved); seen gone three times later
    (resolved), back after the reopen window (a new ticket). Bob and Carol all along."""
    at = [0, 3, 6, 9, 12, 15, 18, 21, 24 * 40]
    who = [
        [ANN, BOB],
        [ANN_MORE, BOB, CAROL],
        [BOB, CAROL],
        [BOB],
        [ANN_MORE, BOB, CAROL],
        [BOB, CAROL],
        [BOB, CAROL],
        [BOB, CAROL],
        [ANN, BOB, CAROL],
    ]
    return [
        one_report(mail, START + timedelta(hours=h), rows, f"r{n}")
        for n, (h, rows) in enumerate(zip(at, who, strict=True))
    ]


def comparable(tickets: dict[str, dict[str, object]]) -> dict[str, tuple[object, ...]]:
    out = {}
    for key, t in tickets.items():
        comments = t["comments"]
        keys = sorted(comments) if isinstance(comments, dict) else comments
        if any(":superseded:" in k for k in keys):  # type: ignore[union-attr]
            continue
        out[key] = (t["status"], t["summary"], tuple(keys))  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_one_report_a_run_in_any_order_into_jira_ends_as_chronological(
    tmp_path: Path, jira_server: JiraSimulator, seed: int
) -> None:
    paths = history(tmp_path / "mail")
    expected = comparable(local_reference(tmp_path, paths))
    assert len(expected) == 4 and any(v[2] for v in expected.values())
    order = paths[:]
    random.Random(seed).shuffle(order)
    config = jira_config(jira_server, tmp_path / "state")
    for path in order:
        replay([path], config, env={"DIRSYNC_JIRA_TOKEN": jira_server.pat})
    found = comparable(jira_tickets(jira_server))
    assert found == expected, [p.name for p in order]
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
