"""SIGKILL at every crash point, inside a report's transaction (as its chunks are applied),
and inside the listing shortcut's own steps, during replays
where most reports repeat the newest's rows (``TouchLedger._listed_as_before``); then a
rerun: the digested path ends with the every-sighting path's tables, every problem
ticketed exactly once, no comment twice."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from ..reportgen import LARGE, duplicate
from .digest_histories import T0, config, diff, dump, email, replay_cli

A = ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com"))
B = ("u2@contoso.com", "", LARGE)
C = ("", "OID1", duplicate("ProxyAddresses", "smtp:u1@contoso.com"))
D = ("", "OID4", LARGE)
E = ("u5@contoso.com", "OID5", LARGE)
# resolve_after_reports = 2: B, absent on days 3 and 4, resolves at day 4 (a repeat), and
# is back on day 6; days 1, 4, 5 and 7 repeat the day before.
DAYS = [
    [A, B, D],
    [A, B, D],
    [A, B, C, D],
    [A, C, D, E],
    [A, C, D, E],
    [A, C, D, E],
    [A, B, C, D, E],
    [A, B, C, D, E],
]


def _history(tmp_path: Path, mode: str, crash: str) -> tuple[dict, bool]:
    mail = tmp_path / "mail"
    mail.mkdir(exist_ok=True)
    files = []
    for day, rows in enumerate(DAYS):
        path = mail / f"{day}.eml"
        path.write_bytes(email("Contoso", T0 + timedelta(days=day), rows, f"c{day}@x"))
        files.append(path)
    folder = tmp_path / mode
    config(folder)
    cfg = folder / "config.toml"
    assert replay_cli(mode, cfg, files[:2]) == 0
    reached = replay_cli(mode, cfg, files[2:], crash) != 0
    assert replay_cli(mode, cfg, files[2:]) == 0
    assert replay_cli(mode, cfg, files) == 0  # everything again: nothing new
    _exactly_once(folder / "state")
    return {db.name: dump(db) for db in sorted((folder / "state").glob("*.db"))}, reached


def _exactly_once(state: Path) -> None:
    """Every ticket the ledger names is in the store once, every store ticket is named by
    the ledger, and no ticket has the same comment twice."""
    ledger = sqlite3.connect(state / "state.db")
    store = sqlite3.connect(state / "state.db")  # the local store is kept there
    try:
        named = sorted(str(r[0]) for r in ledger.execute("SELECT key FROM tickets"))
        stored = sorted(str(r[0]) for r in store.execute("SELECT key FROM local_tickets"))
        assert named == stored
        assert named
        twice = store.execute(
            "SELECT ticket_key, body, COUNT(*) FROM local_comments GROUP BY 1, 2"
            " HAVING COUNT(*) > 1"
        ).fetchall()
        assert not twice, twice
    finally:
        ledger.close()
        store.close()


CRASHES = [
    *(f"after-ingest:{n}" for n in range(1, 7)),
    *(f"after-identities:{n}" for n in range(1, 7)),
    *(f"after-sink-write:{n}" for n in range(1, 5)),
    *(f"in:_touch_them:{n}" for n in range(1, 5)),
    *(f"in:_copy_touched:{n}" for n in range(1, 4)),
    *(f"in:_listed_as_before:{n}" for n in range(1, 4)),
    *(f"in:_apply_absent:{n}" for n in range(1, 7)),
    "in:_apply_listed:2",
    "in:_apply_listed:3",
    "in:_learn:3",
    "after-ingest:2:SIGINT",
    "after-ingest:3:SIGTERM",
    "after-identities:3:SIGINT",
    "after-sink-write:2:SIGTERM",
]


@pytest.mark.slow
@pytest.mark.parametrize("crash", CRASHES)
def test_a_crash_in_a_replay_of_repeats_then_a_rerun(tmp_path: Path, crash: str) -> None:
    """Points only the shortcut passes (``_listed_as_before``, ``_copy_touched``) are
    compared with the every-sighting path uncrashed."""
    every, _ = _history(tmp_path, "every", crash)
    digested, reached = _history(tmp_path, "digested", crash)
    assert reached, "the crash point was never reached"
    assert every == digested, diff(every, digested)
