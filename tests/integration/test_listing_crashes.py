"""SIGKILL at every crash point, and inside the listing shortcut's own steps, during replays
where most reports repeat the newest's rows (``TouchLedger._listed_as_before``); then a
rerun: the digested path ends with the every-sighting path's tables, every problem
ticketed exactly once, no comment twice."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ..reportgen import LARGE, duplicate
from .digest_histories import T0, config, diff, dump, email

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

MAIN = """
import os, sys
from dirsync_bridge import ingest
if sys.argv[1] == "every":
    ingest.rows_mark = lambda _enricher: None
kill = os.environ.get("TEST_KILL_IN")
if kill:  # SIGKILL inside record_report's transaction: <method>:<n>
    from dirsync_bridge.ledger import states, touches
    name, n = kill.split(":")
    from dirsync_bridge.ledger import identities
    owner = next(
        c for c in (touches.TouchLedger, states.StateLedger, identities.IdentityLedger)
        if name in vars(c)
    )
    real, calls = getattr(owner, name), [0]
    def dying(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        calls[0] += 1
        if calls[0] == int(n):
            os.kill(os.getpid(), 9)
        return out
    setattr(owner, name, dying)
sys.argv = ["dirsync-bridge", *sys.argv[2:]]
from dirsync_bridge.__main__ import main
main()
"""


def _cli(mode: str, cfg: Path, files: list[Path], crash: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
    if crash and crash.startswith("in:"):
        env["TEST_KILL_IN"] = crash.partition(":")[2]
    elif crash:
        env["DIRSYNC_BRIDGE_CRASH_AT"] = crash
    done = subprocess.run(
        [sys.executable, "-c", MAIN, mode, "--config", str(cfg), "replay", *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode


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
    assert _cli(mode, cfg, files[:2]) == 0
    reached = _cli(mode, cfg, files[2:], crash) != 0
    assert _cli(mode, cfg, files[2:]) == 0
    assert _cli(mode, cfg, files) == 0  # everything again: nothing new
    _exactly_once(folder / "state")
    return {db.name: dump(db) for db in sorted((folder / "state").glob("*.db"))}, reached


def _exactly_once(state: Path) -> None:
    """Every ticket the ledger names is in the store once, every store ticket is named by
    the ledger, and no ticket has the same comment twice."""
    ledger = sqlite3.connect(state / "state.db")
    store = sqlite3.connect(state / "tickets.db")
    try:
        named = sorted(str(r[0]) for r in ledger.execute("SELECT key FROM tickets"))
        stored = sorted(str(r[0]) for r in store.execute("SELECT key FROM tickets"))
        assert named == stored
        assert named
        twice = store.execute(
            "SELECT ticket_key, body, COUNT(*) FROM comments GROUP BY 1, 2 HAVING COUNT(*) > 1"
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
