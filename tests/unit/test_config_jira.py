"""The ``[jira]`` section: the site's address must be one Jira can have."""

from __future__ import annotations

from pathlib import Path

import pytest

from dirsync_bridge.config.settings import load_config
from dirsync_bridge.errors import ConfigError


def _load(tmp_path: Path, url: str) -> str:
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text(f'[sink]\nkind = "jira"\n[jira]\nurl = "{url}"\nproject = "OPS"\n')
    return load_config(path).jira.url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://", "no host"),
        ("https://", "no host"),
        ("https:///jira", "no host"),
        ("jira.contoso.com", "https://"),
        ("ftp://jira.contoso.com", "https://"),
        ("file:///etc/passwd", "https://"),
        ("https://jira.contoso.com:99999", "port"),
        ("https://jira.contoso.com/?x=1", "query"),
        ("https://bot:secret@jira.contoso.com", "user name or password"),
        # Accepted by urlsplit, refused by the HTTP stack (a traceback, or exit 75 forever).
        ("https://a..b", "host name"),
        ("https://exa mple.com", "host name"),
        ("https://%zz", "host name"),
        ("https://-jira.contoso.com", "host name"),
        ("https://" + "a" * 64 + ".com", "host name"),
        ("https://[::1", "host name"),
        ("https://host:0", "port"),
    ],
)
def test_a_url_jira_cannot_have_is_a_config_error(tmp_path: Path, url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, url)
    assert caught.value.key == "jira.url"
    assert problem in caught.value.problem
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://contoso.atlassian.net",
        "https://contoso.atlassian.net/",
        "https://jira.contoso.com:8443/jira",
        "http://127.0.0.1:8080",
        "HTTPS://Contoso.Atlassian.net",
        "https://jira.contoso.com./",
        "https://[::1]:8443/jira",
        "http://localhost:8080",
        "https://jira_internal.contoso.local",
        "https://jira.m\u00fcnchen.de",
    ],
)
def test_a_jira_address_is_accepted(tmp_path: Path, url: str) -> None:
    assert _load(tmp_path, url) == url
