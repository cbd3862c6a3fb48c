"""A Jira REST v2 simulator for tests: `JiraSimulator(mode="cloud"|"server")`.

See `server` (endpoints, auth, modes), `catalog` (configuration, field checks, reference
data), `model` (issues, comments, links, properties, workflow, moves), `search` (the two
search APIs and which issues match), `jql` (the query subset), `faults` (fault switches and
the request log) and `transport` (HTTP or HTTPS).
"""

from .catalog import DEFAULT_RESOLUTIONS, DEFAULT_STATUSES, ApiError
from .faults import Faults, Record, RequestLog
from .model import DEFAULT_WORKFLOW, Issue
from .server import JiraSimulator

__all__ = [
    "DEFAULT_RESOLUTIONS",
    "DEFAULT_STATUSES",
    "DEFAULT_WORKFLOW",
    "ApiError",
    "Faults",
    "Issue",
    "JiraSimulator",
    "Record",
    "RequestLog",
]
