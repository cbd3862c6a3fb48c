"""The rejections a command met, kept to name after its output in bounded memory.

``parse`` names each rejected input on stderr after its table or JSON, and a pass
(``replay``, ``run``) lists them in its JSON summary and names them on stderr after it
(README: exit codes). An archive can hold hundreds of thousands of rejected messages
(issue 12: memory follows the largest message, never the backlog), so the first MiB of them
is held in memory and the rest written to a temporary file, one JSON line each, read back
one at a time as they are named.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import NamedTuple

from .disk_faults import os_failure
from .errors import DirsyncBridgeError, Retriable
from .models import Rejected


class Rejection(NamedTuple):
    """What is kept of a rejected input: enough to name it (its source and why)."""

    source: str
    code: str
    detail: str

    @property
    def reason(self) -> str:
        """``<code>: <explanation>``, one line (as ``Rejected.reason``)."""
        return f"{self.code}: {self.detail}"


class Rejections:
    """The rejections met, in order: the first few in memory, the rest in a temporary file
    (which has no name: it goes with the process however it ends), so that memory stays
    bounded however many a run meets. Read back as often as needed (a pass's JSON summary
    lists them, then stderr names them)."""

    IN_MEMORY = 1 << 20
    """Bytes held before the rest go to disk: a few thousand rejections."""
    READ_BATCH = 1 << 16
    """Bytes read back at a time."""

    def __init__(self, command: str = "") -> None:
        self._command = command
        self._count = 0
        self._spool = tempfile.SpooledTemporaryFile(max_size=self.IN_MEMORY)  # noqa: SIM115

    def append(self, result: Rejected) -> None:
        """One more rejection to name; a temporary directory that cannot take it is a
        one-line ``Retriable`` (or ``Fatal``) naming the directory."""
        # ASCII JSON: a lone surrogate in a reason is kept as its escape, never refused.
        line = json.dumps([result.source, result.code, result.detail]).encode() + b"\n"
        self._count += 1  # met, even if it cannot be kept: the line counts it
        try:
            self._spool.write(line)
        except OSError as exc:
            raise self._failure(exc) from None

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[Rejection]:
        """Each rejection appended, in order; one appended meanwhile comes too."""
        spool, offset = self._spool, 0
        try:
            while True:
                spool.seek(offset)
                lines = spool.readlines(self.READ_BATCH)
                spool.seek(0, os.SEEK_END)  # where the next append goes
                if not lines:
                    return
                offset += sum(len(line) for line in lines)
                for line in lines:
                    source, code, detail = json.loads(line)
                    yield Rejection(source, code, detail)
                del lines
        except OSError as exc:
            raise self._failure(exc) from None

    def __repr__(self) -> str:
        # Shown by a failed assertion: a few, not a whole archive's worth.
        shown = list(islice(self, 5))
        more = f", ... ({self._count} in all)" if self._count > len(shown) else ""
        return f"Rejections({shown!r}{more})"

    def close(self) -> None:
        """Let go of the temporary file: none can be named after this."""
        self._spool.close()

    def __del__(self) -> None:
        # Dropped unnamed (a pass stopped by an error, a summary a test made): its file has
        # no name and nothing to flush, so closing is all there is to do; Python 3.11's
        # SpooledTemporaryFile warns (ResourceWarning) when dropped open.
        self._spool.close()

    def _failure(self, exc: OSError) -> DirsyncBridgeError:
        """The one line for a temporary directory that cannot take the spool (full, or a
        file-size limit below it): a run with room there names them all, so 75, as
        ``sqlite.memory_copy`` does for its copy."""
        where = tempfile.gettempdir()
        command = f"{self._command}: " if self._command else ""
        what = (
            f"{command}cannot keep the {self._count} rejections met so far (to name them "
            f"after the output) in the temporary directory {where}"
        )
        if exc.errno == errno.EFBIG:
            # A file-size limit (ulimit -f) is the same situation as a full disk here.
            reason = exc.strerror or str(exc)
            return Retriable(
                f"{what}: the file is too large for it ({reason}); set TMPDIR to a directory "
                "that can take it and run again"
            )
        return os_failure(exc, what, Path(where))
