"""The Graph client secret and the access tokens never appear in any output, at every
log level (-v, -vv, JSON logs), for `run`, `run --dry-run` and `doctor`, good or wrong
secret."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ..conftest import REPORTS
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_ID, CLIENT_SECRET, MAILBOX, TENANT_ID
from ..simulators.graph.wire import GraphError
from .conftest import cli_with_config_file


def _config(tmp_path: Path, sim: GraphSimulator) -> Path:
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
        f'[graph]\ntenant_id = "{TENANT_ID}"\nclient_id = "{CLIENT_ID}"\n'
        f'authority_url = "{sim.url}"\ngraph_url = "{sim.url}"\nca_bundle = "{sim.ca_path}"\n'
        'retry_for = "3s"\ntimeout = 5.0\n'
        f'[source.mailbox]\nmailbox = "{MAILBOX}"\n'
        f'[metrics]\ntextfile = "{tmp_path / "m.prom"}"\n'
    )
    return path


def _cli(config: Path, secret: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIRSYNC_GRAPH_SECRET": secret}
    return cli_with_config_file(config, *args, env=env, timeout=90)


@pytest.mark.parametrize("secret", [CLIENT_SECRET, "Wr0ng~Secret.value-9876"])
def test_no_secret_or_token_in_any_output_at_any_level(
    tmp_path: Path, graph_sim: GraphSimulator, secret: str
) -> None:
    graph_sim.add_message(
        MAILBOX,
        "inbox",
        (REPORTS / "aadsync_th_thead.eml").read_bytes(),
        received=datetime.now(UTC),
    )
    config = _config(tmp_path, graph_sim)
    outputs = []
    for args in (
        ["-vv", "run", "--dry-run"],
        ["-vv", "--log-format", "json", "run"],
        ["-v", "run"],
        ["-vv", "doctor"],
        ["-vv", "--log-format", "json", "doctor"],
    ):
        done = _cli(config, secret, *args)
        assert "Traceback" not in done.stderr or "-vv" in args
        outputs.append(done.stdout + done.stderr)
    metrics = tmp_path / "m.prom"
    if metrics.exists():
        outputs.append(metrics.read_text())
    outputs.append(
        (tmp_path / "state" / "state.db").read_bytes().decode("latin-1")
        if (tmp_path / "state" / "state.db").exists()
        else ""
    )
    tokens = list(graph_sim.login.tokens)
    if secret == CLIENT_SECRET:
        assert tokens  # the runs did sign in
    everything = "\n".join(outputs)
    assert secret not in everything
    for token in tokens:
        assert token not in everything


def test_an_access_token_echoed_in_a_graph_error_is_never_shown(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bearer token is a credential too (an hour of the app's permissions): a gateway
    echoing the request headers in a Graph error showed it (rev24 review, defect 6)."""
    issued: list[str] = []
    real_bearer = graph_sim.login.bearer

    def bearer(authorization: str) -> Any:
        token = real_bearer(authorization)
        issued.append(token.value)
        raise GraphError(400, "BadRequest", f"Bad request headers: Authorization: {authorization}")

    monkeypatch.setattr(graph_sim.login, "bearer", bearer)
    for args in (["run"], ["-vv", "--log-format", "json", "run"]):
        done = _cli(_config(tmp_path, graph_sim), CLIENT_SECRET, *args)
        out = done.stdout + done.stderr
        assert issued and "Bad request headers" in out, out
        assert all(token not in out for token in issued), out
