"""`run` as cron runs it, Graph's ``/organization`` answered without the organization (a
gateway's ``{}``): one line and exit 75 (the scan is incomplete, the next pass reads again),
never ``no-tenant`` with advice to set ``[tenants] default`` (exit 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..integration.test_provisioning import quarantine_three
from ..simulators.graph import directory
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.wire import Reply
from .test_cli_provisioning import config_file
from .test_cli_run import cli


def test_an_organization_answer_without_its_value_list_is_75_in_one_line(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """It used to say ``no-tenant`` and tell the admin to set ``[tenants] default``, exit 1."""
    quarantine_three(graph_sim)
    monkeypatch.setattr(directory, "_organization", lambda *a, **k: Reply(200, {}))
    done = cli(config_file(tmp_path, graph_sim), "run")
    assert done.returncode == 75, (done.returncode, done.stderr)
    assert done.stderr.count("\n") == 1, done.stderr
    assert "read the tenant's name (/organization): a page came without its value" in done.stderr
    assert "no-tenant" not in done.stderr and "[tenants] default" not in done.stderr
