"""The state directory going wrong under a real process: damaged, read-only, missing, full.

Each fault is real: bytes overwritten in the ledger file, a table dropped, a directory made
read-only (for root, by dropping the capabilities that let root ignore file modes), a state
path under a regular file, and a small tmpfs that fills up mid-run. Each ends in one line on
stderr, no traceback, the exit code of design.md section 5, and a rerun that ends where a
clean run ends.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ..conftest import REPORTS
from ..earlier_release import to_earlier_release
from ..integration.conftest import make_config, outcome
from ..integration.test_crash import build_corpus
from ..reportgen import LARGE, duplicate, report_email

CLI = [sys.executable, "-m", "dirsync_bridge"]
NEW_REPORT = REPORTS / "aadsync_th_thead.eml"


def cli(config: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, *CLI, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The run's only stderr line (an error names what failed and what to do, in one line)."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def write_config(tmp_path: Path, state: Path) -> Path:
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text(
        f'[state]\npath = "{state / "state.db"}"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n'
    )
    return config


@pytest.fixture
def replayed(tmp_path: Path) -> Path:
    """A config whose state holds the whole corpus, replayed once."""
    config = write_config(tmp_path, tmp_path / "state")
    assert cli(config, "replay", str(REPORTS)).returncode == 1  # the hostile fixtures
    return config


def _without_dac_override() -> tuple[str, ...]:
    """A command prefix under which file modes apply, even to root."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make file modes apply to root")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")


# ---------------------------------------------------------------------------------------------
# A damaged ledger


