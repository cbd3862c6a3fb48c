"""A secret variable that is set but empty (``DIRSYNC_GRAPH_SECRET=""``: a secret store
that returned nothing, an ``EnvironmentFile`` line with the value forgotten) is said to be
empty, not "not set": the person looking at the unit sees the variable is there and goes
looking for the wrong fault. Unset is still "not set". One line, exit 2, before any request."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import cli_with_config_file, environ_without

ROOT = Path(__file__).resolve().parents[2]
REPORT = str(ROOT / "fixtures/reports/aadsync_th_thead.eml")
VARIABLES = ("DIRSYNC_JIRA_TOKEN", "DIRSYNC_GRAPH_SECRET", "DIRSYNC_LDAP_PASSWORD")
JIRA = (
    '[sink]\nkind = "jira"\n[jira]\nurl = "https://127.0.0.1:9"\nproject = "OPS"\nemail = "a@b.c"\n'
)
GRAPH = (
    '[graph]\ntenant_id = "t"\nclient_id = "c"\nauthority_url = "https://127.0.0.1:9"\n'
    'graph_url = "https://127.0.0.1:9"\n[source.mailbox]\nmailbox = "a@b.com"\n'
)
LDAP = '[enrich.onprem]\nenabled = true\nurl = "ldaps://127.0.0.1:9"\nbind_dn = "CN=svc"\n'
CASES = {
    # variable: (configuration, arguments, the key the line names)
    "DIRSYNC_JIRA_TOKEN": (JIRA, ["replay", REPORT], "[jira] token_env"),
    "DIRSYNC_GRAPH_SECRET": (GRAPH, ["run"], "[graph] client_secret_env"),
    "DIRSYNC_LDAP_PASSWORD": (LDAP, ["replay", REPORT], "enrich.onprem.password_env"),
}


def _run(tmp_path: Path, variable: str, value: str | None) -> subprocess.CompletedProcess[str]:
    config, args, _ = CASES[variable]
    path = tmp_path / "c.toml"
    path.write_text('[state]\npath = "st/state.db"\n' + config)
    env = environ_without(*VARIABLES)
    if value is not None:
        env[variable] = value
    return cli_with_config_file(path, *args, env=env, cwd=tmp_path, timeout=60)


def _error_line(done: subprocess.CompletedProcess[str], key: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "error:" in line]
    assert key in line, line
    return line


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        *[(variable, "") for variable in VARIABLES],
        # Surrounding whitespace is no part of a token or a client secret; an LDAP password
        # may begin or end with a space, so only a lone line end is nothing there.
        ("DIRSYNC_JIRA_TOKEN", "  "),
        ("DIRSYNC_GRAPH_SECRET", " \n"),
        ("DIRSYNC_LDAP_PASSWORD", "\r\n"),
    ],
)
def test_a_secret_variable_set_but_empty_is_said_to_be_empty(
    tmp_path: Path, variable: str, value: str
) -> None:
    line = _error_line(_run(tmp_path, variable, value), CASES[variable][2])
    assert variable in line and "is empty" in line, line
    assert "not set" not in line and "unset" not in line, line


@pytest.mark.parametrize("variable", VARIABLES)
def test_a_secret_variable_not_set_is_said_to_be_not_set(tmp_path: Path, variable: str) -> None:
    line = _error_line(_run(tmp_path, variable, None), CASES[variable][2])
    assert variable in line and "is not set" in line, line
    assert "is empty" not in line, line
