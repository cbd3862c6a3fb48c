"""Graph's ``/organization`` answered without the organization (a gateway's or proxy's odd
200): no proof that the tenant has no name, so the scan is incomplete (exit 75), as a users
page without its ``value`` list is (reliability.md); never ``no-tenant``, never filed under
``[tenants] default``."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import DirsyncBridgeError, Retriable
from dirsync_bridge.pipeline import run

from ..simulators.graph import directory
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.wire import Reply
from .test_provisioning import ENV, prov_config, quarantine_three, tickets

pytestmark = pytest.mark.usefixtures("ca_bundle_env")

ODD_BODIES = [{}, {"value": None}, {"value": []}, {"value": "nope"}, {"value": [None]}]


def odd_organization(monkeypatch: Any, body: Any) -> None:
    """``GET /organization`` answers 200 with ``body``."""
    monkeypatch.setattr(directory, "_organization", lambda *a, **k: Reply(200, body))


@pytest.mark.parametrize("body", ODD_BODIES)
def test_an_organization_answer_without_its_value_list_is_incomplete_not_no_tenant(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any, body: Any
) -> None:
    """Temporary (``Retriable``, exit 75), not a ``no-tenant`` rejection that tells the admin
    to set ``[tenants] default`` (exit 1); nothing recorded; the next pass, answered
    properly, tickets every problem once."""
    quarantine_three(graph_sim)
    config = prov_config(graph_sim, tmp_path / "state")
    odd_organization(monkeypatch, body)
    with pytest.raises(Retriable, match="/organization") as raised:
        run(config, env=ENV)
    assert "\n" not in str(raised.value)
    monkeypatch.undo()
    summary = run(config, env=ENV)
    assert summary.created == 3 and summary.rejected == 0, summary
    assert len(tickets(config)) == 3


def test_an_organization_answer_without_its_value_list_never_files_the_scan_under_the_default(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """The tenant is ``Contoso Ltd`` (its /organization name); ``[tenants] default`` names
    the tenant of csexport files (``Contoso``). A pass whose /organization answer was a
    gateway's ``{}`` opens no second ticket set under the default."""
    quarantine_three(graph_sim)
    graph_sim.organization_name = "Contoso Ltd"
    config = prov_config(graph_sim, tmp_path / "state")
    config = config.model_copy(
        update={"tenants": config.tenants.model_copy(update={"default": "Contoso"})}
    )
    run(config, env=ENV)
    first = sorted(t["summary"] for t in tickets(config).values())
    assert len(first) == 3 and all(s.endswith("(Contoso Ltd)") for s in first), first
    odd_organization(monkeypatch, {})
    with contextlib.suppress(DirsyncBridgeError):
        run(config, env=ENV)
    after = sorted(t["summary"] for t in tickets(config).values())
    assert after == first, after