def _table_root_page(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        return int(row.fetchone()[0])
    finally:
        conn.close()


def test_tickets_on_a_damaged_ledger_says_so_in_one_line_and_exits_2(
    tmp_path: Path, replayed: Path
) -> None:
    ledger = tmp_path / "state" / "state.db"
    page = _table_root_page(ledger, "tickets")
    with ledger.open("r+b") as handle:
        handle.seek(4096 * (page - 1))
        handle.write(b"\xde\xad" * 2048)
    done = cli(replayed, "tickets")
    assert done.returncode == 2
    line = one_line(done)
    assert line.startswith(f"dirsync-bridge: error: {ledger}: the ledger is damaged (")
    assert line.endswith("restore it from a backup")
    fresh = tmp_path / "fresh.eml"  # a report that makes a ticket: the table must be read
    fresh.write_bytes(
        report_email("Contoso", datetime(2030, 1, 1, tzinfo=UTC), [("x@y.com", LARGE)], "f@t")
    )
    replay = cli(replayed, "replay", str(fresh))
    assert replay.returncode == 2 and "the ledger is damaged" in one_line(replay)


def test_a_ledger_with_a_missing_table_says_so_in_one_line_and_exits_2(
    tmp_path: Path, replayed: Path
) -> None:
    ledger = tmp_path / "state" / "state.db"
    conn = sqlite3.connect(ledger)
    conn.execute("DROP TABLE sightings")
    conn.commit()
    conn.close()
    for args in (["tickets"], ["replay", str(NEW_REPORT)]):
        done = cli(replayed, *args)
        assert done.returncode == 2, args
        assert one_line(done) == (
            f"dirsync-bridge: error: {ledger}: the ledger is damaged (table sightings is "
            "missing); restore it from a backup"
        )


def test_a_file_that_is_not_a_database_says_so_in_one_line_and_exits_2(
    tmp_path: Path, replayed: Path
) -> None:
    ledger = tmp_path / "state" / "state.db"
    for leftover in ledger.parent.glob("state.db-*"):
        leftover.unlink()
    ledger.write_bytes(b"this is not a database" * 100)
    done = cli(replayed, "tickets")
    assert done.returncode == 2
    assert "the ledger is damaged (file is not a database)" in one_line(done)


def test_another_applications_database_at_the_ledgers_path_is_refused_untouched(
    tmp_path: Path,
) -> None:
    """``[state] path`` naming another application's SQLite file by mistake (a Grafana or
    Home Assistant database): every command refuses it in one line, and its bytes, tables
    and journal mode are left as they were (found by hostile review rev37: a run used to
    add the ledger's tables to it, and switch it to WAL)."""
    ledger = tmp_path / "state" / "state.db"
    ledger.parent.mkdir()
    conn = sqlite3.connect(ledger)
    conn.execute("CREATE TABLE dashboard (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO dashboard (title) VALUES ('Sales')")
    conn.commit()
    conn.close()
    before = ledger.read_bytes()
    config = write_config(tmp_path, ledger.parent)
    for args in (["replay", str(NEW_REPORT)], ["replay", "--dry-run", str(NEW_REPORT)]):
        done = cli(config, *args)
        assert done.returncode == 2, (args, done.stderr)
        line = one_line(done)
        assert line.startswith(f"dirsync-bridge: error: {ledger}: ") and "dashboard" in line
    done = cli(config, "tickets")
    assert done.returncode == 2 and "dashboard" in one_line(done)
    assert ledger.read_bytes() == before
    conn = sqlite3.connect(ledger)
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    assert tables == ["dashboard"]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


@pytest.mark.parametrize(
    "schema",
    [
        # Laravel's table: no ``name`` column (the ledger's query of it fails).
        "CREATE TABLE migrations (id INTEGER PRIMARY KEY, migration TEXT, batch INTEGER)",
        # db-migrate's (Node): a ``name`` column, its rows taken for a newer release's.
        "CREATE TABLE migrations (id INTEGER PRIMARY KEY, name TEXT, run_on TEXT)",
    ],
)
def test_another_applications_database_with_its_own_migrations_table_is_refused_untouched(
    tmp_path: Path, schema: str
) -> None:
    """Another application's SQLite file that keeps a table called ``migrations`` of its
    own (Laravel, db-migrate): refused in one line as another application's, its bytes and
    journal mode left as they were (review rev39: the table's name alone let it through to
    WAL mode, then a "damaged" or "newer release" refusal)."""
    ledger = tmp_path / "state" / "state.db"
    ledger.parent.mkdir()
    conn = sqlite3.connect(ledger)
    conn.execute(schema)
    conn.execute("INSERT INTO migrations (id) VALUES (1)")
    conn.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT)")
    conn.commit()
    conn.close()
    before = ledger.read_bytes()
    config = write_config(tmp_path, ledger.parent)
    for args in (["replay", str(NEW_REPORT)], ["replay", "--dry-run", str(NEW_REPORT)]):
        done = cli(config, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "not the ledger" in one_line(done) and "posts" in one_line(done), done.stderr
    done = cli(config, "tickets")
    assert done.returncode == 2 and "not the ledger" in one_line(done), done.stderr
    assert ledger.read_bytes() == before
    conn = sqlite3.connect(ledger)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


# ---------------------------------------------------------------------------------------------
# Permissions and paths


def test_tickets_reads_a_ledger_it_may_not_write(tmp_path: Path, replayed: Path) -> None:
    prefix = _without_dac_override()
    state = tmp_path / "state"
    expected = cli(replayed, "tickets", "--status", "all", "--format", "json")
    assert expected.returncode == 0
    (state / "state.db").chmod(0o444)
    state.chmod(0o555)
    try:
        done = cli(replayed, "tickets", "--status", "all", "--format", "json", prefix=prefix)
        assert done.returncode == 0, done.stderr
        assert done.stdout == expected.stdout
        replay = cli(replayed, "replay", str(NEW_REPORT), prefix=prefix)
        assert replay.returncode == 2
        line = one_line(replay)
        assert f"{state}" in line and "cannot write" in line
        assert "give the user that runs dirsync-bridge write access" in line
    finally:
        state.chmod(0o755)
        (state / "state.db").chmod(0o644)
    assert cli(replayed, "replay", str(REPORTS)).returncode == 0  # and all is well after


def test_a_state_directory_that_cannot_be_created_exits_2_in_one_line(tmp_path: Path) -> None:
    prefix = _without_dac_override()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    config = write_config(tmp_path, locked / "state")
    for args in (["replay", str(NEW_REPORT)], ["tickets"]):
        done = cli(config, *args, prefix=prefix)
        assert done.returncode == (2 if args[0] == "replay" else 0), done.stderr
        if args[0] == "replay":
            assert one_line(done) == (
                f"dirsync-bridge: error: [state] path: cannot create the state directory "
                f"{locked / 'state'}: Permission denied"
            )
        else:
            assert done.stdout == "0 tickets\n"  # nothing recorded yet, and nothing made


def test_a_state_path_under_a_regular_file_exits_2_in_one_line(tmp_path: Path) -> None:
    regular = tmp_path / "notes.txt"
    regular.write_text("a file, not a directory\n")
    config = write_config(tmp_path, regular / "state")
    done = cli(config, "replay", str(NEW_REPORT))
    assert done.returncode == 2
    assert one_line(done) == (
        f"dirsync-bridge: error: [state] path: cannot create the state directory "
        f"{regular / 'state'}: {regular} is a file, not a directory"
    )
    assert regular.read_text() == "a file, not a directory\n"


def test_a_state_path_that_is_a_directory_exits_2_in_one_line(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "state.db").mkdir(parents=True)
    config = write_config(tmp_path, state)
    for args in (["replay", str(NEW_REPORT)], ["tickets"]):
        done = cli(config, *args)
        assert done.returncode == 2, args
        assert one_line(done) == (
            f"dirsync-bridge: error: [state] path: {state / 'state.db'} is a directory, "
            "not the ledger's file"
        )


@pytest.mark.parametrize("name", ["tickets.db", "run.lock", "a\\u0000b.db"])
def test_a_state_path_no_ledger_can_have_is_one_config_line_for_every_command(
    tmp_path: Path, name: str
) -> None:
    """The store's own file, the lock, a NUL (a TOML escape): each is said once, at load time,
    by every command and by doctor (was "table tickets already exists", "the ledger is
    damaged; restore it from a backup", a ValueError traceback, or doctor all ok)."""
    config = tmp_path / "c.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "st"}/{name}"\n')
    for args in (["replay", str(NEW_REPORT)], ["tickets"], ["doctor"]):
        done = cli(config, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert one_line(done).startswith(f"dirsync-bridge: error: {config}: state.path: "), args
        assert done.stdout == "", args
    assert not (tmp_path / "st").exists()


@pytest.mark.parametrize("kind", ["a symbolic link", "a FIFO"])
def test_a_run_lock_that_is_not_a_regular_file_is_refused_and_left_alone(
    tmp_path: Path, kind: str
) -> None:
    """A "stale lock" that is a link must never truncate the file it points at."""
    state = tmp_path / "state"
    state.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's data\n")
    lock = state / "run.lock"
    if kind == "a FIFO":
        os.mkfifo(lock)
    else:
        lock.symlink_to(victim)
    config = write_config(tmp_path, state)
    done = cli(config, "replay", str(NEW_REPORT))
    assert done.returncode == 2, done.stderr
    assert one_line(done) == (
        f"dirsync-bridge: error: [state] path: {lock} is {kind}, not the run lock's file; "
        "remove it (a new one is made) or point [state] path elsewhere"
    )
    assert victim.read_text() == "someone else's data\n"
    assert not (state / "state.db").exists()


# ---------------------------------------------------------------------------------------------
# A full disk (a real tmpfs, mounted by the test)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 64 KiB mounted for the test; skipped where mounting is not allowed."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs to fill needs root (CI runs as root)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _resize(mount_point: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(mount_point)], check=True)


def test_a_disk_that_fills_mid_run_exits_75_and_a_rerun_ends_as_a_clean_run(
    tmp_path: Path, small_disk: Path
) -> None:
    clean = make_config(tmp_path / "clean")
    (tmp_path / "clean").mkdir()
    clean_file = write_config(tmp_path / "clean", tmp_path / "clean")
    assert cli(clean_file, "replay", str(REPORTS)).returncode == 1
    expected = outcome(clean)

    state = small_disk / "state"
    config = write_config(tmp_path, state)
    failed_at = []
    # The disk grows between runs: each run gets further, and fails somewhere else.
    for size in ("64k", "160k", "320k", "480k", "640k"):
        _resize(small_disk, size)
        done = cli(config, "replay", str(REPORTS))
        if done.returncode != 75:
            break
        line = one_line(done)
        assert "the disk is full" in line and "free space" in line, line
        failed_at.append(line)
    assert len(failed_at) >= 3, failed_at
    _resize(small_disk, "64m")
    final = cli(config, "replay", str(REPORTS))
    assert final.returncode == 1, final.stderr  # the hostile fixtures, named
    assert outcome(make_config(state)) == expected


@pytest.mark.parametrize("spare_kib", [8, 60, 120, 200])
def test_a_rebuild_that_fills_the_disk_says_so_exits_75_and_leaves_nothing_behind(
    tmp_path: Path, small_disk: Path, spare_kib: int
) -> None:
    """The disk fills while `tickets rebuild` writes the new store (at several points, as
    the room left grows): one line saying the disk is full, exit 75, no half-made store left
    beside the ledger; once space is freed, the rebuild and the next run finish the job."""
    corpus = tmp_path / "corpus"
    build_corpus(corpus, reports_per_tenant=30)
    state = small_disk / "state"
    config = write_config(tmp_path, state)
    _resize(small_disk, "64m")
    assert cli(config, "replay", str(corpus)).returncode == 1  # the two hostile reports
    to_earlier_release(state).unlink()  # an earlier release's store lost: runs say to rebuild
    used = sum(p.stat().st_size for p in state.iterdir())
    _resize(small_disk, f"{used // 1024 + spare_kib}k")
    done = cli(config, "tickets", "rebuild")
    assert done.returncode == 75, done.stderr
    line = one_line(done)
    assert "the disk is full" in line and "free space" in line, line
    assert not list(state.glob("tickets.db*"))  # no half-made store beside the ledger
    _resize(small_disk, "64m")
    assert cli(config, "replay", str(corpus)).returncode == 2  # nothing half-rebuilt in it
    rebuilt = cli(config, "tickets", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert cli(config, "replay", str(corpus)).returncode == 0  # everything already seen
    assert outcome(make_config(state)) == _clean_outcome(tmp_path, corpus)


def _clean_outcome(tmp_path: Path, corpus: Path) -> dict[str, object]:
    clean = tmp_path / "clean"
    clean.mkdir()
    assert cli(write_config(clean, clean / "state"), "replay", str(corpus)).returncode == 1
    return outcome(make_config(clean / "state"))


# ---------------------------------------------------------------------------------------------
# The local ticket store lost


def test_a_lost_ticket_store_is_one_line_exit_2_and_tickets_rebuild_brings_it_back(
    tmp_path: Path, replayed: Path
) -> None:
    state = tmp_path / "state"
    listed = cli(replayed, "tickets", "--status", "all", "--format", "json")
    to_earlier_release(state).unlink()  # an earlier release's separate store, lost
    # A later report that changes a problem: its ticket must be commented.
    later = tmp_path / "later.eml"
    rows = [("megan.bowen@contosopharma.com", duplicate("UserPrincipalName", "m@c.com"))]
    at = datetime(2015, 1, 9, tzinfo=UTC)
    later.write_bytes(report_email("Contoso Pharmaceuticals", at, rows, "later@lost"))
    for _attempt in range(2):  # the same on every run until it is rebuilt
        done = cli(replayed, "replay", str(later))
        assert done.returncode == 2
        line = one_line(done)
        assert line.startswith(f"dirsync-bridge: error: {state / 'state.db'}: ")
        assert line.endswith("run `dirsync-bridge tickets rebuild` to rebuild it from the ledger")

    rebuilt = cli(replayed, "tickets", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith(
        f"rebuilt the local ticket store in {state / 'state.db'} from the ledger: "
    )
    assert cli(replayed, "tickets", "--status", "all", "--format", "json").stdout == listed.stdout
    done = cli(replayed, "replay", str(later))
    assert done.returncode == 0, done.stderr
    assert "1 commented" in done.stdout
