"""Shared paths and settings for the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config, load_config

from .simulators.graph.fixtures import ca_bundle_env, graph_sim
from .simulators.jira.fixtures import jira_cloud, jira_server

__all__ = ["ca_bundle_env", "graph_sim", "jira_cloud", "jira_server"]

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "fixtures" / "reports"
FIXTURE_CONFIG = ROOT / "fixtures" / "trust.toml"


@pytest.fixture(scope="session")
def fixture_config() -> Config:
    """The configuration the golden files were written for."""
    return load_config(FIXTURE_CONFIG)
