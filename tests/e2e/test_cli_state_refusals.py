"""State files SQLite would open but this release must not take for its own: a ledger (or a
local ticket store) written by a newer release of dirsync-bridge, and a ledger that exists
but is empty (0 bytes). Every command that opens one refuses it in one line, exit 2, and
doctor fails it in the same words; nothing is written into it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ..conftest import REPORTS
from ..earlier_release import before_store_identity, to_earlier_release
from .test_cli_state import cli

FIRST = REPORTS / "aadsync_th_thead.eml"
LATER = REPORTS / "aadsync_html_entities.eml"
NEWER = "was written by a newer release of dirsync-bridge"
EMPTY = "is empty (0 bytes) though it exists"


def replayed(tmp_path: Path) -> Path:
    """A config whose local state holds the tickets of one report."""
    config = tmp_path / "c.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    done = cli(config, "replay", str(FIRST))
    assert done.returncode == 0, done.stderr
    return config


def record(database: Path, *names: str) -> None:
    """Record migrations a newer release would have run."""
    conn = sqlite3.connect(database)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO migrations (name, applied_at) VALUES (?, '2027-01-01')",
                [(name,) for name in names],
            )
    finally:
        conn.close()


def migrations_of(database: Path) -> list[str]:
    conn = sqlite3.connect(database)
    try:
        return [row[0] for row in conn.execute("SELECT name FROM migrations ORDER BY name")]
    finally:
        conn.close()


COMMANDS = [
    pytest.param(("replay", str(LATER)), id="replay"),
    pytest.param(("replay", "--dry-run", str(LATER)), id="replay-dry-run"),
    pytest.param(("tickets",), id="tickets"),
    pytest.param(("tickets", "show", "LOCAL-1"), id="tickets-show"),
]


@pytest.mark.parametrize("args", COMMANDS)
def test_a_ledger_written_by_a_newer_release_is_refused_by_every_command(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    config = replayed(tmp_path)
    ledger = tmp_path / "state" / "state.db"
    record(ledger, "0099-from-the-future")
    before = ledger.read_bytes(), migrations_of(ledger)

    done = cli(config, *args)

    # Before: replay wrote into it, as if the migration it does not know were not there.
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert str(ledger) in done.stderr and "0099-from-the-future" in done.stderr
    assert NEWER in done.stderr and "run that release" in done.stderr
    assert "Traceback" not in done.stderr
    assert (ledger.read_bytes(), migrations_of(ledger)) == before


def test_doctor_on_a_ledger_written_by_a_newer_release_says_so(tmp_path: Path) -> None:
    config = replayed(tmp_path)
    ledger = tmp_path / "state" / "state.db"
    record(ledger, "0099-from-the-future", "0100-later-still")

    doctor = cli(config, "doctor")
    replay = cli(config, "replay", str(LATER))

    # Before: exit 0, "ok ledger: ...: healthy and writable"; replay then wrote into it.
    assert doctor.returncode == 2, doctor.stdout
    failed = [line for line in doctor.stdout.splitlines() if line.startswith("FAIL ledger")]
    assert len(failed) == 1, doctor.stdout
    assert NEWER in failed[0] and "0099-from-the-future, 0100-later-still" in failed[0]
    # The same words as the run that it refuses.
    assert replay.returncode == 2
    assert failed[0].removeprefix("FAIL ledger: ") in replay.stderr


def test_a_ticket_store_written_by_a_newer_release_is_refused_by_its_own_list(
    tmp_path: Path,
) -> None:
    # The store of an earlier release, a file of its own, has its own migrations: a name the
    # ledger knows is unknown to the store.
    config = replayed(tmp_path)
    store = to_earlier_release(tmp_path / "state")
    ledger_name = migrations_of(tmp_path / "state" / "state.db")[0]
    assert ledger_name not in migrations_of(store)
    record(store, ledger_name)

    replay = cli(config, "replay", str(LATER))
    doctor = cli(config, "doctor")

    assert replay.returncode == 2, replay.stderr
    assert str(store) in replay.stderr and NEWER in replay.stderr
    assert f"migration {ledger_name}," in replay.stderr
    assert doctor.returncode == 2
    assert any(
        line.startswith("FAIL local ticket store") and NEWER in line
        for line in doctor.stdout.splitlines()
    ), doctor.stdout


def test_an_empty_ledger_is_refused_not_taken_for_a_new_one(tmp_path: Path) -> None:
    config = replayed(tmp_path)
    ledger = tmp_path / "state" / "state.db"
    ledger.write_bytes(b"")  # a full disk, or `: > state.db`

    runs = [cli(config, *args) for args in (("replay", str(FIRST)), ("tickets",))]
    doctor = cli(config, "doctor")

    # Before: replay took it for a new ledger and made every ticket again; `tickets` called
    # it "damaged (no such table: migrations)".
    want = (
        f"{ledger}: the ledger is empty (0 bytes) though it exists: restore it from a "
        "backup, or delete it to start a new ledger"
    )
    for done in runs:
        assert done.returncode == 2, done.stderr
        assert done.stderr == f"dirsync-bridge: error: {want}\n"
    assert ledger.stat().st_size == 0
    assert doctor.returncode == 2 and f"FAIL ledger: {want}" in doctor.stdout.splitlines()


def test_a_missing_ledger_is_still_a_new_one(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    (tmp_path / "state").mkdir()

    done = cli(config, "replay", str(FIRST))

    assert done.returncode == 0, done.stderr
    assert EMPTY not in done.stderr


EARLIER_STORE = "is the local ticket store of an earlier release"


@pytest.mark.parametrize("before_identity", [False, True], ids=["with-identity", "oldest"])
def test_an_earlier_releases_ticket_store_given_as_the_ledger_says_what_it_is(
    tmp_path: Path, before_identity: bool
) -> None:
    """``[state] path`` at the separate ``tickets.db`` of an earlier release, copied under
    another name (a backup, ``old-tickets.db``): its migrations are the store's, unknown to
    the ledger, and it was refused as "written by a newer release ... run that release",
    which sends the user to look for a release that does not exist. It is named for what it
    is, with what to do, in a run and in doctor; nothing is written to it."""
    replayed(tmp_path)
    store = to_earlier_release(tmp_path / "state")
    if before_identity:
        before_store_identity(tmp_path / "state" / "state.db", store)
    mistaken = tmp_path / "backup" / "old-tickets.db"
    mistaken.parent.mkdir()
    mistaken.write_bytes(store.read_bytes())
    config = tmp_path / "wrong.toml"
    config.write_text(f'[state]\npath = "{mistaken}"\n')
    before = mistaken.read_bytes(), migrations_of(mistaken)

    for args in [command.values[0] for command in COMMANDS]:
        done = cli(config, *args)
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
        assert str(mistaken) in done.stderr and EARLIER_STORE in done.stderr, done.stderr
        assert "[state] path" in done.stderr and NEWER not in done.stderr, done.stderr
    doctor = cli(config, "doctor")
    assert doctor.returncode == 2, doctor.stdout
    (failed,) = [line for line in doctor.stdout.splitlines() if line.startswith("FAIL ledger")]
    assert EARLIER_STORE in failed and NEWER not in failed, failed
    assert (mistaken.read_bytes(), migrations_of(mistaken)) == before
