"""The shipped systemd units: they verify, and a temporary failure that persists fails the
unit (so that OnFailure= alerts) while an isolated one does not.

The service's ExecStart is run for real, as systemd would run it, with the tool replaced by
a stand-in that exits with the code a test chooses; the unit's verdict is computed the way
systemd computes it (exit 0 or a SuccessExitStatus= code: success, anything else: failed).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import ROOT

UNITS = ROOT / "config"
SERVICE = UNITS / "dirsync-bridge.service"
WRAPPER = UNITS / "dirsync-bridge-pass"
INSTALLED_TOOL = "/opt/dirsync-bridge/.venv/bin/dirsync-bridge"
INSTALLED_WRAPPER = "/opt/dirsync-bridge/config/dirsync-bridge-pass"


def unit_settings(path: Path) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit file, values in order (a key may repeat)."""
    settings: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


class Service:
    """dirsync-bridge.service, run pass after pass with a stand-in for the tool."""

    def __init__(self, tmp_path: Path) -> None:
        self.settings = unit_settings(SERVICE)
        self.state = tmp_path / "state"
        self.state.mkdir()
        self.code_file = tmp_path / "next-exit-code"
        self.tool = tmp_path / "dirsync-bridge"
        self.tool.write_text(f'#!/bin/sh\necho "pass: $*"\nexit "$(cat {self.code_file})"\n')
        self.tool.chmod(0o755)
        (command,) = self.settings["ExecStart"]
        argv = shlex.split(command)
        self.argv = [
            str(WRAPPER) if a == INSTALLED_WRAPPER else str(self.tool) if a == INSTALLED_TOOL else a
            for a in argv
        ]
        self.success = {0} | {
            int(code)
            for value in self.settings.get("SuccessExitStatus", [])
            for code in value.split()
        }
        self.env = dict(os.environ)
        for value in self.settings.get("Environment", []):
            for assignment in shlex.split(value):
                key, _, val = assignment.partition("=")
                self.env[key] = val
        self.env["STATE_DIRECTORY"] = str(self.state)  # what StateDirectory= sets

    def run(self, tool_exit: int) -> tuple[str, subprocess.CompletedProcess[str]]:
        """One pass whose tool exits ``tool_exit``: ("success" | "failed", the process)."""
        self.code_file.write_text(f"{tool_exit}\n")
        done = subprocess.run(
            self.argv, capture_output=True, text=True, env=self.env, timeout=30, check=False
        )
        return ("success" if done.returncode in self.success else "failed"), done


def test_the_service_runs_the_tool_through_the_wrapper_and_alerts_on_failure() -> None:
    settings = unit_settings(SERVICE)
    (command,) = settings["ExecStart"]
    argv = shlex.split(command)
    assert argv[0] == INSTALLED_WRAPPER and argv[1] == INSTALLED_TOOL
    assert argv[-1] == "run" and "--log-format" in argv
    (on_failure,) = settings["OnFailure"]
    assert on_failure == "dirsync-bridge-alert@%n.service"
    assert (UNITS / "dirsync-bridge-alert@.service").is_file()
    assert os.access(WRAPPER, os.X_OK)


def test_a_temporary_failure_that_persists_fails_the_unit(tmp_path: Path) -> None:
    service = Service(tmp_path)
    limit = int(service.env["DIRSYNC_BRIDGE_MAX_TEMPORARY"])
    verdicts = [service.run(75)[0] for _ in range(limit + 2)]
    # The first few in a row are no news; from the limit on, every pass fails the unit.
    assert verdicts == ["success"] * (limit - 1) + ["failed"] * 3


def test_any_other_outcome_starts_the_count_again(tmp_path: Path) -> None:
    service = Service(tmp_path)
    service.env["DIRSYNC_BRIDGE_MAX_TEMPORARY"] = "3"
    assert [service.run(75)[0] for _ in range(2)] == ["success", "success"]
    verdict, done = service.run(0)
    assert verdict == "success" and done.stdout.startswith("pass: ")
    assert [service.run(75)[0] for _ in range(3)] == ["success", "success", "failed"]
    assert service.run(1)[0] == "failed"  # a person is needed: at once
    assert service.run(75)[0] == "success"  # and the count started again
    assert service.run(2)[1].returncode == 2  # the tool's own code, unchanged


