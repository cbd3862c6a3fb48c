"""One run at a time: an exclusive lock on a file in the state directory.

``flock`` is released by the kernel when the process dies, however it dies, so a crashed
run never leaves a stale lock behind.

The lock file is written (truncated, then the pid), so it is opened only as what it must
be: never through a symbolic link (``O_NOFOLLOW``: a link named ``run.lock`` would have the
file it points at truncated), and refused unless it is a regular file (judged by ``fstat``
of the open descriptor; ``O_NONBLOCK`` so that a FIFO cannot hold the open).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path
from types import TracebackType

from ..errors import Fatal, Retriable
from ..sqlite import make_directory, os_failure


class RunLock:
    """Held for the whole run; a second run fails at once with ``Retriable`` (exit 75)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        make_directory(self.path.parent)
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # what O_NOFOLLOW says of a link
                raise self._not_a_file("a symbolic link") from None
            raise os_failure(exc, f"{self.path}: cannot open the run lock") from None
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise self._not_a_file(_kind(mode))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise Retriable(
                f"another dirsync-bridge run holds {self.path} (pid {holder}); "
                "this run did nothing, try again when it has finished"
            ) from None
        self._fd = fd
        try:
            # The pid is for people and for the message above; the lock is the flock.
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError as exc:
            self.__exit__(None, None, None)
            raise os_failure(exc, f"{self.path}: cannot write the run lock") from None
        return self

    def _not_a_file(self, kind: str) -> Fatal:
        return Fatal(
            f"[state] path: {self.path} is {kind}, not the run lock's file; remove it "
            "(a new one is made) or point [state] path elsewhere"
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"
