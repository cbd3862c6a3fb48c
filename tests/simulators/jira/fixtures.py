"""Pytest fixtures for the Jira simulator; a conftest imports them by name.

from tests.simulators.jira.fixtures import jira_cloud, jira_connect, jira_server  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from jira import JIRA

from .server import JiraSimulator

CUSTOM_FIELDS = {"customfield_10010": "Team"}


@pytest.fixture
def jira_cloud() -> Iterator[JiraSimulator]:
    """A running Cloud simulator: Basic bot@contoso.com / t0k, project OPS, field "Team"."""
    with JiraSimulator("cloud", custom_fields=CUSTOM_FIELDS, seed=1) as sim:
        yield sim


@pytest.fixture
def jira_server() -> Iterator[JiraSimulator]:
    """A running Data Center simulator: Bearer pat-123 (or Basic dirsync-bot / secret)."""
    with JiraSimulator("server", custom_fields=CUSTOM_FIELDS, seed=1) as sim:
        yield sim


@pytest.fixture
def jira_two_projects() -> Iterator[JiraSimulator]:
    """A Cloud site with projects OPS (the tool's) and NEW (where a person moves tickets)."""
    with JiraSimulator("cloud", project=["OPS", "NEW"], custom_fields=CUSTOM_FIELDS) as sim:
        yield sim


@pytest.fixture
def jira_connect() -> Iterator[Callable[..., JIRA]]:
    """A factory of real `jira.JIRA` clients for a simulator, closed at teardown.

    `jira_connect(sim)` authenticates as the mode expects; keyword arguments go to `JIRA`.
    Retry sleeps are zeroed (`max_retry_delay = 0`) so that retried 429/503 cost no time.
    """
    clients: list[JIRA] = []

    def connect(sim: JiraSimulator, **kwargs: Any) -> JIRA:
        if sim.mode == "cloud":
            kwargs.setdefault("basic_auth", (sim.email, sim.api_token))
        elif "basic_auth" not in kwargs:
            kwargs.setdefault("token_auth", sim.pat)
        client = JIRA(server=sim.url, **kwargs)
        client._session.max_retry_delay = 0
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()  # type: ignore[no-untyped-call]  # the library is untyped here
