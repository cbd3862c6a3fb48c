"""An earlier release's store file (``tickets.db``) beside a ledger of this release: moved in
once, and what a file that turns up there later does (hostile reviews rev18 and rev19).

A later copy of the store moved in, another ledger's store, a file that cannot be read, a
ledger of an earlier build of the move: never read over the store in the ledger, runs go
on, and ``doctor`` says what the next run will do.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dirsync_bridge.pipeline import replay

from ..e2e.test_cli_state import cli as cli_file
from ..e2e.test_cli_state import write_config
from ..earlier_release import MOVED, SEPARATE, execute, export_store, to_earlier_release
from .conftest import CORPUS, cli, make_config, outcome, upgraded, written


def _another_stores_file(tmp_path: Path, reports: list[Path]) -> Path:
    """The store of another instance that read ``reports``, as an earlier release's file."""
    other = make_config(tmp_path / "other")
    replay(reports, other)
    return export_store(other.state.path, tmp_path / "foreign.db")


# -- another store's file -----------------------------------------------------------------


def test_another_stores_file_never_replaces_the_store_in_the_ledger(tmp_path: Path) -> None:
    """``_further_on`` (the rev17 fix) checked that the file beside the ledger has more
    writes than the store moved in and that nothing was written since, but not that the
    file IS that store (its id). So after a normal upgrade, once passes with no new mail,
    ANY other store file with more writes put beside the ledger (a ``tickets.db`` from a
    test instance, another server's) replaced the live store in the ledger, and every run
    then refused the store (exit 2) until ``tickets rebuild``."""
    foreign = _another_stores_file(tmp_path, CORPUS)  # another instance: many more writes
    config = upgraded(tmp_path, CORPUS[:10])  # moved in; nothing new
    before = written(config)

    shutil.copy(foreign, config.state.directory / SEPARATE)  # someone drops it there
    done = cli(config, "replay", *map(str, CORPUS[:10]))  # a pass with nothing new
    after = written(config)
    assert after == before, (len(before), len(after))
    assert done.returncode in (0, 1), done.stderr


def test_doctor_says_what_the_next_run_will_do_with_another_stores_file(tmp_path: Path) -> None:
    foreign = _another_stores_file(tmp_path, CORPUS)
    config = upgraded(tmp_path, CORPUS[:10])
    shutil.copy(foreign, config.state.directory / SEPARATE)
    doctor = cli(config, "doctor")
    run = cli(config, "replay", *map(str, CORPUS[:10]))
    # doctor says "ok ... the store the ledger describes"; the very next run exits 2
    assert (doctor.returncode == 0) == (run.returncode in (0, 1)), (doctor.stdout, run.stderr)


def test_the_right_store_put_back_after_a_foreign_one_was_moved_in_is_used(
    tmp_path: Path,
) -> None:
    """The rev17 fix moved the right store in again when an older backup of the SAME store
    was moved in by mistake. The same mistake with another store's file was not covered: it
    was moved in (the ledger was never written with this release), every run refused it,
    and the right ``tickets.db`` put back was "not used" forever, though nothing was written
    to the foreign store since: ``tickets rebuild`` was the only way out, and it set the
    right file aside unread (superseded tickets then lose their description)."""
    foreign = _another_stores_file(tmp_path, CORPUS[:5])
    config = make_config(tmp_path / "state")
    replay(CORPUS[:20], config)
    separate = to_earlier_release(config.state.directory)
    right = tmp_path / "right.db"
    separate.rename(right)
    shutil.copy(foreign, separate)  # the wrong file, put in place by mistake
    refused = cli(config, "replay", *map(str, CORPUS[20:]))
    assert refused.returncode == 2, refused.stderr
    shutil.copy(right, separate)  # the right one, put back
    done = cli(config, "replay", *map(str, CORPUS[20:]))
    clean = make_config(tmp_path / "clean")
    replay(CORPUS[:20], clean)
    replay(CORPUS[20:], clean)
    assert done.returncode in (0, 1), done.stderr
    assert outcome(config) == outcome(clean)


# -- a later copy of the same store, a file that cannot be read ------------------------------


def test_a_later_copy_not_moved_in_is_not_set_aside_silently(tmp_path: Path) -> None:
    """A later copy of the store moved in (same store id, more writes), put back after the
    store in the ledger took writes of its own, is not moved in (right: ``_further_on`` is
    false) but was then renamed ``tickets.db.moved-into-ledger`` without a word, as if it had
    been: the user who put it back to get its tickets was not told that they were not taken
    (a file of another store gets a warning, this one nothing)."""
    config = make_config(tmp_path / "state")
    replay(CORPUS[:6], config)
    state = config.state.directory
    # the consistent older pair (ledger and store restored from the same older backup) ...
    older_state = tmp_path / "older-state"
    shutil.copytree(state, older_state)
    replay(CORPUS[6:20], config)
    later = export_store(config.state.path, tmp_path / "later.db")  # ... and the newest store
    shutil.rmtree(state)
    shutil.copytree(older_state, state)
    to_earlier_release(state)
    first = cli(config, "replay", *map(str, CORPUS[20:30]))  # upgrade: moved in, writes
    assert first.returncode in (0, 1), first.stderr
    shutil.copy(later, state / SEPARATE)  # the newest store, put back
    done = cli(config, "replay", *map(str, CORPUS[30:32]))
    if not (state / SEPARATE).exists():
        assert "not used" in done.stderr or "not moved" in done.stderr, done.stderr


