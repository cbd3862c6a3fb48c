"""Shared paths and settings for the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dirsync_bridge import secret_files
from dirsync_bridge.config.settings import Config, load_config

from .simulators.graph.fixtures import ca_bundle_env, graph_sim
from .simulators.jira.fixtures import jira_cloud, jira_server, jira_two_projects

__all__ = ["ca_bundle_env", "graph_sim", "jira_cloud", "jira_server", "jira_two_projects"]

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "fixtures" / "reports"
FIXTURE_CONFIG = ROOT / "fixtures" / "trust.toml"


SECRET_VARIABLES = (
    "DIRSYNC_BRIDGE_CONFIG",
    "DIRSYNC_BRIDGE_CRASH_AT",
    "DIRSYNC_GRAPH_SECRET",
    "DIRSYNC_JIRA_TOKEN",
    "DIRSYNC_LDAP_PASSWORD",
)
"""The variables the tool reads: a developer's own settings must never leak into a test."""


@pytest.fixture(scope="session")
def _empty_config_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("xdg-config-home")


@pytest.fixture(autouse=True)
def _no_developer_settings(monkeypatch: pytest.MonkeyPatch, _empty_config_home: Path) -> None:
    """Every test starts without the tool's variables (a test sets what it needs), and with
    an empty $XDG_CONFIG_HOME: a developer's ~/.config/dirsync-bridge is never read."""
    for name in SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(_empty_config_home))


@pytest.fixture(autouse=True)
def _no_secrets_sent() -> Iterator[None]:
    """The secrets one test's in-process run sent are hidden from its lines only: in another
    test's, a short test secret ("t") would be masked inside every word holding it."""
    yield
    secret_files.forget_sent()


@pytest.fixture(scope="session")
def fixture_config() -> Config:
    """The configuration the golden files were written for."""
    return load_config(FIXTURE_CONFIG)
