"""Integer keys past their bounds are config errors (exit 2, naming the file and the key).

TOML integers are 64-bit, but tomllib reads larger ones: ``resolve_after_reports`` of 23
digits passed ``ge=1`` and the first replay ended in an internal error (OverflowError:
Python int too large to convert to SQLite INTEGER), exit 70.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import REPORTS

CLI = [sys.executable, "-m", "dirsync_bridge"]


def replay_with(
    tmp_path: Path, section: str, key: str, value: str
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A replay of one report with ``[section] key = value`` (TOML): the file and the run."""
    conf = tmp_path / "c.toml"
    conf.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n[{section}]\n{key} = {value}\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
    done = subprocess.run(
        [*CLI, "--config", str(conf), "replay", str(REPORTS / "aadconnect_base64_html.eml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    return conf, done


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("tickets", "resolve_after_reports", "99999999999999999999999"),
        ("tickets", "resolve_after_reports", "9223372036854775807"),
        ("tickets", "resolve_after_reports", "10001"),
        ("parse", "max_message_bytes", "99999999999999999999999"),
        ("parse", "max_message_bytes", "1073741825"),
    ],
)
def test_an_integer_past_its_bound_is_a_config_error_not_an_internal_error(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    conf, done = replay_with(tmp_path, section, key, value)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert f"{conf}: {section}.{key}: must be at most" in done.stderr, done.stderr
    assert not (tmp_path / "state").exists()  # refused before anything is read or made


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [("tickets", "resolve_after_reports", "10000"), ("parse", "max_message_bytes", "1073741824")],
)
def test_an_integer_at_its_bound_is_taken(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    _conf, done = replay_with(tmp_path, section, key, value)
    assert done.returncode == 0, (done.returncode, done.stderr)


@pytest.mark.parametrize(
    ("section", "key", "value", "words"),
    [
        ("tickets", "resolve_after_reports", "true", "must be a whole number"),
        ("tickets", "resolve_after_reports", "false", "must be a whole number"),
        ("tickets", "resolve_after_reports", "2.0", "must be a whole number"),
        ("parse", "max_message_bytes", "true", "must be a whole number"),
        ("graph", "timeout", "true", "must be a number"),
        ("jira", "timeout", "true", "must be a number"),
        ("enrich.onprem", "timeout", "true", "must be a number"),
    ],
)
def test_a_boolean_for_a_number_is_a_config_error(
    tmp_path: Path, section: str, key: str, value: str, words: str
) -> None:
    # bool is an int to Python, and lax pydantic read ``true`` as 1 (one report, one byte,
    # one second); durations already refused booleans.
    conf, done = replay_with(tmp_path, section, key, value)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert f"{conf}: {section}.{key}: {words}" in done.stderr, done.stderr
    assert not (tmp_path / "state").exists()
