"""Review rev50 of 6e96b23: a ``DELETE issueLink`` answered 404, confirmed by one read of
the issue's links. Scenes of that read going wrong, driven against the Jira simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.pipeline import replay

from ..simulators.jira import JiraSimulator
from ..simulators.jira.catalog import ApiError
from ..simulators.jira.model import NOT_FOUND
from .jira_scenes import came_back, linked
from .test_cross_source import make_config
from .test_jira_sink import jira_config, token_env, until_settled
from .test_merge_trade_episodes import BOB


def _setup(tmp_path: Path, sim: JiraSimulator) -> tuple[Any, dict[str, str], list[Path], Path]:
    runs, cs = came_back(tmp_path / "in")
    config = jira_config(sim, tmp_path / "state").model_copy(
        update={"tenants": make_config(tmp_path).tenants, "trust": make_config(tmp_path).trust}
    )
    env = token_env(sim)
    for path in runs:
        replay([path], config, env=env)
    return config, env, runs, cs


def _anns(sim: JiraSimulator) -> list[str]:
    anns = [k for k in sim.issues if BOB not in sim.issues[k].fields["summary"]]
    return sorted(anns, key=lambda k: int(k.split("-")[1]))


def _proxy(sim: JiraSimulator, b1: str, read_status: int, times: int = 1) -> Any:
    """A route answering the first DELETE issueLink with a 404 in Jira's shape (the link
    untouched), then the next ``times`` GETs of issue/B1 with ``read_status``."""
    real = sim._route
    state = {"deleted": False, "left": times}

    def route(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        if method == "DELETE" and path.startswith("issueLink/") and not state["deleted"]:
            state["deleted"] = True
            raise ApiError(404, "No issue link with id exists.")
        if method == "GET" and path == f"issue/{b1}" and state["deleted"] and state["left"]:
            state["left"] -= 1
            raise ApiError(read_status, NOT_FOUND if read_status == 404 else "busy")
        return real(method, path, query, body)

    return real, route


def test_rev50_a_proxy_404_on_the_unlink_and_on_its_confirming_read_makes_no_new_ticket(
    tmp_path: Path, jira_cloud: JiraSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The very case 6e96b23 guards against (a 404 in Jira's shape from a proxy, the link
    untouched) answers the DELETE of B1's link to B0 and then, once, the read of B1's links
    that confirms it. B1 is still in Jira: no new ticket is made for its problem, and the
    link left in place is said (before 6e96b23 the 404 was taken for done, with no
    duplicate). Seen: OPS-5 created, "OPS-4 is gone from Jira", B1 still linked to B0."""
    sim = jira_cloud
    config, env, runs, cs = _setup(tmp_path, sim)
    _a0, b0, b1 = _anns(sim)
    before = sorted(sim.issues)
    real, route = _proxy(sim, b1, 404, 1)
    sim._route = route  # type: ignore[method-assign]
    try:
        third = replay([cs], config, env=env)
    finally:
        sim._route = real  # type: ignore[method-assign]
    assert b1 in sim.issues and b0 in linked(sim, b1)  # the proxy's 404s changed nothing
    assert third.created == 0, third
    assert sorted(sim.issues) == before  # no duplicate of B1
    until_settled([*runs, cs], config, env)
    assert sorted(sim.issues) == before


@pytest.mark.parametrize("status", [400, 403])
def test_rev50_an_unlink_whose_confirming_read_is_refused_is_never_sent_again(
    tmp_path: Path, jira_cloud: JiraSimulator, status: int
) -> None:
    """A person removes B1's link to B0 just before the tool's DELETE (Jira: 404); Jira
    then refuses the confirming read of B1's links once (400, or 403: a permission changed
    for a moment). A DELETE has left: the pair counts as unlinked (``Ledger.unlinked``),
    so the link the person makes again afterwards is theirs and stays. Seen: the intent
    and its record abandoned, the next run's DELETE removes the person's link."""
    sim = jira_cloud
    config, env, runs, cs = _setup(tmp_path, sim)
    _a0, b0, b1 = _anns(sim)
    real = sim._route
    state = {"deleted": False, "left": 1}

    def route(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        if method == "DELETE" and path.startswith("issueLink/") and not state["deleted"]:
            state["deleted"] = True
            sim.model.unlink(path.split("/")[1])  # the person's removal, just before
        elif method == "GET" and path == f"issue/{b1}" and state["deleted"] and state["left"]:
            state["left"] -= 1
            raise ApiError(status, "refused")
        return real(method, path, query, body)

    sim._route = route  # type: ignore[method-assign]
    try:
        replay([cs], config, env=env)
    except Exception:  # 403: the run stops (exit 2); 400: the ticket needs attention
        pass
    finally:
        sim._route = real  # type: ignore[method-assign]
    assert b0 not in linked(sim, b1)
    sim.model.link(  # the person links B1 to B0 again, with the tool's type: theirs now
        {"type": {"name": "Relates"}, "inwardIssue": {"key": b0}, "outwardIssue": {"key": b1}}
    )
    sim.reset_log()
    until_settled([*runs, cs], config, env)
    deleted = [r.path for r in sim.log.writes() if r.method == "DELETE"]
    assert deleted == [], deleted
    assert b0 in linked(sim, b1)
