"""SIGKILL at a crash point mid-replay, then a rerun: the digested path ends with the
tables of the every-sighting path crashed at the same point (from the review of the row
digests)."""

from __future__ import annotations

import os
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
DAYS = [[A, B, D], [A, B, D], [A, B, C, D], [A, C, D, E], [A, C, D, E], [A, B, C, D, E]]

MAIN = """
import sys
from dirsync_bridge import ingest
if sys.argv[1] == "every":
    ingest.rows_mark = lambda _enricher: None
import os
kill = os.environ.get("TEST_KILL_IN")
if kill:  # SIGKILL inside record_report's transaction, on the n-th chunk applied
    from dirsync_bridge.ledger import states
    real, calls = states.StateLedger._apply_listed, [0]
    def dying(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == int(kill):
            os.kill(os.getpid(), 9)
        return real(self, *args, **kwargs)
    states.StateLedger._apply_listed = dying
sys.argv = ["dirsync-bridge", *sys.argv[2:]]
from dirsync_bridge.__main__ import main
main()
"""


def _cli(mode: str, cfg: Path, files: list[Path], crash: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
    if crash and crash.startswith("in-record-report:"):
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


def _history(tmp_path: Path, mode: str, crash: str) -> dict:
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
    code = _cli(mode, cfg, files[2:], crash)
    assert code != 0
    assert _cli(mode, cfg, files[2:]) == 0
    return {db.name: dump(db) for db in sorted((folder / "state").glob("*.db"))}


CRASHES = [
    "in-record-report:2",
    "in-record-report:3",
    "after-ingest:2",
    "after-identities:2",
    "after-sink-write:1",
    "after-sink-write:3",
]


@pytest.mark.parametrize("crash", CRASHES)
def test_a_crash_then_a_rerun_ends_as_every_sighting(tmp_path: Path, crash: str) -> None:
    every = _history(tmp_path, "every", crash)
    digested = _history(tmp_path, "digested", crash)
    assert every["state.db"]["problems"]
    assert every == digested, diff(every, digested)
