"""A stale link the tool removed once, re-made by a person, stays (review rev38).

After a merge's trade, B1 (a later ticket) is unlinked from B0 (the earlier ticket the trade
displaced; ``test_merge_trade_episodes``). A person who links B1 to B0 again, with the tool's
own link type, means it: the ledger records each unlink done, and the tool unlinks a given
(ticket, target) pair at most once. Before, the link was deleted again as soon as the tool
read B1's links back (settling another write's lost answer, or a crashed run's intent).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.crashpoints import ENV_VAR
from dirsync_bridge.errors import Retriable
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay
from dirsync_bridge.sinks.local import LocalStore
from dirsync_bridge.sinks.local_schema import IN_LEDGER

from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator
from .conftest import local_tickets
from .jira_scenes import answered_by, came_back_in_jira, came_back_in_the_store, linked
from .test_cross_source import OBJECTS, START, write
from .test_jira_sink import TEAM_FIELD, until_settled
from .test_merge_first_ticket import BY_IDENTITY

BOB = OBJECTS[1][0]


def without_ann(folder: Path) -> list[Path]:
    """Three reports after the merge without ann: B1 gets its resolved comment."""
    rows = [(BOB, duplicate("UserPrincipalName", BOB))]
    return [
        write(
            folder,
            f"later{hour}.eml",
            report_email("Contoso", START + timedelta(days=41, hours=hour), rows, f"l{hour}"),
        )
        for hour in (3, 4, 5)
    ]


def test_in_jira_a_link_a_person_makes_again_after_the_unlink_stays(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """The trade unlinked B1 from B0; a person links them again (the tool's link type).
    The next pass comments on B1, the answer lost after Jira took it: settling it reads
    B1's links, the person's among them. That link stays, and a replay writes nothing."""
    sim = jira_cloud
    trade = came_back_in_jira(tmp_path, sim, merged=True)
    a0, b0, b1 = trade.keys
    assert linked(sim, b1) == [a0]  # the trade's unlink
    sim.model.link(
        {"type": {"name": "Relates"}, "inwardIssue": {"key": b0}, "outwardIssue": {"key": b1}}
    )
    later = without_ann(tmp_path / "in")
    sim.faults.break_next("comment", "drop", reaches_jira=True)
    sim.reset_log()
    summary = replay(later, trade.config, env=trade.env)
    assert summary.attention == summary.unconfirmed == [], summary
    assert sim.issues[b1].status == "Done"  # the pass did write to B1
    assert linked(sim, b1) == [a0, b0], [(r.method, r.path) for r in sim.log.writes()]
    trade.rerun_writes_nothing(*later)
    assert linked(sim, b1) == [a0, b0]


def test_in_jira_a_link_a_person_makes_again_after_a_run_killed_past_the_unlink_stays(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """The pass of the merge is killed (SIGKILL) after Jira deleted B1's link to B0 and
    before the ledger recorded it; a person links B1 to B0 again. The next pass settles the
    unlink by reading B1's links: the link is there, and stays (the unlink's record was
    written with its intent, before the DELETE); a replay writes nothing."""
    sim = jira_cloud
    trade = came_back_in_jira(tmp_path, sim)
    a0, b0, b1 = trade.keys
    config_file = tmp_path / "jira.toml"
    config_file.write_text(
        f'[state]\npath = "{trade.config.state.path}"\n[tenants]\ndefault = "Contoso"\n'
        f'[sink]\nkind = "jira"\n[jira]\nurl = "{sim.url}"\nproject = "OPS"\n'
        f'email = "{sim.email}"\nsearch_lag = "0s"\ncomponents = ["Identity"]\n'
        f'[jira.fields]\n{TEAM_FIELD} = "Identity team"\n'
    )
    release = threading.Event()
    real = sim._route

    def held(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        answer = real(method, path, query, body)
        if method == "DELETE" and path.startswith("issueLink/"):
            release.wait(60)  # done in Jira; the answer waits for the kill
        return answer

    sim._route = held  # type: ignore[method-assign]
    command = [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file)]
    quiet = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    process = subprocess.Popen(
        [*command, "replay", str(trade.cs)],
        env={**quiet, **trade.env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while b0 in linked(sim, b1) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert linked(sim, b1) == [a0]  # Jira did the DELETE
        process.send_signal(signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        release.set()
        sim._route = real  # type: ignore[method-assign]
        if process.poll() is None:
            process.kill()
            process.wait()
    sim.model.link(
        {"type": {"name": "Relates"}, "inwardIssue": {"key": b0}, "outwardIssue": {"key": b1}}
    )
    sim.reset_log()
    summary = trade.replay([trade.cs])
    assert summary.attention == summary.unconfirmed == [], summary
    assert linked(sim, b1) == [a0, b0], [(r.method, r.path) for r in sim.log.writes()]
    trade.rerun_writes_nothing()
    assert linked(sim, b1) == [a0, b0]


def test_in_jira_an_unlink_whose_read_of_the_links_fails_is_sent_by_a_later_run(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """The read of B1's links before the DELETE fails (HTTP 502, past the retries): no
    DELETE left, so the unlink is not counted as sent, and a later run deletes the link
    (an unlink of unknown outcome is never sent again: this one's outcome is known)."""
    sim = jira_cloud
    trade = came_back_in_jira(tmp_path, sim, retry_for="2s")
    a0, b0, b1 = trade.keys
    real = sim._route

    def failing(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        if method == "GET" and path == f"issue/{b1}" and query.get("fields") == ["issuelinks"]:
            return 502, {"errorMessages": ["Bad gateway"]}, {}
        return real(method, path, query, body)

    with answered_by(sim, failing), pytest.raises(Retriable):
        trade.replay([trade.cs])
    assert b0 in linked(sim, b1)  # nothing deleted
    until_settled([*trade.runs, trade.cs], trade.config, trade.env)
    assert linked(sim, b1) == [a0]


def test_in_the_local_store_an_unlink_is_recorded_and_never_sent_again(
    tmp_path: Path,
) -> None:
    """The same in the local store: a person puts B0 back among B1's links; a write to B1
    left unfinished (its intent, as a crashed run of a release with a store of its own left
    it) is settled by reading B1 from the store. The replays after it send no second unlink,
    and the ledger records the one the trade made. (The store's links column is part of the
    content the tool writes: the refresh the settle calls for writes it whole, B1 linked
    to A0 alone, as before this change: a local ticket has no person's links to keep.)"""
    config, runs, cs, (a0, b0, b1) = came_back_in_the_store(tmp_path, merged=True)
    assert {t.key: t for t in local_tickets(config)}[b1.key].content.links == (a0.key,)
    conn = sqlite3.connect(config.state.path)
    with conn:  # the person's edit
        conn.execute(
            f"UPDATE {IN_LEDGER.tickets} SET links = ? WHERE key = ?",
            (f'["{a0.key}", "{b0.key}"]', b1.key),
        )
    conn.close()
    ledger = Ledger.open(config.state.path)
    try:
        ledger.begin(BY_IDENTITY, 1, b1.idempotency_key, "put-comment 1:note:0")
    finally:
        ledger.close()
    sent = [*replay([*runs, cs], config).writes, *replay([*runs, cs], config).writes]
    assert not [w for w in sent if w.startswith("unlink")], sent
    conn = sqlite3.connect(config.state.path)
    try:
        rows = conn.execute("SELECT ticket, target, ticket_key, intent FROM unlinks").fetchall()
    finally:
        conn.close()
    assert rows == [(b1.idempotency_key, b0.key, b1.key, None)], rows


def test_in_jira_an_unlink_left_unfinished_by_an_earlier_release_is_not_sent_again(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """A ledger upgraded from a release before 0021-unlinks: that release's run was killed
    past the DELETE of B1's link to B0, its intent left (no unlinks row: the table is new).
    A person links B1 to B0 again. The next pass settles the intent (said, left alone) and
    must not then send the unlink again: the unlink of unknown outcome counts as sent
    (review rev42: it was sent again at once, the person's link deleted)."""
    sim = jira_cloud
    trade = came_back_in_jira(tmp_path, sim, merged=True)
    a0, b0, b1 = trade.keys
    assert linked(sim, b1) == [a0]  # the trade's unlink
    conn = sqlite3.connect(trade.config.state.path)
    with conn:
        fingerprint, episode, ticket = conn.execute(
            "SELECT fingerprint, episode, idempotency_key FROM tickets WHERE key = ?", (b1,)
        ).fetchone()
    conn.close()
    ledger = Ledger.open(trade.config.state.path)
    try:
        ledger.begin(fingerprint, episode, ticket, f"unlink {b0}")
    finally:
        ledger.close()
    conn = sqlite3.connect(trade.config.state.path)
    with conn:  # as the migration leaves a ledger of the earlier release: no unlink recorded
        conn.execute("DELETE FROM unlinks")
    conn.close()
    sim.model.link(
        {"type": {"name": "Relates"}, "inwardIssue": {"key": b0}, "outwardIssue": {"key": b1}}
    )
    sim.reset_log()
    summary = trade.replay([trade.cs])
    assert summary.attention == summary.unconfirmed == [], summary
    assert linked(sim, b1) == [a0, b0], [(r.method, r.path) for r in sim.log.writes()]
    trade.rerun_writes_nothing()
    assert linked(sim, b1) == [a0, b0]


def test_in_the_local_store_an_unlink_that_fails_is_settled_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The store in the ledger's file: the trade's unlink of B1 from B0 fails with a
    temporary error (its outcome unknown to the writer; its savepoint undone). The pass
    stops with its intent and its record kept; the next run settles it by reading B1 from
    the store: the link is gone (the refresh before it in the same commit wrote B1's links
    whole), so it is recorded, no warning; a replay writes nothing (review rev44 feared
    the intent was never settled: pinned here, it is)."""
    config, runs, cs, (a0, b0, b1) = came_back_in_the_store(tmp_path)

    def failing(self: LocalStore, key: str, to: str) -> None:
        # As ``sqlite`` names a write's failure on a disk with no room left: temporary.
        raise Retriable(f"{config.state.path}: disk I/O error (the disk is full)")

    with monkeypatch.context() as patch:
        patch.setattr(LocalStore, "unlink", failing)
        with pytest.raises(Retriable):
            replay([cs], config)
    conn = sqlite3.connect(config.state.path)
    try:
        assert [r[0] for r in conn.execute("SELECT operation FROM intents")] == [f"unlink {b0.key}"]
        kept = conn.execute("SELECT target, intent FROM unlinks").fetchall()
        assert [(target, intent is not None) for target, intent in kept] == [(b0.key, True)]
    finally:
        conn.close()
    again = replay([cs], config)
    assert again.attention == again.unconfirmed == [], again
    assert {t.key: t for t in local_tickets(config)}[b1.key].content.links == (a0.key,)
    conn = sqlite3.connect(config.state.path)
    try:
        assert conn.execute("SELECT * FROM intents").fetchall() == []
        assert conn.execute("SELECT target, intent FROM unlinks").fetchall() == [(b0.key, None)]
    finally:
        conn.close()
    assert not [r for r in caplog.records if "left alone" in r.getMessage()]
    assert replay([*runs, cs], config).writes == []
