"""Lifecycle version 3's refold on upgrade, Jira side (from the rev25 review).

The flapping "object IDs gone / added" comments the build before wrote are withdrawn
(DELETE). In a Jira project where the tool's account may not delete comments (no "Delete
Own Comments": never needed before the upgrade's refold), every pass stopped with a 403
whose line named "Browse, Create, Edit, Add Comments and Transition Issues", every one of
them granted, and not the one missing. Now a 403 names the permission its request needs
(``sinks/jira_wire.permission_needed``; each kind of request:
``tests/unit/test_jira_permissions.py``).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import Fatal
from dirsync_bridge.pipeline import replay

from ..simulators.jira import JiraSimulator
from .test_jira_sink import jira_config, token_env
from .test_object_ids_across_sources import _as_before, _file, _rules_back_to_lifecycle_2

folding = importlib.import_module("dirsync_bridge.lifecycle.fold")


def _config(sim: JiraSimulator, state: Path) -> Config:
    base = jira_config(sim, state)
    return base.model_copy(
        update={"tenants": base.tenants.model_copy(update={"default": "Contoso"})}
    )


def _upgrade_setup(
    tmp_path: Path, sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch
) -> tuple[Config, list[Path]]:
    """Five reports alternating email and csexport, replayed by the build before (its
    flapping comments), the ledger's rules set back to lifecycle 2; the sixth report and
    the config, for the upgraded build's pass."""
    plan = ["email", "cs", "email", "cs", "email", "cs"]
    paths = [_file(tmp_path / "in", n, kind) for n, kind in enumerate(plan)]
    config = _config(sim, tmp_path / "state")
    env = token_env(sim)
    with monkeypatch.context() as old:
        old.setattr(folding, "_carried", _as_before)
        for path in paths[:5]:
            replay([path], config, enrich=False, env=env)
    _rules_back_to_lifecycle_2(config)
    return config, paths


def test_upgrade_refold_in_jira_withdraws_the_flapping_comments(
    tmp_path: Path, jira_cloud: JiraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = jira_cloud
    config, paths = _upgrade_setup(tmp_path, sim, monkeypatch)
    (key,) = sim.issues
    assert len(sim.issues[key].comments) == 4
    replay([paths[5]], config, enrich=False, env=token_env(sim))
    after = [c.body for c in sim.issues[key].comments]
    assert len(after) == 1 and "added" in after[0], after
    sim.reset_log()
    replay([paths[5]], config, enrich=False, env=token_env(sim))
    assert sim.log.writes() == []


def test_upgrade_refold_when_jira_refuses_to_delete_comments(
    tmp_path: Path, jira_cloud: JiraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every DELETE of a comment answered 403: each pass stops, its line naming Delete Own
    Comments, the permission to grant; once granted, the next pass withdraws them."""
    sim = jira_cloud
    config, paths = _upgrade_setup(tmp_path, sim, monkeypatch)
    sim.faults.break_next("delete-comment", 403, times=1000)
    for _ in range(2):
        with pytest.raises(Fatal) as caught:
            replay([paths[5]], config, enrich=False, env=token_env(sim))
        said = str(caught.value)
        assert "withdraw a comment" in said and "HTTP 403" in said, said
        assert said.endswith("the account needs Delete Own Comments in the project"), said
    sim.faults.aimed.clear()  # the permission granted
    replay([paths[5]], config, enrich=False, env=token_env(sim))
    (key,) = sim.issues
    after = [c.body for c in sim.issues[key].comments]
    assert len(after) == 1 and "added" in after[0], after
