"""What the file system says when the state cannot be written, in one line with the fix:
a full disk (free space, run again: 75), a read-only file system (let the service write
there: 2), anything else (what failed: 2).

A read-only file system is told apart from a lack of permission: the shipped systemd unit
has ``ProtectSystem=strict``, under which every path outside its ``StateDirectory=`` is
read-only even to root, and the fix is a ``ReadWritePaths=`` line, not an account's rights.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .errors import DirsyncBridgeError, Fatal, Retriable

NEARLY_FULL = 1 << 20
"""Free bytes under which a write that fails is taken for a full disk (SQLite says "disk
I/O error", not "full", when it cannot grow its shared-memory file: SQLITE_IOERR_SHMSIZE)."""


def nearly_full(folder: Path | str) -> bool:
    """Whether the file system holding ``folder`` has (almost) no room left."""
    try:
        room = os.statvfs(folder)
    except OSError:
        return False
    return room.f_bavail * room.f_frsize < NEARLY_FULL


def read_only(folder: Path | str) -> bool:
    """Whether ``folder`` is on a file system mounted read-only (``ST_RDONLY``)."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def read_only_fix(folder: Path | str) -> str:
    """What to do about ``folder`` on a read-only file system, as the end of a sentence.

    A folder not made yet is named by its nearest existing parent: systemd does not start a
    unit whose ``ReadWritePaths=`` names a missing path (226/NAMESPACE; a ``-`` prefix only
    skips it, which leaves the parent read-only and the folder unmade), and it is in the
    parent that the folder is to be made. The shipped unit names an existing directory, with
    no ``-``, as here."""
    allow = Path(folder).absolute()
    allow = next((p for p in (allow, *allow.parents) if p.is_dir()), allow)
    return f"under systemd, add ReadWritePaths={allow} to the service, or remount it read-write"


def os_failure(exc: OSError, what: str, folder: Path | None = None) -> DirsyncBridgeError:
    """The package's error for a file-system failure while doing ``what`` (one line);
    ``folder``: the directory to allow writes to when it is read-only (default: that of the
    file that failed)."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Retriable(f"{what}: the disk is full ({reason}); free space and run again")
    if exc.errno == errno.EROFS:
        if folder is None and exc.filename:
            folder = Path(os.fsdecode(exc.filename)).parent
        fix = (
            read_only_fix(folder)
            if folder
            else "under systemd, add its directory to ReadWritePaths=, or remount it read-write"
        )
        return Fatal(f"{what}: the file system is read-only ({reason}); {fix}")
    return Fatal(f"{what}: {reason}")


def make_directory(folder: Path) -> None:
    """Create the state directory (and its parents) if needed; one-line errors naming it."""
    what = f"[state] path: cannot create the state directory {folder}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (folder, *folder.parents) if p.is_file()), folder)
        raise Fatal(f"{what}: {blocker} is a file, not a directory") from None
    except OSError as exc:
        raise os_failure(exc, what, folder) from None
