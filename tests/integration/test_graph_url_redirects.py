"""``[graph] graph_url`` or ``authority_url`` that answers with a redirect to another host
(a gateway's old address, a host name retired in front of the real one).

Followed, a redirect to another host drops the bearer token (requests strips it): Graph
answered 401 twice and the run said "the token was refused twice: check the app
registration", blaming the app for a wrong URL. A 307/308 from the login host would even
carry the token request, client secret in its form body, on to the other host. A redirect
is never followed: one configuration line names the key and where it leads, exit 2.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from ..simulators.graph.server import GraphSimulator, _login_route
from ..simulators.graph.tenant import CLIENT_ID, CLIENT_SECRET, MAILBOX, TENANT_ID
from ..simulators.graph.wire import Reply
from .conftest import cli_with_config_file

SENT_ON = "v1.0-old-name"  # in the redirect's query: where it leads, as the user must see it


def _config(tmp_path: Path, graph_sim: GraphSimulator) -> tuple[Path, dict[str, str]]:
    """A mailbox run's configuration on the simulator, and its environment (the secret)."""
    config = tmp_path / "c.toml"
    config.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
        f'[graph]\ntenant_id = "{TENANT_ID}"\nclient_id = "{CLIENT_ID}"\n'
        f'authority_url = "{graph_sim.url}"\ngraph_url = "{graph_sim.url}"\n'
        f'ca_bundle = "{graph_sim.ca_path}"\nretry_for = "2s"\ntimeout = 5.0\n'
        f'[source.mailbox]\nmailbox = "{MAILBOX}"\n'
    )
    return config, {**os.environ, "DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}


@pytest.mark.parametrize("status", [301, 307])
@pytest.mark.parametrize(
    ("key", "login"), [("graph_url", False), ("authority_url", True)], ids=["graph", "login"]
)
@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_graph_url_that_redirects_is_named_not_the_app_registration(
    tmp_path: Path,
    graph_sim: GraphSimulator,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    login: bool,
    status: int,
    command: str,
) -> None:
    """Every request to 127.0.0.1 for the redirected part (Graph, or the login host) is sent
    on to ``localhost`` (the same simulator under another host name) with ``status``."""
    port = graph_sim.url.rsplit(":", 1)[1]
    elsewhere = f"https://localhost:{port}"
    answer = graph_sim.handle
    followed: list[str] = []

    def handle(
        method: str, path: str, query: str, raw: bytes, headers: Mapping[str, str]
    ) -> Reply | None:
        here = headers.get("host", "").startswith("127.0.0.1")
        if here and (_login_route(method, path) is not None) == login:
            where = f"{elsewhere}{path}?{query}&via={SENT_ON}" if query else f"{elsewhere}{path}"
            return Reply(status, headers={"Location": where})
        if not here:
            followed.append(f"{method} {path}")
        return answer(method, path, query, raw, headers)

    monkeypatch.setattr(graph_sim, "handle", handle)
    config, env = _config(tmp_path, graph_sim)

    done = cli_with_config_file(config, command, env=env, cwd=tmp_path)

    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert f"[graph] {key}" in said and f"redirect (HTTP {status})" in said, said
    assert elsewhere in said, said  # where it leads
    assert "refused twice" not in said and "Traceback" not in said, said
    assert CLIENT_SECRET not in said
    # Never followed: nothing reached the simulator under its other name.
    assert followed == []


def test_a_redirect_that_echoes_the_token_is_named_with_the_token_hidden(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gateway whose redirect carries the bearer token it got (in the location's path):
    where it leads is shown with every secret the tool sent as ``***``."""
    port = graph_sim.url.rsplit(":", 1)[1]
    answer = graph_sim.handle
    tokens: list[str] = []

    def handle(
        method: str, path: str, query: str, raw: bytes, headers: Mapping[str, str]
    ) -> Reply | None:
        if _login_route(method, path) is None:
            token = headers.get("authorization", "").partition(" ")[2]
            tokens.append(token)
            return Reply(302, headers={"Location": f"https://localhost:{port}/t/{token}{path}"})
        return answer(method, path, query, raw, headers)

    monkeypatch.setattr(graph_sim, "handle", handle)
    config, env = _config(tmp_path, graph_sim)

    done = cli_with_config_file(config, "run", env=env, cwd=tmp_path)

    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert tokens and tokens[0], tokens  # the gateway did get one
    assert f"https://localhost:{port}/t/***" in said, said
    assert not [t for t in tokens if t in said], said


@pytest.mark.parametrize("login", [False, True], ids=["graph", "login"])
def test_a_redirect_to_a_relative_location_names_the_whole_address(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch, login: bool
) -> None:
    """A gateway moved under a path answers ``Location: /gw/<the path asked>`` (relative, as
    RFC 9110 allows): the address to set is the root's host with ``/gw``, not "/gw", which
    ``[graph]`` would refuse as no https address (review rev35)."""
    answer = graph_sim.handle

    def handle(
        method: str, path: str, query: str, raw: bytes, headers: Mapping[str, str]
    ) -> Reply | None:
        if (_login_route(method, path) is not None) == login:
            return Reply(301, headers={"Location": f"/gw{path}"})
        return answer(method, path, query, raw, headers)

    monkeypatch.setattr(graph_sim, "handle", handle)
    config = tmp_path / "c.toml"
    config.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
        f'[graph]\ntenant_id = "{TENANT_ID}"\nclient_id = "{CLIENT_ID}"\n'
        f'authority_url = "{graph_sim.url}"\ngraph_url = "{graph_sim.url}"\n'
        f'ca_bundle = "{graph_sim.ca_path}"\nretry_for = "2s"\ntimeout = 5.0\n'
        f'[source.mailbox]\nmailbox = "{MAILBOX}"\n'
    )
    env = {**os.environ, "DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}

    done = cli_with_config_file(config, "run", env=env, cwd=tmp_path)

    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert f"redirect (HTTP 301) to {graph_sim.url}/gw," in said, said


def test_a_graph_answer_of_3xx_without_a_location_is_not_taken_for_a_listing(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 3xx with no Location (a proxy's odd answer; ``requests`` does not call it a
    redirect) counted as ``ok``: its JSON body was read as the mailbox's listing, an empty
    mailbox, and the run ended 0 having read nothing (found by review rev35). It is an
    answer that cannot be used: retried within ``retry_for``, then exit 75."""
    answer = graph_sim.handle

    def handle(
        method: str, path: str, query: str, raw: bytes, headers: Mapping[str, str]
    ) -> Reply | None:
        if _login_route(method, path) is None:
            return Reply(300, body={"value": []})
        return answer(method, path, query, raw, headers)

    monkeypatch.setattr(graph_sim, "handle", handle)
    config, env = _config(tmp_path, graph_sim)

    done = cli_with_config_file(config, "run", env=env, cwd=tmp_path)

    said = done.stdout + done.stderr
    assert done.returncode == 75, said
    assert "HTTP 300" in said and "Traceback" not in said, said


@pytest.mark.parametrize("login", [False, True], ids=["graph", "login"])
def test_a_graph_answer_of_3xx_with_an_empty_location_is_no_answer_either(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch, login: bool
) -> None:
    """``Location:`` present but empty (a proxy's) leads nowhere: not a redirect to name as
    the address to set (exit 2 told the user to "set it to that address", none given; review
    rev36), but no answer, as without the header: retried within ``retry_for``, then 75."""
    answer = graph_sim.handle

    def handle(
        method: str, path: str, query: str, raw: bytes, headers: Mapping[str, str]
    ) -> Reply | None:
        if (_login_route(method, path) is None) != login:
            return Reply(302, body={"value": []}, headers={"Location": ""})
        return answer(method, path, query, raw, headers)

    monkeypatch.setattr(graph_sim, "handle", handle)
    config, env = _config(tmp_path, graph_sim)

    done = cli_with_config_file(config, "run", env=env, cwd=tmp_path)

    said = done.stdout + done.stderr
    assert done.returncode == 75, said
    assert "HTTP 302" in said and "set it to that address" not in said, said
    assert "Traceback" not in said, said


@pytest.mark.parametrize("status", [300, 304, 305])
@pytest.mark.parametrize("login", [False, True], ids=["graph", "login"])
def test_a_3xx_with_a_location_that_is_no_redirect_is_retried_and_said_as_it_is(
    tmp_path: Path,
    graph_sim: GraphSimulator,
    monkeypatch: pytest.MonkeyPatch,
    login: bool,
    status: int,
) -> None:
    """300, 304 and 305 are no redirect to ``requests`` even with a Location: no answer
    either, retried within ``retry_for`` then 75, but the message said "without a Location"
    of an answer that had one (Graph), or "busy" (the login host) (left by reviews)."""
    answer = graph_sim.handle
    where = f"{graph_sim.url}/elsewhere"

    def handle(
        method: str, path: str, query: str, raw: bytes, headers: Mapping[str, str]
    ) -> Reply | None:
        if (_login_route(method, path) is None) != login:
            return Reply(status, body={"value": []}, headers={"Location": where})
        return answer(method, path, query, raw, headers)

    monkeypatch.setattr(graph_sim, "handle", handle)
    config, env = _config(tmp_path, graph_sim)

    done = cli_with_config_file(config, "run", env=env, cwd=tmp_path)

    said = done.stdout + done.stderr
    assert done.returncode == 75, said
    assert f"HTTP {status} with a Location" in said, said
    assert "without a Location" not in said and "busy" not in said, said
    assert "Traceback" not in said, said
