"""What the HTTP stack refuses to send is a configuration error, before any connection.

The configuration's own checks (``JiraUrl``, ``secret_files``) stop these first; these
tests bypass them (``model_construct``, a token handed in directly) to prove the second
line of defence: no traceback, no retries for minutes, never the token in a message.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.config.settings import JiraSettings
from dirsync_bridge.errors import ConfigError
from dirsync_bridge.sinks.jira_http import JiraHttp

from ..simulators.jira import JiraSimulator


def unchecked(url: str, **more: object) -> JiraSettings:
    base = JiraSettings(url="https://jira.invalid", project="OPS", retry_for="1s", **more)
    return JiraSettings.model_construct(**{**dict(base), "url": url})


def test_an_address_the_http_stack_cannot_parse_is_a_config_error_naming_the_url() -> None:
    http = JiraHttp(unchecked("https://a..b"), "t0k", sleep=lambda _: None)
    with pytest.raises(ConfigError) as caught:
        http.read("read the server's information", "serverInfo")
    assert caught.value.key == "[jira] url" and "https://a..b" in str(caught.value)


@pytest.mark.parametrize(
    ("mode", "token"),
    [("server", "s3cr3t\nX-Evil: 1"), ("cloud", "s3cr3t\u20ac")],
    ids=["bearer-with-a-line-break", "basic-not-latin1"],
)
def test_a_token_no_header_can_carry_is_a_config_error_that_never_shows_it(
    jira_cloud: JiraSimulator, jira_server: JiraSimulator, mode: str, token: str
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    email = sim.email if mode == "cloud" else ""
    http = JiraHttp(unchecked(sim.url, email=email), token, sleep=lambda _: None)
    with pytest.raises(ConfigError) as caught:
        http.read("read who signs in", "myself")
    assert caught.value.key == "[jira] token_env"
    assert "s3cr3t" not in str(caught.value)
    assert sim.log.count() == 0  # refused before anything was sent
