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
import logging
import os
import tempfile
from collections.abc import Iterator
from itertools import islice
from typing import IO, NamedTuple

from .models import Rejected

log = logging.getLogger(__name__)


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
    lists them, then stderr names them).

    A temporary directory that cannot take them (full, a file-size limit, read-only) never
    stops the command: a pass stopped has its rejections named by the next one, but a pass
    that can go on names them itself. Those not on disk are held in memory from then on (a
    hundred bytes or so each), said once.

    A spool that cannot be read back (an I/O error, a file cut short) does not stop the
    command either: every rejection that can be read is named, and one line says how many
    could not be and how to list them (exit 75 named none of them)."""

    IN_MEMORY = 1 << 20
    """Bytes held before they go to disk: a few thousand rejections."""
    READ_BATCH = 1 << 16
    """Bytes read back at a time."""

    def __init__(self, command: str = "") -> None:
        self._command = command
        self._count = 0
        self._held: list[bytes] = []  # lines not on disk, in order after those that are
        self._held_bytes = 0
        self._disk: IO[bytes] | None = None
        self._on_disk = 0  # bytes of whole lines written: the file past them is not read
        self._lines_on_disk = 0
        self._disk_failed = False
        self._unread_said = False
        self.unread = False
        """Some could not be read back from the spool: named by none (``mark_named``)."""

    def append(self, result: Rejected) -> None:
        """One more rejection to name."""
        self.add(result.source, result.code, result.detail)

    def add(self, source: str, code: str, detail: str) -> None:
        """One more rejection to name, as a ledger keeps it (one an earlier pass met)."""
        # ASCII JSON: a lone surrogate in a reason is kept as its escape, never refused.
        line = json.dumps([source, code, detail]).encode() + b"\n"
        self._count += 1
        self._held.append(line)
        self._held_bytes += len(line)
        if self._held_bytes >= self.IN_MEMORY and not self._disk_failed:
            self._spill()

    def _spill(self) -> None:
        """The lines held, written after those on disk; kept held if they cannot be."""
        data = memoryview(b"".join(self._held))
        try:
            if self._disk is None:
                self._disk = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115
            written = 0
            while written < len(data):  # pwrite: a failed write leaves no buffer behind
                wrote = os.pwrite(self._disk.fileno(), data[written:], self._on_disk + written)
                if not wrote:  # nothing taken, no error: as full, never a loop for ever
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                written += wrote
        except OSError as exc:
            self._disk_failed = True
            log.warning("%s", self._failure(exc))
            return
        self._on_disk += len(data)
        self._lines_on_disk += len(self._held)
        self._held, self._held_bytes = [], 0

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[Rejection]:
        """Each rejection appended so far, in order."""
        # As they are now: a spill makes new ones.
        held, on_disk, lines_on_disk = self._held, self._on_disk, self._lines_on_disk
        if self._disk is not None and on_disk:
            descriptor, offset, rest, read = self._disk.fileno(), 0, b"", 0
            why = "the file ends early"
            while offset < on_disk:
                try:
                    chunk = os.pread(descriptor, min(self.READ_BATCH, on_disk - offset), offset)
                except OSError as exc:
                    why = exc.strerror or str(exc)
                    break
                if not chunk:
                    break
                offset += len(chunk)
                *lines, rest = (rest + chunk).split(b"\n")
                for line in lines:
                    read += 1
                    yield _rejection(line)
            if read < lines_on_disk:
                self._unread(lines_on_disk - read, why)
        for line in list(held):
            yield _rejection(line)

    def _unread(self, missing: int, why: str) -> None:
        """Say once (the rejections may be read back twice: JSON, then stderr) how many
        rejections the spool could not give back, and how to list them all."""
        self.unread = True
        if self._unread_said:
            return
        self._unread_said = True
        command = f"{self._command}: " if self._command else ""
        log.warning(
            "%s%d of the %d rejections could not be read back from their temporary file "
            "(%s): they are not named here; %s",
            command,
            missing,
            self._count,
            why,
            # ``parse`` itself spools to the same directory: point it elsewhere instead.
            "run it again with TMPDIR on another disk"
            if self._command == "parse"
            else "the next pass names them again, and `dirsync-bridge parse` on the same "
            "inputs names every rejection",
        )

    def __repr__(self) -> str:
        # Shown by a failed assertion: a few, not a whole archive's worth.
        shown = list(islice(self, 5))
        more = f", ... ({self._count} in all)" if self._count > len(shown) else ""
        return f"Rejections({shown!r}{more})"

    def close(self) -> None:
        """Let go of the temporary file: none can be named after this."""
        if self._disk is not None:
            self._disk.close()
        self._held, self._held_bytes = [], 0

    def __del__(self) -> None:
        # Dropped unnamed (a pass stopped by an error, a summary a test made): its file has
        # no name and nothing to flush, so closing is all there is to do.
        if getattr(self, "_disk", None) is not None:
            self._disk.close()  # type: ignore[union-attr]

    def _failure(self, exc: OSError) -> str:
        """The one line for a temporary directory that cannot take the spool (full, a
        file-size limit below it, read-only)."""
        command = f"{self._command}: " if self._command else ""
        reason = exc.strerror or str(exc)
        try:
            where = f"the temporary directory {tempfile.gettempdir()} cannot"
        except OSError as none:  # none writable at all (TMPDIR, /tmp, /var/tmp, the cwd)
            where, reason = "no temporary directory can", none.strerror or str(none)
        return (
            f"{command}{where} take the rejections past the first "
            f"{self.IN_MEMORY >> 20} MiB ({reason}): the rest are held in memory (set TMPDIR "
            "to a directory with room)"
        )


def _rejection(line: bytes) -> Rejection:
    source, code, detail = json.loads(line)
    return Rejection(source, code, detail)
