"""The Jira token (Cloud API token, DC PAT) never appears in any output at any log
level: good, wrong, with faults (500/403/429), in `replay`, `doctor`, `tickets show`; neither
raw nor as the Basic header's base64 of email:token."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import REPORTS
from ..simulators.jira import JiraSimulator
from .conftest import cli_with_config_file

TOKEN = "ATATT3xFfGF0Tok3nS3cr3tValue"
PAT = "NjYzMDk3MTA0MDI2OlPATs3cr3t"


@pytest.fixture(params=["cloud", "server"])
def sim(request: pytest.FixtureRequest) -> Iterator[JiraSimulator]:
    with JiraSimulator(request.param, api_token=TOKEN, pat=PAT, seed=1) as s:
        yield s


def _config(tmp_path: Path, url: str, mode: str) -> Path:
    path = tmp_path / "c.toml"
    deployment = "cloud" if mode == "cloud" else "datacenter"
    path.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n[sink]\nkind = "jira"\n'
        f'[jira]\nurl = "{url}"\nproject = "OPS"\nemail = "bot@contoso.com"\n'
        f'deployment = "{deployment}"\nsearch_lag = "0s"\nretry_for = "2s"\ntimeout = 5.0\n'
    )
    return path


def _cli(config: Path, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli_with_config_file(config, *args, env={**os.environ, "DIRSYNC_JIRA_TOKEN": token})


def _forms(token: str) -> list[str]:
    basic = base64.b64encode(f"bot@contoso.com:{token}".encode()).decode()
    return [token, basic, basic.rstrip("=")]


@pytest.mark.parametrize("token_kind", ["right", "wrong"])
def test_the_jira_token_is_never_shown(tmp_path: Path, sim: JiraSimulator, token_kind: str) -> None:
    right = TOKEN if sim.mode == "cloud" else PAT
    token = right if token_kind == "right" else "Wr0ngJ1raT0kenValue42"
    config = _config(tmp_path, sim.url, sim.mode)
    mail = REPORTS / "aadsync_th_thead.eml"
    outputs: list[str] = []
    runs = [
        ["-vv", "replay", "--dry-run", str(mail)],
        ["-vv", "--log-format", "json", "replay", str(mail)],
        ["-vv", "doctor"],
    ]
    for args in runs:
        outputs.append(str(_cli(config, token, *args)))
    # faults: a 500 that never heals, a 403, throttling
    for status in (500, 403, 429):
        sim.faults.fail_next(status, times=50)
        outputs.append(
            str(_cli(config, token, "-vv", "replay", str(REPORTS / "aadsync_td_bold_headers.eml")))
        )
        outputs.append(str(_cli(config, token, "-vv", "doctor")))
        sim.faults.queue.clear()
    keys = list(sim.issues)
    if keys:
        outputs.append(
            str(_cli(config, token, "-vv", "tickets", "show", keys[0], "--format", "json"))
        )
    everything = "\n".join(outputs)
    for form in _forms(token):
        assert form not in everything
