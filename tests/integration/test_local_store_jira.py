"""Hostile review rev17: the Jira sink after the local store moved into the ledger.

A Jira ledger gets the empty local_* tables; a create's intent must still be committed
(and durable) before its request leaves, never grouped with the writes of a batch.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dirsync_bridge.errors import DirsyncBridgeError
from dirsync_bridge.pipeline import replay

from ..conftest import REPORTS
from ..simulators.jira import JiraSimulator
from .conftest import make_config
from .test_crash import build_corpus
from .test_jira_sink import jira_config, token_env

CORPUS = sorted(REPORTS.glob("*.eml"))


def _value(state_db: Path, sql: str) -> int:
    """What ``sql`` reads from the ledger ``state_db`` (one number), read only."""
    conn = sqlite3.connect(f"file:{state_db}?mode=ro", uri=True)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def _committed_intents(state_db: Path) -> int:
    return _value(state_db, "SELECT count(*) FROM intents")


def test_every_jira_write_finds_its_intent_committed_when_it_arrives(
    jira_cloud: JiraSimulator, tmp_path: Path
) -> None:
    sim = jira_cloud
    corpus = tmp_path / "corpus"
    build_corpus(corpus, reports_per_tenant=8, seed=9)
    config = jira_config(sim, tmp_path / "state")
    seen: list[tuple[str, int]] = []
    take = sim.faults.take

    def watching(kind, *also):  # type: ignore[no-untyped-def]
        if kind in ("create", "edit", "comment", "transition"):
            seen.append((kind, _committed_intents(config.state.path)))
        return take(kind, *also)

    sim.faults.take = watching  # type: ignore[method-assign]
    replay([corpus], config, env=token_env(sim))
    assert any(kind == "create" for kind, _ in seen)
    assert [s for s in seen if s[1] == 0] == []  # every request: its intent already committed
    assert _value(config.state.path, "SELECT count(*) FROM local_tickets") == 0
    assert _committed_intents(config.state.path) == 0


def test_a_jira_ledger_run_with_the_local_sink_is_refused_and_writes_no_local_ticket(
    jira_cloud: JiraSimulator, tmp_path: Path
) -> None:
    sim = jira_cloud
    config = jira_config(sim, tmp_path / "state")
    replay(CORPUS[:4], config, env=token_env(sim))
    local = make_config(tmp_path / "state")  # same ledger, --sink local
    with pytest.raises(DirsyncBridgeError):
        replay(CORPUS, local)
    dry = replay(CORPUS, config, env=token_env(sim), dry_run=True)
    assert dry is not None
    assert _value(config.state.path, "SELECT count(*) FROM local_tickets") == 0
    assert _value(config.state.path, "SELECT revision FROM local_store") == 0
