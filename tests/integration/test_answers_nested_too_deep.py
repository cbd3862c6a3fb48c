"""Graph and Jira answers holding JSON nested past the recursion limit (``[[[...]]]``
100,000 deep: a broken proxy, a faulty plugin). ``json`` raises RecursionError for them,
not the ValueError both clients treat as a bad answer: they were internal errors (exit 70).
Now each is a bad answer like a page that is not JSON: retried, then the run ends 75."""

from __future__ import annotations

import json as real_json
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dirsync_bridge.errors import Retriable
from dirsync_bridge.pipeline import replay

from ..e2e.test_cli_run import cli, config_file, deliver
from ..reportgen import duplicate, report_email
from ..simulators.graph import wire
from ..simulators.graph.server import GraphSimulator
from ..simulators.jira import JiraSimulator, transport
from .test_jira_sink import jira_config, token_env

DEEP = 100_000


def test_a_graph_answer_nested_past_the_recursion_limit_is_a_bad_answer_not_exit_70(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(graph_sim)
    real = wire.Reply.encode

    def deep(self: wire.Reply) -> bytes:
        out = real(self)
        if isinstance(self.body, dict) and "value" in self.body:  # every listing page
            return out[:-1] + b',"x":' + b"[" * DEEP + b"]" * DEEP + b"}"
        return out

    monkeypatch.setattr(wire.Reply, "encode", deep)
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    done = cli(config, "run")
    assert "internal error" not in done.stderr, done.stderr
    assert done.returncode == 75, done.stderr
    assert "nested too deep" in done.stderr, done.stderr


def test_a_jira_answer_nested_too_deep_is_a_retry_not_a_bug(
    tmp_path: Path, jira_server: JiraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every JSON object Jira answers (serverInfo first) nested too deep: retried for the
    budget, then Retriable (exit 75); not RecursionError, and not "not Jira" either (a
    site answering JSON too deep on every attempt is broken, not another web site)."""

    def dumps(payload: object, *a: object, **k: object) -> str:
        text = real_json.dumps(payload, *a, **k)
        if isinstance(payload, dict) and text.endswith("}"):
            return text[:-1] + ', "x": ' + "[" * DEEP + "]" * DEEP + "}"
        return text

    monkeypatch.setattr(transport, "json", types.SimpleNamespace(dumps=dumps))
    mail = tmp_path / "r.eml"
    mail.write_bytes(
        report_email(
            "Contoso",
            datetime(2024, 1, 1, tzinfo=UTC),
            [("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))],
            "r@x",
        )
    )
    config = jira_config(jira_server, tmp_path / "state", retry_for="3s")
    with pytest.raises(Retriable, match="nested too deep"):
        replay([mail], config, env=token_env(jira_server))
