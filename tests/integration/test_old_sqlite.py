"""An SQLite older than 3.35 (no ``RETURNING``), as a Python 3.11 built against its system's
may have (Debian 11: 3.34.1, Ubuntu 20.04: 3.31.1). Simulated: every statement using
RETURNING fails as such an SQLite fails it ("near "RETURNING": syntax error"), in a real
run. Identity pairs were once learned with ``INSERT ... RETURNING``: every report that
taught a pair then ended with an internal error (exit 70)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from ..reportgen import LARGE
from .digest_histories import T0, config, email

MAIN = """
import sqlite3, sys
from dirsync_bridge import sqlite as store
class Old(store.Connection):  # SQLite 3.34: no RETURNING
    def execute(self, sql, *args):
        if "RETURNING" in sql.upper():
            raise sqlite3.OperationalError('near "RETURNING": syntax error')
        return super().execute(sql, *args)
store.Connection = Old
sys.argv = ["dirsync-bridge", *sys.argv[1:]]
from dirsync_bridge.__main__ import main
main()
"""


def _run(tmp_path: Path, rows: list[tuple[str, str, str]]) -> subprocess.CompletedProcess[str]:
    folder = tmp_path / "ledger"
    config(folder)
    path = tmp_path / "0.eml"
    path.write_bytes(email("Contoso", T0 + timedelta(days=1), rows, "old-sqlite@x"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
    return subprocess.run(
        [sys.executable, "-c", MAIN, "--config", str(folder / "config.toml"), "replay", str(path)],
        env=env,
        capture_output=True,
        text=True,
    )


def test_a_report_without_pairs_runs_on_sqlite_3_34(tmp_path: Path) -> None:
    """Control: the simulation itself breaks nothing else."""
    done = _run(tmp_path, [("u1@contoso.com", "", LARGE)])
    assert done.returncode == 0, done.stderr


def test_a_report_naming_an_object_by_both_keys_runs_on_sqlite_3_34(tmp_path: Path) -> None:
    """A row with an identity and an object id (every report with an Object ID column):
    the run should end 0 as it did before a1eb7ce; or, if the SQLite is too old, say so
    up front (exit 2, one line), never fail every report as a bug."""
    done = _run(tmp_path, [("u1@contoso.com", "OID1", LARGE)])
    assert done.returncode in (0, 2), (done.returncode, done.stderr)
