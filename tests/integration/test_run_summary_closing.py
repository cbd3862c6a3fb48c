"""The ``run-summary`` line closes every pass, however it ends (from the rev21 review).

README (Logs): with ``--log-format json`` the ``run-summary`` event (``command``, ``counts``,
``exit_code``) is always the pass's last line. A pass that ended through an error (another
run holding the lock: 75; Graph's login host unreachable: 75; a damaged ledger: 2) ended
with the error's plain ``log`` line and no ``run-summary``, so a log shipper keyed on its
``exit_code`` never saw those failures. Now ``pass_end`` writes it as the process ends,
with the exit code the process ends with and ``counts`` null when nothing was counted.
Standard output stays empty on such a failure (README: the error is on stderr).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..conftest import REPORTS

CLI = [sys.executable, "-m", "dirsync_bridge"]
MAIL = str(REPORTS / "aadsync_th_thead.eml")
STATE = '[state]\npath = "st/state.db"\n'


def run(tmp_path: Path, config: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "c.toml"
    path.write_text(config)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC")}
    return subprocess.run(
        [*CLI, "--config", str(path), "--log-format", "json", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**clean, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), **env},
    )


def closing(done: subprocess.CompletedProcess[str], code: int) -> dict[str, Any]:
    """The last stderr line, checked to be the pass's run-summary ending ``code``."""
    assert done.returncode == code, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert lines, "no log line at all"
    last: dict[str, Any] = lines[-1]
    assert last["event"] == "run-summary", lines
    assert last["exit_code"] == code
    assert sum(line["event"] == "run-summary" for line in lines) == 1
    return last


def test_a_pass_that_completes_ends_with_its_counts(tmp_path: Path) -> None:
    last = closing(run(tmp_path, STATE, "replay", MAIL), 0)
    assert last["command"] == "replay" and last["counts"]["tickets"]["created"] == 3


@pytest.mark.parametrize("output", [["--format", "table"], ["--format", "json"]])
def test_a_pass_stopped_by_the_lock_ends_with_run_summary(
    tmp_path: Path, output: list[str]
) -> None:
    (tmp_path / "st").mkdir()
    with (tmp_path / "st" / "run.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = run(tmp_path, STATE, "replay", *output, MAIL)
    last = closing(done, 75)
    assert last["counts"] is None and last["command"] == "replay"
    assert done.stdout == ""  # no summary was made: the error and the code say it all


def test_a_run_whose_login_host_is_unreachable_ends_with_run_summary(tmp_path: Path) -> None:
    config = (
        f'{STATE}[graph]\ntenant_id = "t"\nclient_id = "c"\n'
        'authority_url = "https://127.0.0.1:9"\ngraph_url = "https://127.0.0.1:9"\n'
        'retry_for = "1s"\n[source.mailbox]\nmailbox = "a@b.com"\n'
    )
    done = run(tmp_path, config, "run", DIRSYNC_GRAPH_SECRET="x")
    assert closing(done, 75)["command"] == "run"
    assert done.stdout == ""


def test_a_pass_on_a_damaged_ledger_ends_with_run_summary(tmp_path: Path) -> None:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "state.db").write_bytes(b"not a database" * 100)
    closing(run(tmp_path, STATE, "replay", MAIL), 2)


def test_a_pass_whose_configuration_is_refused_ends_with_run_summary(tmp_path: Path) -> None:
    last = closing(run(tmp_path, "[state\n", "replay", "--dry-run", MAIL), 2)
    assert last["dry_run"] is True and last["counts"] is None


def test_a_usage_error_and_other_commands_are_no_pass(tmp_path: Path) -> None:
    for args in (["replay", "--format", "xml", MAIL], ["tickets"], ["parse", MAIL]):
        done = run(tmp_path, STATE, *args)
        events = [json.loads(line)["event"] for line in done.stderr.splitlines()]
        assert "run-summary" not in events, (args, done.stderr)
