"""Graph's ``/organization`` object present but without its name as a string (``{}``, its id
alone, ``displayName`` null or a number: a gateway or proxy stripping fields): no more proof
of a nameless tenant than ``{}`` is, so the scan is incomplete (exit 75), never filed under
``[tenants] default`` (a second set of tickets) nor refused ``no-tenant`` (exit 1). A blank
string name keeps its rule (test_provisioning_tenant.py)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import DirsyncBridgeError, Retriable
from dirsync_bridge.pipeline import run

from ..simulators.graph.server import GraphSimulator
from .test_provisioning import ENV, prov_config, quarantine_three, tickets
from .test_provisioning_organization import odd_organization

pytestmark = pytest.mark.usefixtures("ca_bundle_env")

BODIES = {
    "empty-object": {"value": [{}]},
    "id-only": {"value": [{"id": "84c31ca0-ac3b-4eae-ad11-519d80233e6f"}]},
    "name-null": {"value": [{"id": "84c31ca0", "displayName": None}]},
    "name-a-number": {"value": [{"id": "84c31ca0", "displayName": 7}]},
}


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_an_organization_without_its_name_never_files_the_scan_under_the_default(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any, body: Any
) -> None:
    quarantine_three(graph_sim)
    graph_sim.organization_name = "Contoso Ltd"
    config = prov_config(graph_sim, tmp_path / "state")
    config = config.model_copy(
        update={"tenants": config.tenants.model_copy(update={"default": "Contoso"})}
    )
    run(config, env=ENV)
    first = sorted(t["summary"] for t in tickets(config).values())
    assert len(first) == 3 and all(s.endswith("(Contoso Ltd)") for s in first), first
    odd_organization(monkeypatch, body)
    with contextlib.suppress(DirsyncBridgeError):
        run(config, env=ENV)
    after = sorted(t["summary"] for t in tickets(config).values())
    assert after == first, after


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_an_organization_without_its_name_is_incomplete_not_no_tenant(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any, body: Any
) -> None:
    quarantine_three(graph_sim)
    config = prov_config(graph_sim, tmp_path / "state")
    odd_organization(monkeypatch, body)
    try:
        summary = run(config, env=ENV)
    except Retriable as exc:
        assert "/organization" in str(exc) and "displayName" in str(exc), exc
        assert len(str(exc).splitlines()) == 1
    else:
        pytest.fail(f"not incomplete (75) but: rejected={summary.rejected} {summary.problems}")
