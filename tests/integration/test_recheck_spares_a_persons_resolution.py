"""The upgrade's re-check of earlier verifications spares a ticket a person resolved since.

Hostile review rev25: a person who closed the verified ticket with a resolution of their own
("Won't Do", straight away or after reopening it) adds no comment, so the re-check, which
looked only for a verification anywhere in the episode and a last "verified" comment,
reopened it, overriding a human decision ([jira] never_reopen). Only a ticket whose current
resolution is still the verification is re-checked (``ledger.reverify``), and the fold
withdraws nothing else (``lifecycle.outside``).
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from dirsync_bridge import bootstrap
from dirsync_bridge.config.settings import Config
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.lifecycle import REOPENED, VERIFIED
from dirsync_bridge.pipeline import run

from ..simulators.graph.fixtures import tool_settings
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from ..simulators.jira import JiraSimulator
from .test_jira_sink import token_env
from .test_verified_before_the_fix_is_rechecked import (
    ENV,
    _as_before_the_upgrade,
    _config,
    _directory,
    _verified_by_the_old_rule,
)


def _ann(ledger: Ledger) -> tuple[str, int]:
    for fp in ledger.conn.execute("SELECT fingerprint FROM problems"):
        if ledger.problem(fp[0]).identity == "ann@contoso.com":
            ep = ledger.conn.execute(
                "SELECT max(episode) FROM tickets WHERE fingerprint = ?", (fp[0],)
            ).fetchone()[0]
            return fp[0], int(ep)
    raise AssertionError("no ann")


def _ticket_status(ledger: Ledger, fp: str, ep: int) -> str:
    return str(
        ledger.conn.execute(
            "SELECT status FROM tickets WHERE fingerprint = ? AND episode = ?", (fp, ep)
        ).fetchone()[0]
    )


@pytest.mark.parametrize("reopen_first", [False, True], ids=["wont-do", "reopen-then-wont-do"])
def test_a_ticket_a_person_closed_as_wont_do_after_the_verification_is_not_reopened(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch, reopen_first: bool
) -> None:
    """The old release verifies ann (wrongly); a person then settles the ticket as "Won't
    Do" (recorded as ``ticket_sync.sync_people`` records it). The re-check leaves it."""
    _directory(graph_sim)
    cfg = _config(tmp_path, graph_sim)
    _verified_by_the_old_rule(cfg, monkeypatch)
    ledger = Ledger.open(cfg.state.path)
    ledger.use_rules(bootstrap.policy(cfg))
    try:
        fp, ep = _ann(ledger)
        verified_at = max(
            at for at, name in ledger.resolutions(fp)[ep] if name.startswith(VERIFIED)
        )
        if reopen_first:
            ledger.record_resolution(fp, ep, REOPENED, verified_at + timedelta(milliseconds=100))
        ledger.record_resolution(fp, ep, "Won't Do", verified_at + timedelta(milliseconds=200))
        assert _ticket_status(ledger, fp, ep) == "resolved"
    finally:
        ledger.close()
    _as_before_the_upgrade(cfg.state.path)
    time.sleep(1.0)  # the upgrade comes after the person's doing (not an assertion on time)

    upgraded = run(cfg, env=ENV)
    ledger = Ledger.open(cfg.state.path)
    try:
        status = _ticket_status(ledger, fp, ep)
        events = [name for _at, name in ledger.resolutions(fp).get(ep, [])]
        still_due = ledger.verified_to_recheck()
    finally:
        ledger.close()
    assert upgraded.reopened == 0, (upgraded.reopened, events)
    assert status == "resolved", events
    assert still_due is None  # the re-check (of bob alone) is done


def _jira_config(tmp_path: Path, graph_sim: GraphSimulator, jira: JiraSimulator) -> Config:
    settings = {"url": jira.url, "project": "OPS", "search_lag": "0s", "email": jira.email}
    return Config.model_validate(
        {
            "state": {"path": str(tmp_path / "state" / "state.db")},
            "graph": tool_settings(graph_sim, retry_for="20s"),
            "source": {"mailbox": {"mailbox": MAILBOX}},
            "tickets": {"verify_with_graph": True},
            "sink": {"kind": "jira"},
            "jira": settings,
        }
    )


def test_a_jira_ticket_a_person_corrected_to_wont_do_is_not_reopened_by_the_recheck(
    tmp_path: Path,
    graph_sim: GraphSimulator,
    jira_cloud: JiraSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """End to end in Jira: "Done" corrected by hand to "Won't Do" after the old release's
    verification, learned by the old release; the upgrade's re-check leaves it so."""
    sim = jira_cloud
    env = {**ENV, **token_env(sim)}
    _directory(graph_sim)
    cfg = _jira_config(tmp_path, graph_sim, sim)
    _verified_by_the_old_rule(cfg, monkeypatch, env)
    ann = next(
        k for k, i in sim.issues.items() if "ann@contoso.com" in str(i.fields.get("summary"))
    )
    time.sleep(1.1)  # Jira's times are in seconds: the correction comes after the verification
    sim.resolve_by_hand(ann, "Won't Do")
    time.sleep(1.1)
    run(cfg, env=env)  # the old release learns the correction
    _as_before_the_upgrade(cfg.state.path)
    assert (sim.issues[ann].status, sim.issues[ann].resolution) == ("Done", "Won't Do")

    upgraded = run(cfg, env=env)
    issue = sim.issues[ann]
    bodies = [str(c.body) for c in issue.comments]
    assert (issue.status, issue.resolution) == ("Done", "Won't Do"), bodies
    assert upgraded.reopened == 0
    assert not any("earlier verification" in b for b in bodies), bodies
