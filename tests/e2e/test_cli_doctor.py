"""`doctor` on the machine itself: which file it read, and the ledger's health and rights."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import REPORTS, ROOT

CLI = [sys.executable, "-m", "dirsync_bridge"]


def doctor(
    *args: str, cwd: Path = ROOT, drop_root: bool = False
) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if drop_root and os.geteuid() == 0:
        # Root ignores file permissions; without these capabilities it meets them like the
        # service account would.
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to test permissions as root"
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    return subprocess.run(
        [*prefix, *CLI, *args, "doctor"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text(
        '[state]\npath = "state/state.db"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n'
    )
    return path


def line(done: subprocess.CompletedProcess[str], name: str) -> str:
    (found,) = [x for x in done.stdout.splitlines() if x[5:].startswith(f"{name}: ")]
    return found


def replay(config: Path) -> None:
    done = subprocess.run(
        [*CLI, "--config", str(config), "replay", str(REPORTS / "aadsync_th_thead.eml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_doctor_names_the_file_it_read_or_that_it_read_none(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    done = doctor("--config", str(config))
    assert done.returncode == 0, done.stdout
    assert line(done, "config").startswith(f"ok   config: {config}; sink local; ledger ")

    empty = tmp_path / "empty"
    empty.mkdir()
    done = doctor(cwd=empty)
    assert line(done, "config").startswith("ok   config: no file (built-in defaults;")


def test_doctor_says_a_new_ledger_will_be_created_and_checks_an_existing_one(
    tmp_path: Path,
) -> None:
    config = config_file(tmp_path)
    ledger = tmp_path / "state" / "state.db"
    assert line(doctor("--config", str(config)), "ledger") == (
        f"ok   ledger: {ledger} does not exist yet: the first run creates it"
    )
    replay(config)
    done = doctor("--config", str(config))
    assert done.returncode == 0, done.stdout
    assert line(done, "ledger") == f"ok   ledger: {ledger}: healthy and writable"
    assert line(done, "local ticket store").startswith("ok   local ticket store: ")


# "foreign-migrations": another application's file with a ``migrations`` table of its own
# (Laravel's): not ours either (review rev39: doctor said it was not writable, uid 0).
@pytest.mark.parametrize("damage", ["garbage", "torn", "foreign", "foreign-migrations"])
def test_doctor_fails_on_a_damaged_ledger(tmp_path: Path, damage: str) -> None:
    config = config_file(tmp_path)
    ledger = tmp_path / "state" / "state.db"
    if damage == "garbage":
        ledger.parent.mkdir()
        ledger.write_bytes(b"this is not a database\n" * 300)
    elif damage == "torn":
        replay(config)
        data = bytearray(ledger.read_bytes())
        size = len(data) // 4096
        for page in range(1, size):  # every page but the header: the tables are gone
            data[page * 4096 : page * 4096 + 64] = b"\xff" * 64
        ledger.write_bytes(bytes(data))
    else:
        ledger.parent.mkdir()
        connection = sqlite3.connect(ledger)
        connection.execute("CREATE TABLE other (x)")
        if damage == "foreign-migrations":
            connection.execute("CREATE TABLE migrations (id INTEGER, migration TEXT, batch INT)")
        connection.close()
    done = doctor("--config", str(config))
    assert done.returncode == 2, done.stdout
    assert line(done, "ledger").startswith(f"FAIL ledger: {ledger} is damaged (")
    assert "restore it from a backup" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.fixture(params=["files", "directory"])
def read_only_state(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A ledger written by someone else: this account may read it, not write it (the files
    alone, or the directory too)."""
    config = config_file(tmp_path)
    replay(config)
    state = tmp_path / "state"
    for path in state.iterdir():
        path.chmod(0o444)
    if request.param == "directory":
        state.chmod(0o555)
    try:
        yield config
    finally:
        state.chmod(0o755)
        for path in state.iterdir():
            path.chmod(0o644)


def test_doctor_fails_on_a_ledger_this_account_cannot_write(read_only_state: Path) -> None:
    done = doctor("--config", str(read_only_state), drop_root=True)
    assert done.returncode == 2, done.stdout + done.stderr
    ledger = line(done, "ledger")
    assert ledger.startswith("FAIL ledger: ") and "is not writable by this account" in ledger
    assert "run doctor as it" in ledger


def test_doctor_fails_when_the_ledger_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("a file where the state directory should be\n")
    done = doctor("--config", str(config_file(tmp_path)))
    assert done.returncode == 2
    assert (
        line(done, "ledger")
        == f"FAIL ledger: {tmp_path / 'state'} is not a directory: fix [state] path"
    )


def test_doctor_tries_the_configured_templates_as_a_run_would(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    config.write_text(config.read_text() + '[tickets]\ntemplates = "templates"\n')
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "summary.txt.j2").write_text("{{ t.no_such_field }}")
    done = doctor("--config", str(config))
    assert done.returncode == 2, done.stdout  # a run would stop there before any write
    assert line(done, "templates").startswith(
        f"FAIL templates: {templates / 'summary.txt.j2'}: [tickets] templates: summary.txt.j2: "
        "line 1: "
    )

    (templates / "summary.txt.j2").write_text("[dirsync] {{ t.identity }}")
    done = doctor("--config", str(config))
    assert done.returncode == 0, done.stdout
    assert line(done, "templates") == f"ok   templates: {templates}: every template renders"
