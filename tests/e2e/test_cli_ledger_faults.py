"""The ledger going wrong under a real process in ways SQLite reports as ``OperationalError``:
locked by another process, a text cell whose bytes rotted. Each is a real fault (another
process's ``BEGIN EXCLUSIVE`` on the file, one bit flipped in the file on disk) and ends in
one line naming the file and what to do, the exit code of design.md section 5, no traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ..conftest import REPORTS
from ..reportgen import LARGE, report_email
from .test_cli_state import cli, one_line, write_config

# Another process holds SQLite's write lock on the file until told to let go (a line on its
# standard input), as a backup tool or an `sqlite3` shell in a transaction would.
_LOCKER = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@pytest.fixture
def replayed(tmp_path: Path) -> Path:
    """A config whose ledger holds the whole corpus, replayed once."""
    config = write_config(tmp_path, tmp_path / "state")
    assert cli(config, "replay", str(REPORTS)).returncode == 1  # the hostile fixtures
    return config


def _new_report(tmp_path: Path) -> Path:
    fresh = tmp_path / "fresh.eml"  # a report that makes a ticket: the ledger must be written
    fresh.write_bytes(
        report_email("Contoso", datetime(2026, 6, 1, tzinfo=UTC), [("x@y.com", LARGE)], "f@t")
    )
    return fresh


def test_a_ledger_another_process_holds_locked_is_busy_exit_75_and_a_rerun_is_clean(
    tmp_path: Path, replayed: Path
) -> None:
    ledger = tmp_path / "state" / "state.db"
    fresh = _new_report(tmp_path)
    locker = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, str(ledger)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
        done = cli(replayed, "replay", str(fresh))  # waits out SQLite's busy timeout (10 s)
    finally:
        locker.communicate("\n", timeout=60)
    assert done.returncode == 75
    assert one_line(done) == (
        f"dirsync-bridge: error: {ledger}: the ledger is busy (database is locked); run again later"
    )
    again = cli(replayed, "replay", "--format", "json", str(fresh))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["tickets"]["created"] == 1  # nothing of it was kept


def test_a_text_cell_whose_bytes_rotted_is_a_damaged_ledger_in_one_line_exit_2(
    tmp_path: Path, replayed: Path
) -> None:
    # One bit flipped in the file: a letter of the lifecycle rules' JSON (read by every
    # pass) becomes a byte that is not UTF-8. The pages are whole: SQLite's own checks pass,
    # and the cell fails only as Python decodes it.
    ledger = tmp_path / "state" / "state.db"
    data = bytearray(ledger.read_bytes())
    at = data.index(b'"never_reopen"')
    data[at + 3] ^= 0x80
    ledger.write_bytes(data)
    done = cli(replayed, "replay", str(_new_report(tmp_path)))
    assert done.returncode == 2
    line = one_line(done)
    assert line.startswith(f"dirsync-bridge: error: {ledger}: the ledger is damaged ("), line
    assert line.endswith("; restore it from a backup"), line
    assert "rules" in line  # the column it was found in
    assert "reopen_within" not in line  # not the cell's text: a ticket's would be kilobytes
