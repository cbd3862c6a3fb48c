"""An upstream that echoes the request (a TLS-inspecting gateway in front of the login
host, a misbehaving identity proxy) in its OAuth error: Entra's `error_description` is shown
(up to 300 characters), but the client secret the tool sent is `***` in it. design.md:
secrets never in logs or errors, whatever the upstream says."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest

from ..simulators.graph.login import aad_error
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_ID, CLIENT_SECRET, MAILBOX, TENANT_ID
from .conftest import cli_with_config_file


def _run(
    tmp_path: Path, graph_sim: GraphSimulator, secret: str, command: str
) -> subprocess.CompletedProcess[str]:
    """``command`` against the simulator, signing in with ``secret``."""
    config = tmp_path / "c.toml"
    config.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
        f'[graph]\ntenant_id = "{TENANT_ID}"\nclient_id = "{CLIENT_ID}"\n'
        f'authority_url = "{graph_sim.url}"\ngraph_url = "{graph_sim.url}"\n'
        f'ca_bundle = "{graph_sim.ca_path}"\nretry_for = "2s"\ntimeout = 5.0\n'
        f'[source.mailbox]\nmailbox = "{MAILBOX}"\n'
    )
    env = {**os.environ, "DIRSYNC_GRAPH_SECRET": secret}
    return cli_with_config_file(config, command, env=env, cwd=tmp_path)


@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_login_error_that_echoes_the_request_never_shows_the_secret(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    def echoing(tenant: str, form: dict[str, str], base_url: str):  # type: ignore[no-untyped-def]
        return aad_error(400, "invalid_request", 900144, f"Malformed request: {urlencode(form)}")

    monkeypatch.setattr(graph_sim.login, "token", echoing)
    done = _run(tmp_path, graph_sim, CLIENT_SECRET, command)
    assert done.returncode == 2, done.stdout + done.stderr
    out = done.stdout + done.stderr
    assert CLIENT_SECRET not in out and urlencode({"s": CLIENT_SECRET})[2:] not in out, out


def test_a_secret_echoed_in_json_with_escaped_slashes_is_never_shown(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entra client secrets may hold '/' (older ones are base64-like). A proxy echoing the
    request as JSON the PHP/Java way writes '/' as '\\/' (rev24 review, defect 5)."""
    secret = "Q1w/E2r/T3y~U4i.O5p_A6s-D7f"

    def echoing(tenant: str, form: dict[str, str], base_url: str):  # type: ignore[no-untyped-def]
        echoed = json.dumps(form).replace("/", "\\/")
        return aad_error(400, "invalid_request", 900144, f"Malformed request: {echoed}")

    monkeypatch.setattr(graph_sim.login, "token", echoing)
    done = _run(tmp_path, graph_sim, secret, "run")
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "client_secret" in out, out  # the echo is shown...
    assert secret.replace("/", "\\/") not in out and "T3y~U4i" not in out, out  # ...masked
