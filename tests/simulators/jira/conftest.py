"""The simulator's own fixtures, for its own tests."""

from .fixtures import jira_cloud, jira_connect, jira_server

__all__ = ["jira_cloud", "jira_connect", "jira_server"]
