"""A state directory on a read-only file system (a path outside StateDirectory= under the
shipped unit's ProtectSystem=strict, a read-only remount), as a user meets it.

Writers say the file system is read-only and name the ``ReadWritePaths=`` line to add, as
for the metrics textfile; no account's rights would help (even root may not write), so
blaming them is the wrong fix. Dry runs and readers go on: they write nothing there.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay

from ..conftest import REPORTS
from .conftest import cli, make_config, mounted

REPORT = REPORTS / "aadsync_th_thead.eml"


@pytest.fixture
def read_only_state(tmp_path: Path) -> Iterator[Config]:
    """A ledger after one run, seen through a read-only bind mount of its directory."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to bind-mount a read-only directory")
    writable = make_config(tmp_path / "writable")
    replay([REPORT], writable)
    mount_point = tmp_path / "state"
    mount_point.mkdir()
    bound = ["mount", "--bind", str(writable.state.directory), str(mount_point)]
    if subprocess.run(bound, capture_output=True, check=False).returncode:
        pytest.skip("cannot bind-mount here")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mount_point)], check=True)
        yield make_config(mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_doctor_names_a_read_only_file_system_not_the_accounts_permissions(
    read_only_state: Config,
) -> None:
    done = cli(read_only_state, "doctor")
    assert done.returncode == 2
    fail = [line for line in (done.stdout + done.stderr).splitlines() if "FAIL" in line]
    assert fail, done.stdout + done.stderr
    assert any("read-only" in line.lower() for line in fail), fail
    assert any(f"ReadWritePaths={read_only_state.state.directory}" in line for line in fail)
    assert not any("not writable by this account" in line for line in fail), fail


def test_replay_names_a_read_only_file_system_and_the_line_that_allows_it(
    read_only_state: Config,
) -> None:
    done = cli(read_only_state, "replay", str(REPORT))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "read-only" in lines[0], lines
    assert f"ReadWritePaths={read_only_state.state.directory}" in lines[0], lines


def test_dry_runs_and_readers_still_work_on_a_read_only_state_directory(
    read_only_state: Config,
) -> None:
    before = sorted(p.name for p in read_only_state.state.directory.iterdir())
    dry = cli(read_only_state, "replay", "--dry-run", str(REPORT))
    assert dry.returncode == 0, dry.stderr
    listed = cli(read_only_state, "tickets")
    assert listed.returncode == 0, listed.stderr
    assert "3 tickets" in listed.stdout, listed.stdout
    assert sorted(p.name for p in read_only_state.state.directory.iterdir()) == before


def test_a_reader_of_a_read_only_state_directory_reads_one_state_while_a_run_writes_it(
    read_only_state: Config, tmp_path: Path
) -> None:
    """Where SQLite cannot share the log read-only (no ``-shm``, none may be made), readers
    (``tickets``, ``doctor``) read a copy taken as one state of the file: a run that starts
    meanwhile (through a path that may write) and checkpoints into the file is not read half
    before and half after (was: ``immutable=1``, "Rowid out of order", rows missing)."""
    writable = tmp_path / "writable" / "state.db"
    run = sqlite3.connect(writable, isolation_level=None)
    try:
        run.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT)")
        run.executemany("INSERT INTO filler (text) VALUES (?)", [("a" * 50,)] * 5000)
        run.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        run.close()  # (the last connection: -wal and -shm are gone)

    ledger = Ledger.open_readonly(read_only_state.state.path)
    try:
        ledger.conn.execute("PRAGMA cache_size=5")  # a ledger larger than SQLite's cache
        before = ledger.conn.execute("SELECT count(*) FROM filler").fetchone()[0]
        run = sqlite3.connect(writable, isolation_level=None)
        try:  # the next run: rows rewritten longer, some deleted, all checkpointed
            run.execute("UPDATE filler SET text = text || ?", ("b" * 50,))
            run.execute("DELETE FROM filler WHERE id % 3 = 0")
            run.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            run.close()
        conn = ledger.conn
        integrity = [tuple(r) for r in conn.execute("PRAGMA integrity_check").fetchall()]
        after = conn.execute("SELECT count(*), sum(length(text)) FROM filler").fetchone()
    finally:
        ledger.close()
    assert integrity == [("ok",)], str(integrity)[:300]
    assert before == 5000
    assert tuple(after) == (5000, 5000 * 50)  # the state it opened, whole


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[Path]:
    """An empty tmpfs, to be remounted read-only (``remount_read_only``)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a tmpfs")
    tmpfs = ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs"]
    with mounted(tmpfs, tmp_path / "mnt", "cannot mount a tmpfs here") as where:
        yield where


def remount_read_only(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)


def config_file(path: Path, state: Path, extra: str = "") -> Path:
    path.write_text(
        f'[state]\npath = "{state}"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n{extra}'
    )
    return path


def run_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dirsync_bridge", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_readers_read_a_read_only_ledger_with_a_log_not_yet_applied(
    tmp_path: Path, mount: Path
) -> None:
    """A ledger with a log not yet checkpointed and no ``-shm`` (a crashed run's, restored
    from a backup) on a read-only mount: ``tickets`` reads it as a dry run does, from a copy
    of the file and its log, and sees what the log holds (was: exit 2 "cannot write the
    ledger", a refusal right only for ``immutable=1``, which read the file alone)."""
    state = mount / "state" / "state.db"
    config = config_file(tmp_path / "c.toml", state)
    assert run_cli(config, "replay", str(REPORT)).returncode in (0, 1)
    saved = tmp_path / "saved"
    saved.mkdir()
    conn = sqlite3.connect(state, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("UPDATE messages SET reason = coalesce(reason, '') || ' (unapplied)'")
    for name in ("state.db", "state.db-wal"):  # as a crash leaves them, before any close
        shutil.copy2(state.parent / name, saved / name)
    conn.close()
    for name in ("state.db", "state.db-wal"):
        shutil.copy2(saved / name, state.parent / name)
    (state.parent / "state.db-shm").unlink(missing_ok=True)
    assert (state.parent / "state.db-wal").stat().st_size > 0
    remount_read_only(mount)

    dry = run_cli(config, "replay", "--dry-run", str(REPORT))
    assert dry.returncode == 0, dry.stderr
    listed = run_cli(config, "tickets")
    assert listed.returncode == 0, listed.stderr
    assert "3 tickets" in listed.stdout, listed.stdout
    ledger = Ledger.open_readonly(state)
    try:
        rows = ledger.conn.execute("SELECT count(*), sum(reason LIKE '%(unapplied)') FROM messages")
        total, unapplied = rows.fetchone()
    finally:
        ledger.close()
    assert total and unapplied == total, (total, unapplied)


def test_readers_read_a_read_only_ledger_whose_time_is_in_the_future(
    tmp_path: Path, mount: Path
) -> None:
    """``tickets`` on a read-only mount reads a copy, as a dry run does: a ledger restored
    with its times from a clock that ran ahead is copied, not refused with 75 (rev24)."""
    state = mount / "state" / "state.db"
    config = config_file(tmp_path / "c.toml", state)
    assert run_cli(config, "replay", str(REPORT)).returncode in (0, 1)
    later = time.time() + 600
    os.utime(state, (later, later))
    remount_read_only(mount)
    listed = run_cli(config, "tickets")
    assert listed.returncode == 0, (listed.returncode, listed.stderr)
    assert "3 tickets" in listed.stdout, listed.stdout


def test_a_state_directory_to_be_made_on_a_read_only_mount_names_its_existing_parent(
    tmp_path: Path, mount: Path
) -> None:
    """systemd does not start a unit whose ``ReadWritePaths=`` names a missing path
    (226/NAMESPACE): the line named is that of the nearest existing parent, in which the
    state directory is to be made (was: the missing directory itself)."""
    remount_read_only(mount)
    state = mount / "new" / "deeper" / "state.db"
    done = run_cli(config_file(tmp_path / "c.toml", state), "replay", str(REPORT))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "read-only" in lines[0], done.stderr
    assert f"ReadWritePaths={mount} to the service" in lines[0], lines
    assert "ReadWritePaths=-" not in lines[0]


def test_doctor_fails_a_metrics_textfile_on_a_read_only_mount_in_the_runs_words(
    tmp_path: Path, mount: Path
) -> None:
    """Every run does its work, then ends with exit 2 "metrics.textfile ... read-only":
    doctor says so first, in the same words (was: all ok)."""
    (mount / "prom").mkdir()
    remount_read_only(mount)
    state = tmp_path / "state" / "state.db"
    textfile = mount / "prom" / "d.prom"
    config = config_file(tmp_path / "c.toml", state, f'[metrics]\ntextfile = "{textfile}"\n')
    run = run_cli(config, "replay", str(REPORT))
    assert run.returncode == 2, run.stderr
    (said,) = [line for line in run.stderr.splitlines() if "metrics.textfile" in line]
    assert "read-only" in said, said
    doctor = run_cli(config, "doctor")
    assert doctor.returncode == 2, doctor.stdout + doctor.stderr
    (fail,) = [line for line in doctor.stdout.splitlines() if line.startswith("FAIL")]
    assert fail.startswith("FAIL metrics textfile: "), fail
    assert said.endswith(fail.removeprefix("FAIL metrics textfile: ")), (said, fail)


def test_doctor_passes_a_writable_metrics_textfile_folder(tmp_path: Path) -> None:
    (tmp_path / "prom").mkdir()
    state = tmp_path / "state" / "state.db"
    textfile = tmp_path / "prom" / "d.prom"
    config = config_file(tmp_path / "c.toml", state, f'[metrics]\ntextfile = "{textfile}"\n')
    doctor = run_cli(config, "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert f"ok   metrics textfile: {textfile}: its folder is writable" in doctor.stdout
    assert list((tmp_path / "prom").iterdir()) == []  # nothing written
