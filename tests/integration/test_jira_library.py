"""What the sink relies on in the ``jira`` library past its public API (``sinks/jira_library``).

If a release of the library changes any of it, these fail first, not a run in production.
"""

from __future__ import annotations

import pytest
import requests
from jira import JIRA, JIRAError

from dirsync_bridge.sinks.jira_library import api_url, session_of

from ..simulators.jira.server import JiraSimulator


def client_for(sim: JiraSimulator, token: str | None = None) -> JIRA:
    return JIRA(
        options={"server": sim.url, "check_update": False},
        basic_auth=(sim.email, token or sim.api_token),
        get_server_info=False,
        max_retries=0,
    )


def test_the_session_is_a_signed_in_requests_session(jira_cloud: JiraSimulator) -> None:
    client = client_for(jira_cloud)
    try:
        session = session_of(client)
        assert isinstance(session, requests.Session)
        answer = session.request("GET", api_url(client, "myself"))
        assert answer.json()["emailAddress"] == jira_cloud.email
    finally:
        client.close()  # type: ignore[no-untyped-call]


def test_api_url_is_the_librarys_own(jira_cloud: JiraSimulator) -> None:
    client = client_for(jira_cloud)
    try:
        assert api_url(client, "issue/OPS-1") == client._get_url("issue/OPS-1")
    finally:
        client.close()  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(("path", "status"), [("issue/OPS-999", 404), ("myself", 401)])
def test_an_error_answer_raises_jiraerror_with_its_status(
    jira_cloud: JiraSimulator, path: str, status: int
) -> None:
    client = client_for(jira_cloud, token="wrong" if status == 401 else None)
    try:
        with pytest.raises(JIRAError) as raised:
            session_of(client).request("GET", api_url(client, path))
        assert raised.value.status_code == status
    finally:
        client.close()  # type: ignore[no-untyped-call]