@pytest.mark.parametrize("junk", ["empty", "truncated", "garbage"])
def test_an_unreadable_file_beside_a_ledger_that_moved_its_store_in_does_not_stop_runs(
    tmp_path: Path, junk: str
) -> None:
    """Review rev19 (medium): the README says "A store file put back later is not read
    again", but ``move_in`` read it first (``_read`` before any ``verdict``), so an unreadable
    ``tickets.db`` appearing beside a ledger that moved its store in long ago (a 0-byte file
    left by a backup/restore or config-management tool, a truncated copy of the set-aside
    file) stopped EVERY run with the local sink: exit 2, "damaged ... run tickets rebuild",
    though the store in the ledger is sound and the file would never be used. ``doctor``
    agreed (FAIL). A 0-byte file was the other way round: the run went on (with a "not
    used" warning) while ``doctor`` said FAIL, "every run refuses it until then", exit 2."""
    config = upgraded(tmp_path, CORPUS[:6])
    assert cli(config, "replay", *map(str, CORPUS[6:10])).returncode in (0, 1)
    moved = (config.state.directory / MOVED).read_bytes()
    target = config.state.directory / SEPARATE
    target.write_bytes(
        {"empty": b"", "truncated": moved[: len(moved) // 3], "garbage": b"x" * 5000}[junk]
    )
    run = cli(config, "replay", *map(str, CORPUS[10:12]))
    doctor = cli(config, "doctor")
    assert "Traceback" not in run.stderr, run.stderr
    # doctor must say what the run does ("empty": the run goes on, doctor says FAIL and
    # "every run refuses it until then")
    assert (doctor.returncode == 0) == (run.returncode in (0, 1)), (run.stderr, doctor.stdout)
    assert run.returncode in (0, 1), run.stderr


# -- a ledger of an earlier build of the move -----------------------------------------------


def _as_rev17_build(ledger: Path) -> None:
    """The ledger as the build before 869805d left it: 0017 without imported_revision."""
    execute(
        ledger,
        "ALTER TABLE local_store DROP COLUMN imported_revision",
        "DELETE FROM migrations WHERE name = '0018-imported-revision'",
    )


def _rev17_ledger_with_a_store_file(tmp_path: Path, state: Path) -> Path:
    """A config whose ledger the previous onefile build left, with the store file it could
    not rename still beside it."""
    config = write_config(tmp_path, state)
    assert cli_file(config, "replay", *map(str, CORPUS[:10])).returncode in (0, 1)
    export_store(state / "state.db", state / SEPARATE)
    _as_rev17_build(state / "state.db")
    return config


def test_a_ledger_of_the_previous_onefile_build_with_a_store_file_beside_it_runs(
    tmp_path: Path,
) -> None:
    """Migration 0017-local-store was changed in place by the rev17 fixes
    (``local_store.imported_revision`` added to its CREATE TABLE) instead of by a new
    migration. A ledger that ran 0017 before that (the onefile build reviewed as rev17,
    d2b284a) has the migration recorded and no such column; the first time a separate
    ``tickets.db`` is beside it, every run, dry run and ``tickets rebuild`` read
    ``imported_revision``: the run said the ledger is damaged (exit 2, "restore it from a
    backup"), and ``tickets rebuild`` blamed the store file ("cannot be read") and set it
    aside. The project's own precedent (``0011-listed-in``) adds a column a between-releases
    build lacked."""
    state = tmp_path / "state"
    config = _rev17_ledger_with_a_store_file(tmp_path, state)
    kept = tmp_path / "ledger-copy"
    shutil.copytree(state, kept)

    dry = cli_file(config, "replay", "--dry-run", *map(str, CORPUS[10:]))
    assert "imported_revision" not in dry.stderr, dry.stderr
    assert dry.returncode in (0, 1), dry.stderr
    run = cli_file(config, "replay", *map(str, CORPUS[10:]))
    assert "imported_revision" not in run.stderr, run.stderr
    assert run.returncode in (0, 1), run.stderr


def test_tickets_rebuild_does_not_blame_the_store_file_for_the_ledgers_missing_column(
    tmp_path: Path,
) -> None:
    config = _rev17_ledger_with_a_store_file(tmp_path, tmp_path / "state")
    done = cli_file(config, "tickets", "rebuild")
    assert "cannot be read" not in done.stderr, done.stderr
