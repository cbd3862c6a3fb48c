"""Hostile review rev17: a disk that fills while an earlier release's store is moved in, and
while a batch of ticket writes commits with the ledger's records."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ..earlier_release import SEPARATE, to_earlier_release
from ..integration.conftest import local_tickets, make_config, outcome
from ..integration.test_crash import build_corpus
from .test_cli_state import _resize, cli, one_line, small_disk, write_config

__all__ = ["small_disk"]  # the fixture: a tmpfs mounted for the test


def _keys(state: Path) -> dict[str, str]:
    return {t.key: t.idempotency_key for t in local_tickets(make_config(state))}


@pytest.mark.parametrize("spare_kib", [4, 48, 160, 320, 480, 520, 640])
def test_a_disk_that_fills_during_the_move_in_exits_75_and_loses_nothing(
    tmp_path: Path, small_disk: Path, spare_kib: int
) -> None:
    corpus, later = tmp_path / "corpus", tmp_path / "later"
    build_corpus(corpus, reports_per_tenant=30, seed=3)
    build_corpus(later, reports_per_tenant=10, seed=4)
    state = small_disk / "state"
    config = write_config(tmp_path, state)
    _resize(small_disk, "64m")
    assert cli(config, "replay", str(corpus)).returncode == 1  # the two hostile reports
    before = _keys(state)
    separate = to_earlier_release(state)
    kept = hashlib.sha256(separate.read_bytes()).hexdigest()
    used = sum(p.stat().st_size for p in state.iterdir())
    _resize(small_disk, f"{used // 1024 + spare_kib}k")

    done = cli(config, "replay", str(later))
    if done.returncode != 0 and done.returncode != 1:
        assert done.returncode == 75, done.stderr
        line = one_line(done)
        assert "the disk is full" in line, line
    if separate.exists():
        assert hashlib.sha256(separate.read_bytes()).hexdigest() == kept

    _resize(small_disk, "64m")
    final = cli(config, "replay", str(later))
    assert final.returncode in (0, 1), final.stderr
    after = _keys(state)
    assert {k: after[k] for k in before} == before
    assert len(set(after.values())) == len(after)
    clean = tmp_path / "clean"
    clean.mkdir()
    clean_config = write_config(clean, clean / "state")
    assert cli(clean_config, "replay", str(corpus)).returncode == 1
    assert cli(clean_config, "replay", str(later)).returncode in (0, 1)
    assert outcome(make_config(state)) == outcome(make_config(clean / "state"))
    assert not (state / SEPARATE).exists()


def _big_batch(folder: Path, people: int = 60, values: int = 1500) -> None:
    """One report, ``people`` problems whose tickets' texts are large (many conflicting
    values each): a batch of creates too big for SQLite's page cache, so that it spills to
    the log in the middle of the batch's one transaction, where the disk can fill."""
    from datetime import UTC, datetime

    from ..reportgen import duplicate, report_email

    folder.mkdir()
    rows = [
        (
            f"big{n:03d}@example.com",
            duplicate(
                "ProxyAddresses", *(f"smtp:alias{n:03d}.{v:05d}@example.com" for v in range(values))
            ),
        )
        for n in range(people)
    ]
    at = datetime(2020, 1, 1, tzinfo=UTC)
    (folder / "big.eml").write_bytes(report_email("Contoso", at, rows, "big@disk.test"))


@pytest.mark.parametrize("spare_kib", [256, 1024, 2048, 3072, 4096, 6144])
def test_a_disk_that_fills_while_a_big_batch_spills_exits_75_and_the_rerun_is_clean(
    tmp_path: Path, small_disk: Path, spare_kib: int
) -> None:
    corpus = tmp_path / "corpus"
    _big_batch(corpus)
    state = small_disk / "state"
    config = write_config(tmp_path, state)
    _resize(small_disk, "64m")
    assert cli(config, "tickets").returncode in (0, 2)
    used = sum(p.stat().st_size for p in state.iterdir()) if state.exists() else 0
    _resize(small_disk, f"{used // 1024 + spare_kib}k")
    done = cli(config, "replay", str(corpus))
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 75), done.stderr
    if done.returncode == 75:
        assert "the disk is full" in one_line(done)
    _resize(small_disk, "64m")
    final = cli(config, "replay", str(corpus))
    assert final.returncode == 0, final.stderr
    clean = tmp_path / "clean"
    clean.mkdir()
    assert cli(write_config(clean, clean / "state"), "replay", str(corpus)).returncode == 0
    assert outcome(make_config(state)) == outcome(make_config(clean / "state"))
