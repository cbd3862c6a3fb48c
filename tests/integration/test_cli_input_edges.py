"""CLI input at the edges: --since at the ends of time, a blank --tenant on tickets, usage
errors (from the third review).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "dirsync_bridge"]


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env=env,
    )


@pytest.mark.parametrize(
    "since", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:30+00:45"]
)
@pytest.mark.parametrize("command", ["tickets", "report"])
def test_since_at_the_edge_of_time_is_one_line_not_an_internal_error(
    tmp_path: Path, since: str, command: str
) -> None:
    extra = ["--html", str(tmp_path / "r.html")] if command == "report" else []
    done = cli(tmp_path, command, *extra, "--since", since)
    assert done.returncode in (0, 2), done.stderr
    assert "internal error" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 1


@pytest.mark.parametrize("name", ["", " ", "\u200b", "\u202e\u200b"])
def test_blank_tenant_on_tickets_is_refused_like_on_replay(tmp_path: Path, name: str) -> None:
    """README: 'A blank name (`--tenant ""`, ...) is refused in one line.'"""
    done = cli(tmp_path, "tickets", "--tenant", name)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "empty" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("replay", "--sink", "jiira", "."),
        ("replay", "does/not/exist.eml"),
        ("parse", "--format", "xml", "."),
        ("replay", "--since", "x", "."),
        ("replya", "."),  # an unknown command: click's nearest name, in one line
        ("--bogus", "replay", "."),  # an unknown option of the tool's own
    ],
)
def test_a_bad_value_on_replay_or_parse_is_one_line_exit_2(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """tickets/report were fixed to one line (test_cli_tickets); replay/parse still print
    click's four-line usage block."""
    done = cli(tmp_path, *args)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_a_line_separator_in_the_config_path_is_escaped_as_in_since(tmp_path: Path) -> None:
    done = cli(tmp_path, "--config", str(tmp_path / "a\u2028b.toml"), "tickets")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, repr(done.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["--bogus\nx"],
        ["\x1b[31mevil"],
        ["tickets", "show", "--bogus"],
        ["tickets", "frob"],  # an unknown command of the tickets group
        ["doctor", "--bogus"],  # an unknown option of doctor
        ["-v"],  # the group's options, and no command
        ["--log-format"],
        ["--log-format", "xml", "replay"],
    ],
    ids=repr,
)
@pytest.mark.parametrize("log_format", ["human", "json"])
def test_every_usage_error_is_one_line(tmp_path: Path, args: list[str], log_format: str) -> None:
    """From the second review of today's changes: `tickets frob`, `doctor --bogus` and the
    group's options with no command were still click's usage block."""
    first = ["--log-format", "json"] if log_format == "json" and args[0] != "--log-format" else []
    done = cli(tmp_path, *first, *args)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert "\x1b" not in line and "Traceback" not in line
    assert line.startswith("{" if first else "dirsync-bridge: error: "), line


def test_no_command_at_all_still_shows_the_help(tmp_path: Path) -> None:
    done = cli(tmp_path)
    assert done.returncode == 2
    assert "Commands:" in done.stderr + done.stdout
