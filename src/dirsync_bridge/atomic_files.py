"""Temporary files for the files written whole (``report --html FILE``, ``[metrics]
textfile``): made beside their target, and swept by the next write when a kill left one.

A write goes to ``.NAME.<pid>.<random>.tmp`` in the target's folder, then is renamed over
``NAME``. A SIGKILL, a power cut or the OOM killer between the two leaves that file behind:
nothing can clean up in the dying process, so the next write of the same target removes
the ones whose process is gone. The name's pid says whose a file is, so a write never
removes the temporary file of another one still running (two cron jobs that overlap).
Files of the older name, ``.NAME.<random>.tmp``, are swept once they are an hour old.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Final

OLD_NAME_AGE: Final = 3600.0
"""Seconds after which a temporary file without a pid in its name is taken for stale:
no write of a page or a metrics file takes that long."""


def temporary_beside(path: Path) -> tuple[int, Path]:
    """An open file descriptor and the name of a new temporary file for ``path``, in its
    folder (so that the rename is atomic), after sweeping the stale ones (``sweep``).
    ``OSError`` when the folder cannot take it."""
    sweep(path)
    fd, name = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    return fd, Path(name)


def sweep(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` that a killed write left; the ones removed.

    Only regular files of this target's pattern, whose writer is gone; nothing that cannot
    be listed or removed stops the write that follows.
    """
    prefix = f".{path.name}."
    removed: list[Path] = []
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return removed
    for candidate in entries:
        name = candidate.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        middle = name[len(prefix) : -len(".tmp")]
        try:
            info = candidate.lstat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or not _stale(middle, info.st_mtime):
            continue
        with contextlib.suppress(OSError):
            candidate.unlink()
            removed.append(candidate)
    return removed


def _stale(middle: str, mtime: float) -> bool:
    pid, dot, rest = middle.partition(".")
    if dot and rest and pid.isdigit():
        return int(pid) != os.getpid() and not _alive(int(pid))
    return time.time() - mtime > OLD_NAME_AGE


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process (EPERM): alive
    return True