def test_the_wrapper_says_what_it_counts_in_json_like_the_tool(tmp_path: Path) -> None:
    service = Service(tmp_path)
    service.env["DIRSYNC_BRIDGE_MAX_TEMPORARY"] = "2"
    quiet = service.run(75)[1]
    loud = service.run(75)[1]
    (warning,) = [json.loads(line) for line in quiet.stderr.splitlines()]
    assert warning["level"] == "warning" and "1 in a row" in warning["message"]
    (error,) = [json.loads(line) for line in loud.stderr.splitlines()]
    assert error["level"] == "error" and "2 passes in a row" in error["message"]
    assert error["time"].endswith("Z") and error["logger"] == "dirsync-bridge-pass"


def test_a_count_that_cannot_be_kept_fails_the_unit_rather_than_forgetting(
    tmp_path: Path,
) -> None:
    service = Service(tmp_path)
    service.env["STATE_DIRECTORY"] = str(tmp_path / "missing")
    verdict, done = service.run(75)
    assert verdict == "failed"
    assert "cannot be written" in done.stderr


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (package systemd)")
    names = ["dirsync-bridge.service", "dirsync-bridge.timer", "dirsync-bridge-alert@.service"]
    for name in names:
        # verify wants the programs to exist: point them at this checkout's.
        text = (UNITS / name).read_text()
        text = text.replace(INSTALLED_WRAPPER, str(WRAPPER))
        text = text.replace(INSTALLED_TOOL, shutil.which("true") or "/bin/true")
        (tmp_path / name).write_text(text)
    # The alert unit as OnFailure= instantiates it.
    instance = "dirsync-bridge-alert@dirsync-bridge.service.service"
    shutil.copy(tmp_path / "dirsync-bridge-alert@.service", tmp_path / instance)
    done = subprocess.run(
        [analyze, "verify", *(f"./{n}" for n in [*names[:2], instance])],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify only warns about unknown keys: any output at all is a finding.
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stderr


@pytest.mark.parametrize(
    "value",
    ["99999999999999999999", "9223372036854775808", "1000000", "0", "six", "-3", "6 "],
    ids=["20-digits", "past-int64", "past-bound", "zero", "word", "negative", "space"],
)
def test_a_limit_that_is_not_a_count_is_one_line_naming_the_variable(
    tmp_path: Path, value: str
) -> None:
    """A limit the wrapper cannot count to: dash's ``[`` called 20 digits an "Illegal number"
    (a line of its own on stderr) and the wrapper fell back to 1, so every temporary failure
    failed the unit; a word silently became 6. Now exit 2 (a setting to fix, as the tool's
    own configuration errors), one line naming the variable, and no pass is run on it."""
    service = Service(tmp_path)
    service.env["DIRSYNC_BRIDGE_MAX_TEMPORARY"] = value
    verdict, done = service.run(75)
    assert verdict == "failed" and done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert "DIRSYNC_BRIDGE_MAX_TEMPORARY" in line and "1 to 999999" in line, line
    assert "pass: " not in done.stdout  # the tool was not run
    assert not (service.state / "temporary-failures-in-a-row").exists()


@pytest.mark.parametrize(("value", "limit"), [("999999", 999999), ("0003", 3), ("", 6)])
def test_a_limit_within_the_bound_is_counted_to(tmp_path: Path, value: str, limit: int) -> None:
    service = Service(tmp_path)
    service.env["DIRSYNC_BRIDGE_MAX_TEMPORARY"] = value
    verdict, done = service.run(75)
    assert verdict == "success" and done.stderr.count("\n") == 1, done.stderr
    assert f"the unit fails from {limit} in a row" in done.stderr


@pytest.mark.parametrize(
    ("kept", "count"),
    [("08", 9), ("0009", 10), ("99999999999999999999", 1000000)],
    ids=["octal-looking", "leading-zeros", "20-digits"],
)
def test_a_count_file_of_odd_digits_is_counted_on(tmp_path: Path, kept: str, count: int) -> None:
    """The count file with leading zeros (restored, or edited by hand) or past the shell's
    integers: dash's arithmetic took "08" and "0009" for octal and said "Illegal number"
    (exit 2, a line of its own) on every temporary failure, until a pass ended otherwise;
    so for 20 digits (review rev42). Now read as the decimal count it spells, one past the
    bound (999999) held at it: the pass fails the unit with the wrapper's own line, and the
    file holds the count again."""
    service = Service(tmp_path)
    (service.state / "temporary-failures-in-a-row").write_text(f"{kept}\n")
    verdict, done = service.run(75)
    assert verdict == "failed" and done.returncode == 75, done.stderr
    (line,) = done.stderr.splitlines()
    assert f"{count} passes in a row" in line, line
    assert (service.state / "temporary-failures-in-a-row").read_text() == f"{count}\n"
