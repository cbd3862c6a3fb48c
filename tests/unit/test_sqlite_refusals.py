"""A file recording a migration not in the list it is opened with is refused, whatever that
list holds: each kind of file has its own list, and a release adds to it."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from dirsync_bridge import sqlite
from dirsync_bridge.errors import Fatal

OLD: tuple[sqlite.Migration, ...] = (("0001-things", ["CREATE TABLE things (x TEXT)"]),)
NEW: tuple[sqlite.Migration, ...] = (*OLD, ("0002-more", ["CREATE TABLE more (y TEXT)"]))


def test_the_next_release_opens_what_this_one_wrote_and_not_the_reverse(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    sqlite.connect(path, OLD).close()
    sqlite.connect(path, NEW).close()  # an added migration is run, not refused

    for opening in (
        lambda: sqlite.connect(path, OLD, sqlite.LEDGER),
        lambda: sqlite.connect_readonly(path, OLD, sqlite.LEDGER),
        lambda: sqlite.memory_copy(path, OLD, sqlite.LEDGER),
    ):
        with pytest.raises(Fatal) as refused:
            opening().close()
        assert str(refused.value) == (
            f"{path}: the ledger was written by a newer release of dirsync-bridge (it records "
            "migration 0002-more, unknown to this release): run that release, or restore a "
            "backup"
        )


def test_an_empty_file_with_a_log_beside_it_is_not_called_empty(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"")
    assert sqlite.empty_file(path, sqlite.LEDGER) is not None
    assert sqlite.empty_file(path, sqlite.GENERIC) is None  # SQLite's new database
    path.with_name("state.db-wal").write_bytes(b"x")
    assert sqlite.empty_file(path, sqlite.LEDGER) is None
    assert sqlite.empty_file(tmp_path / "missing.db", sqlite.LEDGER) is None


def test_a_name_from_the_file_stays_on_one_line() -> None:
    line = sqlite.newer_release("s.db", sqlite.LEDGER, ["0099-a\nb"])
    assert "\n" not in line and "'0099-a\\nb'" in line


def _no_usable_directory() -> str:
    raise FileNotFoundError(errno.ENOENT, "No usable temporary directory found in ['/tmp']")


def test_no_usable_temporary_directory_for_a_dry_runs_copy_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dry run copies the ledger through a temporary directory: with none writable at all
    (TMPDIR, /tmp, /var/tmp and the working directory read-only) naming the directory raised
    the same error again, ``internal error (FileNotFoundError ...)``, exit 70 (review
    rev34)."""
    path = tmp_path / "state.db"
    sqlite.connect(path, OLD, sqlite.LEDGER).close()
    monkeypatch.setattr("tempfile.tempdir", None)
    monkeypatch.setattr("tempfile.gettempdir", _no_usable_directory)
    with pytest.raises(Fatal) as refused:
        sqlite.memory_copy(path, OLD, sqlite.LEDGER).close()
    assert str(refused.value) == (
        f"{path}: cannot copy the ledger into a temporary directory to read it: No usable "
        "temporary directory found in ['/tmp']"
    )


def test_a_text_cell_that_is_not_utf8_is_a_damaged_file_named_without_its_text(
    tmp_path: Path,
) -> None:
    # Python's sqlite3 raises this one, not SQLite (no error code): a cell of a file of ours
    # can hold bytes that are not UTF-8 only if the disk changed them.
    path = tmp_path / "s.db"
    conn = sqlite.connect(path, OLD, sqlite.LEDGER)
    conn.execute("INSERT INTO things VALUES (CAST(X'7365637265742dff' AS TEXT))")
    for reading in (
        lambda: conn.execute("SELECT x FROM things").fetchone(),
        lambda: conn.execute("SELECT x FROM things").fetchall(),
        lambda: list(conn.execute("SELECT x FROM things")),
    ):
        with pytest.raises(Fatal) as refused:
            reading()
        assert str(refused.value) == (
            f"{path}: the ledger is damaged (a text in column 'x' is not UTF-8); "
            "restore it from a backup"
        )
    conn.close()
