"""Secrets that cannot be used, as a user meets them: one line naming the key, exit 2, no
traceback, nothing written, and the secret never shown (stdout or stderr).

A token with a character an HTTP header cannot carry used to end in a traceback quoting
the header, token included; a token_file in UTF-16, ``/dev/zero`` or a FIFO in a traceback,
a MemoryError or a hang. ``timeout=`` below is only a guard against that hang.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dirsync_bridge.ledger.store import Ledger

from ..conftest import REPORTS
from ..simulators.jira import JiraSimulator
from .test_cli_jira import config_file

CLI = [sys.executable, "-m", "dirsync_bridge"]
REPORT = REPORTS / "aadsync_plaintext_only.eml"
REPLAY = ["replay", "--sink", "jira", str(REPORT)]


def cli(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DIRSYNC_JIRA_TOKEN", "DIRSYNC_GRAPH_SECRET")
    }
    return subprocess.run(
        [*CLI, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean | (env or {}),
    )


def one_config_error(done: subprocess.CompletedProcess[str], key: str, *, doctor: bool) -> str:
    """The one line that names ``key`` (an error line; doctor: a FAIL line), after exit 2."""
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines() if doctor else done.stderr.splitlines()
    (line,) = [line for line in lines if ("FAIL" if doctor else "error:") in line]
    assert key in line, line
    return line


def intents(tmp_path: Path) -> int:
    path = tmp_path / "state" / "state.db"
    if not path.exists():
        return 0
    ledger = Ledger.open(path)
    try:
        return len(ledger.pending_intents())
    finally:
        ledger.close()


def jira_config(tmp_path: Path, sim: JiraSimulator, **extra: str) -> Path:
    if sim.mode == "server":
        extra = {"email": '""', "deployment": '"datacenter"', **extra}
    return config_file(tmp_path, sim.url, **extra)


@pytest.mark.parametrize(
    "token",
    ["t\u00f6k\u20acn", "abc\ndef", "abc def\x7f", "\u200b{}", "{}\u2019", "\ufeff{}"],
    ids=["non-latin1", "newline", "space-del", "zero-width-space", "smart-quote", "bom"],
)
@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_a_jira_token_that_cannot_be_a_header_is_one_line_and_never_shown(
    tmp_path: Path, jira_cloud: JiraSimulator, jira_server: JiraSimulator, mode: str, token: str
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    token = token.format(sim.api_token if mode == "cloud" else sim.pat)
    config = jira_config(tmp_path, sim)
    for command, doctor in ((REPLAY, False), (["doctor"], True)):
        done = cli(config, *command, env={"DIRSYNC_JIRA_TOKEN": token})
        line = one_config_error(done, "[jira] token_env", doctor=doctor)
        assert "DIRSYNC_JIRA_TOKEN" in line
        assert token.strip() not in done.stdout + done.stderr
    assert intents(tmp_path) == 0 and sim.issues == {}


def test_a_pat_file_with_a_second_line_is_one_line_and_never_shown(
    tmp_path: Path, jira_server: JiraSimulator
) -> None:
    token_file = tmp_path / "pat.txt"
    token_file.write_text(f"{jira_server.pat}\n# rotated 2024-05-01\n")
    config = jira_config(tmp_path, jira_server, token_file=f'"{token_file}"')
    for command, doctor in ((REPLAY, False), (["doctor"], True)):
        done = cli(config, *command)
        line = one_config_error(done, "[jira] token_file", doctor=doctor)
        assert "holds 2 lines" in line
        assert jira_server.pat not in done.stdout + done.stderr
    assert jira_server.issues == {}


@pytest.mark.parametrize("kind", ["utf16", "dev-zero", "fifo"])
def test_a_jira_token_file_that_is_not_a_text_file_is_one_line(
    tmp_path: Path, jira_cloud: JiraSimulator, kind: str
) -> None:
    token_file = tmp_path / "token"
    if kind == "utf16":
        token_file.write_bytes(jira_cloud.api_token.encode("utf-16"))  # Notepad's "Unicode"
    elif kind == "fifo":
        os.mkfifo(token_file)  # nobody ever writes to it
    else:
        token_file = Path("/dev/zero")
    config = jira_config(tmp_path, jira_cloud, token_file=f'"{token_file}"')
    done = cli(config, "replay", "--sink", "jira", str(REPORT))
    line = one_config_error(done, "[jira] token_file", doctor=False)
    assert str(token_file) in line
    assert intents(tmp_path) == 0 and jira_cloud.issues == {}


def graph_config(tmp_path: Path, secret_file: Path) -> Path:
    path = tmp_path / "graph.toml"
    path.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
        '[graph]\ntenant_id = "00000000-0000-0000-0000-000000000001"\n'
        'client_id = "00000000-0000-0000-0000-000000000002"\n'
        f'client_secret_file = "{secret_file}"\n'
        'authority_url = "https://127.0.0.1:9"\ngraph_url = "https://127.0.0.1:9"\n'
        '[source.mailbox]\nmailbox = "dirsync-reports@contoso.com"\n'
    )
    return path


@pytest.mark.parametrize("kind", ["utf16", "dev-zero"])
def test_a_graph_client_secret_file_that_is_not_a_text_file_is_one_line_in_run_and_doctor(
    tmp_path: Path, kind: str
) -> None:
    secret_file = Path("/dev/zero")
    if kind == "utf16":
        secret_file = tmp_path / "secret.txt"
        secret_file.write_bytes("s3cr3t-v4lue".encode("utf-16"))
    config = graph_config(tmp_path, secret_file)
    for command, doctor in (("run", False), ("doctor", True)):
        done = cli(config, command)
        one_config_error(done, "[graph] client_secret_file", doctor=doctor)
        assert "s3cr3t" not in done.stdout + done.stderr
