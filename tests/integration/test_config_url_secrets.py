"""Credentials written into a URL key are never echoed by the configuration error.

`https://user:password@host` in `[jira] url`, `[graph] graph_url`, `[graph] authority_url` or
`[enrich.onprem] url` is refused naming the key, without the value: it went to stderr (cron
mail, the journal, a log shipper with --log-format json) with the password until rev21.
design.md section 5/6: secrets never in logs or errors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "dirsync_bridge"]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("section", "key", "url", "secret"),
    [
        ("graph", "graph_url", "https://svc:Gr4phS3cret@graph.example.com", "Gr4phS3cret"),
        ("graph", "authority_url", "https://svc:L0ginS3cret@login.example.com", "L0ginS3cret"),
        ("enrich.onprem", "url", "ldaps://admin:LdapS3cret@dc1.example.com:636", "LdapS3cret"),
        ("jira", "url", "https://bob:J1raS3cret@jira.example.com", "J1raS3cret"),  # control: ok
    ],
)
@pytest.mark.parametrize("log_format", ["human", "json"])
def test_a_password_in_a_url_key_is_never_echoed(
    tmp_path: Path, section: str, key: str, url: str, secret: str, log_format: str
) -> None:
    extra = (
        'bind_dn = "x"\nbase_dn = "DC=x"\nenabled = true\n' if section == "enrich.onprem" else ""
    )
    graph = '[graph]\ntenant_id = "t"\nclient_id = "c"\n' if section != "graph" else ""
    config = tmp_path / "c.toml"
    config.write_text(
        f'[state]\npath = "st/state.db"\n{graph}[{section}]\n{key} = "{url}"\n'
        + ('tenant_id = "t"\nclient_id = "c"\n' if section == "graph" else "")
        + extra
    )
    for command in (["tickets"], ["doctor"], ["-vv", "tickets"]):
        done = _run(tmp_path, "--config", str(config), "--log-format", log_format, *command)
        assert done.returncode == 2, done.stderr
        assert key in done.stderr  # the key is named...
        assert secret not in done.stderr + done.stdout  # ...but the password never shown


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("graph", "authority_url", "svc:S3cretPass@login.contoso.com"),  # scheme forgotten
        ("graph", "graph_url", "https:svc:S3cretPass@graph.contoso.com"),  # '//' forgotten
        ("enrich.onprem", "url", "svc:S3cretPass@dc1.contoso.com"),
        ("enrich.onprem", "url", "ldaps:svc:S3cretPass@dc1.contoso.com"),
    ],
)
def test_a_password_in_a_url_key_without_scheme_or_slashes_is_never_echoed(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    """urlsplit finds no host part in these, so the '@' was not seen and the generic
    "'<value>' is not https://host[:port]" quoted the password (rev24 review, defect 7)."""
    extra = (
        'tenant_id = "t"\nclient_id = "c"\n'
        if section == "graph"
        else 'enabled = true\nbind_dn = "x"\nbase_dn = "DC=x"\n'
    )
    config = tmp_path / "c.toml"
    config.write_text(f'[{section}]\n{extra}{key} = "{value}"\n')
    done = _run(tmp_path, "--config", str(config), "doctor")
    assert done.returncode == 2, done.stderr
    assert f"{section}.{key}" in done.stderr and "user or password" in done.stderr, done.stderr
    assert "S3cretPass" not in done.stdout + done.stderr, done.stderr
