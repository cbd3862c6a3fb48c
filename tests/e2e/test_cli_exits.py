"""How every command ends, as a user runs it: output that cannot be written, usage errors
as JSON, a bug, ``--version``. A real process each time; a real full device (``/dev/full``)
and a real pipe whose reader has gone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from ..conftest import REPORTS, ROOT

CLI = [sys.executable, "-m", "dirsync_bridge"]
FULL = Path("/dev/full")
COMMANDS = [
    pytest.param(["parse", str(REPORTS)], 1, id="parse"),
    pytest.param(["parse", "--format", "json", str(REPORTS)], 1, id="parse-json"),
    pytest.param(["replay", str(REPORTS)], 1, id="replay"),
    pytest.param(["tickets", "--format", "json"], 0, id="tickets-json"),
]
"""Each command with the exit code it ends with when its output is read (the corpus holds
hostile reports on purpose: 1)."""


def config_file(tmp_path: Path) -> Path:
    config = tmp_path / "c.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "st" / "state.db"}"\n')
    return config


def cli(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def tickets_in(config: Path) -> list[object]:
    done = cli("--config", str(config), "tickets", "--format", "json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert isinstance(listed, list)
    return listed


# ---------------------------------------------------------------------------------------------
# Standard output that cannot be written


@pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("log_format", ["human", "json"])
@pytest.mark.parametrize(("command", "code"), COMMANDS)
def test_output_to_a_full_disk_is_one_line_and_exit_75(
    tmp_path: Path, command: list[str], code: int, log_format: str
) -> None:
    config = config_file(tmp_path)
    with FULL.open("w") as full:
        done = cli("--config", str(config), "--log-format", log_format, *command, stdout=full)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 75, done.stderr
    line = done.stderr.splitlines()[-1]
    if log_format == "json":
        records = [json.loads(each) for each in done.stderr.splitlines()]
        assert records[-1]["level"] == "error"
        line = records[-1]["message"]
    else:
        assert line.startswith("dirsync-bridge: error: ")
    assert line.endswith(
        "standard output: the output could not be written: the disk is full "
        "(No space left on device); free space and run again"
    )
    # Every other line is the command's own (the rejected inputs, named as usual).
    assert sum("standard output" in each for each in done.stderr.splitlines()) == 1
    if command[0] == "replay":  # its work was done: only its closing lines were lost
        assert len(tickets_in(config)) > 0


@pytest.mark.parametrize(("command", "code"), COMMANDS)
def test_a_reader_that_stops_reading_ends_the_command_quietly(
    tmp_path: Path, command: list[str], code: int
) -> None:
    """`dirsync-bridge ... | head`: the reader went away before a byte was written (EPIPE)."""
    config = config_file(tmp_path)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = cli("--config", str(config), *command, stdout=write_end)
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert "standard output" not in done.stderr
    assert all(line.startswith("dirsync-bridge: rejected ") for line in done.stderr.splitlines())
    assert done.returncode == code, done.stderr
    if command[0] == "replay":
        assert len(tickets_in(config)) > 0


# ---------------------------------------------------------------------------------------------
# Usage errors with --log-format json


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["frobnicate"], "No such command 'frobnicate'"),
        ([], "Missing command"),
        (["--frobnicate", "parse", "fixtures"], "No such option '--frobnicate'"),
        (["parse", "--frobnicate", "fixtures"], "No such option '--frobnicate'"),
    ],
    ids=["unknown-command", "no-command", "unknown-global-option", "unknown-command-option"],
)
def test_json_logs_cover_every_usage_error(args: list[str], needle: str) -> None:
    done = cli("--log-format", "json", *args)
    assert done.returncode == 2, done.stderr
    (record,) = [json.loads(line) for line in done.stderr.splitlines()]
    assert record["level"] == "error"
    assert needle in record["message"] and "--help)" in record["message"], record


def test_an_unknown_command_is_one_line_in_the_human_format_too() -> None:
    done = cli("frobnicate")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "dirsync-bridge: error: No such command 'frobnicate'. (see dirsync-bridge --help)"
    ]


# ---------------------------------------------------------------------------------------------
# --version


def test_version_prints_the_installed_version() -> None:
    done = cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"dirsync-bridge {version('dirsync-bridge')}\n"
    assert "--version" in cli("--help").stdout


# ---------------------------------------------------------------------------------------------
# A bug: any exception that is not one of ours

# The CLI as installed, with the pipeline's replay broken as a bug would break it.
WITH_A_BUG = (
    "import sys\n"
    "import dirsync_bridge.pipeline\n"
    "def replay(*args, **kwargs):\n"
    "    raise ZeroDivisionError('division by zero\\nsecond line')\n"
    "dirsync_bridge.pipeline.replay = replay\n"
    "from dirsync_bridge.__main__ import main\n"
    "main()\n"
)
INTERNAL = 70


@pytest.mark.parametrize("log_format", ["human", "json"])
def test_a_bug_is_one_line_exit_70_and_its_traceback_only_at_vv(
    tmp_path: Path, log_format: str
) -> None:
    config = config_file(tmp_path)

    def run(*verbose: str) -> subprocess.CompletedProcess[str]:
        args = ["--config", str(config), "--log-format", log_format, *verbose]
        return subprocess.run(
            [sys.executable, "-c", WITH_A_BUG, *args, "replay", str(REPORTS)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )

    line = "internal error (ZeroDivisionError: division by zero); please report it; -vv shows where"
    done = run()
    assert done.returncode == INTERNAL, done.stderr
    if log_format == "json":
        (record,) = [json.loads(each) for each in done.stderr.splitlines()]
        assert (record["level"], record["message"]) == ("error", line)
    else:
        assert done.stderr == f"dirsync-bridge: error: {line}\n"
    verbose = run("-vv")
    assert verbose.returncode == INTERNAL
    assert "Traceback" in verbose.stderr and "ZeroDivisionError" in verbose.stderr
