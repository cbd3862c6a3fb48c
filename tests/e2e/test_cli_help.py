"""Shell completion as a shell asks for it: a real process, click's protocol."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ..conftest import ROOT

CLI = [sys.executable, "-m", "dirsync_bridge"]


def complete(words: str, shell: str = "bash") -> subprocess.CompletedProcess[str]:
    parts = words.split(" ")
    env = {
        **os.environ,
        "_DIRSYNC_BRIDGE_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    return subprocess.run(
        CLI, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_is_printed_for_each_shell(shell: str) -> None:
    env = {**os.environ, "_DIRSYNC_BRIDGE_COMPLETE": f"{shell}_source"}
    done = subprocess.run(
        CLI, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "_DIRSYNC_BRIDGE_COMPLETE" in done.stdout and done.stderr == ""


def test_commands_subcommands_and_choices_complete() -> None:
    assert complete("dirsync-bridge tic").stdout.splitlines() == ["plain,tickets"]
    assert set(complete("dirsync-bridge tickets ").stdout.splitlines()) == {
        "plain,rebuild",
        "plain,show",
    }
    formats = complete("dirsync-bridge tickets --format ").stdout.splitlines()
    assert formats == ["plain,table", "plain,json", "plain,csv"]


def test_completion_loads_no_configuration() -> None:
    # A broken configuration must not break completion: nothing but click's answer runs.
    env_config = {"DIRSYNC_BRIDGE_CONFIG": "/nonexistent/dirsync-bridge.toml"}
    env = {
        **os.environ,
        **env_config,
        "_DIRSYNC_BRIDGE_COMPLETE": "bash_complete",
        "COMP_WORDS": "dirsync-bridge do",
        "COMP_CWORD": "1",
    }
    done = subprocess.run(
        CLI, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout.splitlines() == ["plain,doctor"]
    assert done.stderr == ""
