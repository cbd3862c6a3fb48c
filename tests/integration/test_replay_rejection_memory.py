"""Memory of a ``replay`` that rejects many distinct messages (rev25, left over): bounded,
never growing with how many it rejects (issue 12).

Before: the pass kept every ``Rejected`` model in ``RunSummary.problems`` until the end, for
the JSON summary and the stderr lines (~1.6 KB a rejection: 196 MB for 150,000). Now they
are spooled to a temporary file past a fixed amount, as ``parse``'s are, and read back one
at a time as the summary and the lines are written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .test_mbox_memory import _SMALL_PARENT

SRC = Path(__file__).resolve().parents[2] / "src"
FEW = 4_000
MANY = 4 * FEW


def _archive(path: Path, count: int) -> None:
    """``count`` messages, each distinct (a ledger knows a message by its bytes: the same
    bytes twice are one rejection and one message already seen), each rejected
    ``not-a-report`` by its subject."""
    with path.open("wb") as out:
        for number in range(count):
            out.write(b"From \nSubject: %d\n\n" % number)


def _replay(folder: Path, count: int) -> tuple[int, int, dict[str, object], list[str]]:
    """A ``replay --format json`` of ``count`` distinct rejected messages into a fresh
    ledger: its exit code, its peak RSS (KiB, that process alone), its summary and its
    stderr lines."""
    folder.mkdir()
    _archive(folder / "mail.mbox", count)
    (folder / "config.toml").write_text('[state]\npath = "state/state.db"\n')
    env = {**os.environ, "PYTHONPATH": str(SRC), "XDG_CONFIG_HOME": str(folder / "xdg")}
    command = [sys.executable, "-m", "dirsync_bridge", "--config", "config.toml"]
    command += ["replay", "--format", "json", "mail.mbox"]
    with (folder / "out").open("wb") as out, (folder / "err").open("wb") as err:
        child = subprocess.run(
            [sys.executable, "-c", _SMALL_PARENT, str(folder / "peak"), *command],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=err,
            check=False,
            timeout=120,
        )
    summary = json.loads((folder / "out").read_text(encoding="utf-8"))
    errors = (folder / "err").read_text(encoding="utf-8").splitlines()
    return child.returncode, int((folder / "peak").read_text()), summary, errors


def test_replay_memory_does_not_grow_with_the_rejections_it_names(tmp_path: Path) -> None:
    """4,000 then 16,000 distinct rejected messages: the peak RSS of the second is within
    a few MiB of the first's (it was ~19 MiB more, ~1.6 KB a rejection), and every
    rejection is still in the JSON summary and named on stderr after it, in order."""
    code, few_kib, _summary, _errors = _replay(tmp_path / "few", FEW)
    assert code == 1
    code, many_kib, summary, errors = _replay(tmp_path / "many", MANY)
    assert code == 1, errors[-3:]
    rejected = summary["rejected"]
    assert isinstance(rejected, list) and len(rejected) == MANY
    assert rejected[-1] == {
        "source": f"mail.mbox#{MANY}",
        "reason": f"not-a-report: subject '{MANY - 1}' is not a Directory Synchronization "
        "Error Report",
    }
    named = [line for line in errors if line.startswith("dirsync-bridge: rejected ")]
    assert named == [f"dirsync-bridge: rejected {r['source']}: {r['reason']}" for r in rejected]
    grown = (many_kib - few_kib) / 1024
    assert grown < 6, f"peak RSS {few_kib / 1024:.0f} MiB, then {many_kib / 1024:.0f} MiB"
