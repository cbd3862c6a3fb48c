"""Graph's ``/organization`` name as the scan's tenant: blank, it takes ``[tenants] default``
or the scan is refused ``no-tenant``, never filed under a blank tenant (issue 13's review)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..e2e.test_cli_provisioning import config_file
from ..simulators.graph.server import GraphSimulator
from .test_provisioning import ENV, quarantine_three

BIN = [sys.executable, "-m", "dirsync_bridge"]


def cli(conf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIRSYNC_BRIDGE_CONFIG": str(conf), **ENV}
    done = subprocess.run([*BIN, *args], env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def tickets(conf: Path) -> list[dict[str, str]]:
    done = cli(conf, "tickets", "--status", "all", "--format", "json")
    assert done.returncode == 0, done.stderr
    found: list[dict[str, str]] = json.loads(done.stdout)
    return found


def scan(
    tmp_path: Path, graph_sim: GraphSimulator, name: str | None = None, more: str = ""
) -> Path:
    """Three quarantined objects on a Graph whose organisation is called ``name`` (None: the
    simulator's own name), and a configuration for it with ``more`` lines added."""
    quarantine_three(graph_sim)
    if name is not None:
        graph_sim.organization_name = name
    conf = config_file(tmp_path, graph_sim)
    conf.write_text(conf.read_text() + more)
    return conf


def renamed_after_a_pass(tmp_path: Path, graph_sim: GraphSimulator, more: str = "") -> None:
    """A pass, then the organisation renamed (``more`` added to the configuration) and two
    passes more: the three tickets stay, open, under the first name."""
    conf = scan(tmp_path, graph_sim)
    assert cli(conf, "run").returncode == 0
    graph_sim.organization_name = "Contoso Holdings"
    conf.write_text(conf.read_text() + more)
    for _ in range(2):
        assert cli(conf, "run").returncode == 0
    got = tickets(conf)
    assert len(got) == 3, [(t["key"], t["tenant"], t["status"]) for t in got]
    assert {(t["tenant"], t["status"]) for t in got} == {("Contoso", "open")}


@pytest.mark.parametrize("name", ["", "   "])
def test_a_blank_organization_name_refuses_the_scan_no_tenant(
    tmp_path: Path, graph_sim: GraphSimulator, name: str
) -> None:
    conf = scan(tmp_path, graph_sim, name)
    done = cli(conf, "run")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "no-tenant" in done.stderr and "[tenants] default" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert tickets(conf) == []


def test_a_blank_organization_name_takes_the_configured_default(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    conf = scan(tmp_path, graph_sim, "", '[tenants]\ndefault = "Contoso"\n')
    assert cli(conf, "run").returncode == 0
    got = tickets(conf)
    assert len(got) == 3 and {t["tenant"] for t in got} == {"Contoso"}, got


def test_an_organization_renamed_and_aliased_keeps_its_tickets(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    renamed_after_a_pass(
        tmp_path, graph_sim, '[tenants.aliases]\n"Contoso Holdings" = ["Contoso"]\n'
    )


def test_an_organization_renamed_between_passes_keeps_one_ticket_per_object(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    # No alias: /organization's id (the tenant's) says the new name is the same tenant.
    renamed_after_a_pass(tmp_path, graph_sim)
