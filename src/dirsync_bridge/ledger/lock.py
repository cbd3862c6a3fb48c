"""One run at a time: an exclusive lock on a file in the state directory.

``flock`` is released by the kernel when the process dies, however it dies, so a crashed
run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from ..errors import Retriable
from ..sqlite import make_directory, os_failure


class RunLock:
    """Held for the whole run; a second run fails at once with ``Retriable`` (exit 75)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        make_directory(self.path.parent)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise os_failure(exc, f"{self.path}: cannot open the run lock") from None
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
