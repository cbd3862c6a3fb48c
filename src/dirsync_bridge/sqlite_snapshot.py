"""A whole copy of a SQLite database in WAL mode, taken without SQLite's locks.

Dry runs read the ledger through a copy (``sqlite.memory_copy``): they promise to change no
file in the state directory, and work where that directory is read-only to them; so do
readers (``tickets``, ``doctor``) where SQLite cannot share the log (``connect_readonly``,
instead of ``immutable=1``, which reads a file changed meanwhile torn). Reading the
file through SQLite's own locks cannot keep that promise: a WAL reader needs the log's index
(``-shm``), and even ``?mode=ro`` creates ``-wal`` and ``-shm`` beside the file and leaves
them there (a writer closing while such a reader holds on cannot delete them either), and
fails where they cannot be created; ``immutable=1`` takes no lock at all, so it is no safer
than a copy (https://www.sqlite.org/wal.html, "Read-Only Databases").

A copy takes no lock, so a run may change the files while they are copied: a checkpoint
writes the log's pages into the file, and a ``TRUNCATE`` checkpoint (every run's last act)
then empties the log; a copy of half the file before and half after, with the emptied log,
is a transaction half applied or B-trees out of order. So each copy is checked against the
state of the files before it (``consistent``), and taken again when it may be torn; after
``ATTEMPTS`` the command stops with ``Retriable`` (75: run it again). Why the check is sound:

* In WAL mode the file itself is written only by checkpoints, which copy pages that are in
  the log. While the log keeps its header (the salts change whenever it is emptied or
  restarted) and does not shrink, every page a checkpoint wrote into the file during the
  copy is also in the log copied after the file, and shadows it: SQLite reads the newest
  frame of a page before the file's. Frames appended meanwhile are harmless (a reader stops
  at the last whole commit), so a dry run beside a run writing a long transaction succeeds.
* Without such a log (none, or empty), nothing may have changed at all: the file and the log
  must have the same identity, size and times before and after. Times come from a clock of
  coarse steps (a few milliseconds; a second on some file systems), so an unchanged time
  proves nothing about a change in the same step: the copy waits until the last change is
  older than that step (``settled``), as git does for "racily clean" files. A time later
  than the clock at the end of the copy (a file restored with its times from a host whose
  clock ran ahead, a clock stepped back) proves as much: a change meanwhile would set it to
  a time no later than that clock, so it would show; waiting for the clock to pass it would
  make every copy fail (75) until then, though nothing writes the file.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import Retriable

ATTEMPTS = 5
"""Copies tried before the command gives up with 75 (run it again)."""

RETRY_PAUSE = 0.1
"""Seconds to wait after a copy that may be torn, doubled each time (0.1 + ... + 0.8)."""

SETTLE_NS = 50_000_000
"""How old (ns) a file's last change must be for its times to prove it unchanged: above the
kernel's coarse clock step (1 to 10 ms) on file systems that keep nanoseconds."""

COARSE_SETTLE_NS = 2_000_000_000
"""The same for file systems that keep whole seconds (or two, FAT)."""

WAL_HEADER_BYTES = 32
"""The log's header: magic, version, page size, checkpoint sequence, salts, checksum."""


@dataclass(frozen=True, slots=True)
class FileState:
    """What ``stat`` says of one file: which file it is, how long, when last changed."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, result: os.stat_result) -> FileState:
        """The state in ``result``."""
        return cls(
            result.st_dev, result.st_ino, result.st_size, result.st_mtime_ns, result.st_ctime_ns
        )


@dataclass(frozen=True, slots=True)
class Stamp:
    """The database file and its log (None: no log), as a copy started or ended."""

    db: FileState
    wal: FileState | None
    wal_header: bytes
    """The log's first ``WAL_HEADER_BYTES`` (fewer: an empty log)."""

    @property
    def has_frames_log(self) -> bool:
        """Whether there is a log with a whole header (pages a checkpoint may copy)."""
        return self.wal is not None and len(self.wal_header) == WAL_HEADER_BYTES


def wal_path(path: Path) -> Path:
    """The write-ahead log beside the database at ``path``."""
    return path.with_name(path.name + "-wal")


def stamp(path: Path) -> Stamp:
    """The state of the database at ``path`` and of its log now."""
    db = FileState.of(path.stat())
    try:
        with wal_path(path).open("rb") as log:
            wal = FileState.of(os.fstat(log.fileno()))
            header = log.read(WAL_HEADER_BYTES)
    except FileNotFoundError:
        return Stamp(db, None, b"")
    return Stamp(db, wal, header)


def settled(state: FileState, started_ns: int, ended_ns: int) -> bool:
    """Whether a change to the file between ``started_ns`` and ``ended_ns`` (the clock)
    would show in ``state``'s times.

    Every write to a file sets both its times (POSIX: ``write`` marks ``st_mtime`` and
    ``st_ctime``) to the clock's time then, cut to the file system's step: so one of them
    suffices, if it is one a change then could not give: older than ``started_ns`` by more
    than that step, or later than ``ended_ns`` (times restored from a clock that ran ahead:
    ``cp -p``, ``rsync -a``, or the clock stepped back since)."""
    step = COARSE_SETTLE_NS if state.mtime_ns % 1_000_000_000 == 0 else SETTLE_NS
    return any(t < started_ns - step or t > ended_ns for t in (state.mtime_ns, state.ctime_ns))


def consistent(before: Stamp, after: Stamp, started_ns: int, ended_ns: int) -> bool:
    """Whether files copied between ``before`` and ``after`` (the file first, then its log)
    are one state of the database; ``started_ns``: the clock just before ``before``,
    ``ended_ns``: just after ``after``."""
    if (before.db.dev, before.db.ino) != (after.db.dev, after.db.ino):
        return False  # another file put in its place (a restore)
    if before.has_frames_log:
        assert before.wal is not None
        return (
            after.wal is not None
            and (after.wal.dev, after.wal.ino) == (before.wal.dev, before.wal.ino)
            and after.wal_header == before.wal_header
            and after.wal.size >= before.wal.size
        )
    return (
        before == after
        and settled(before.db, started_ns, ended_ns)
        and (before.wal is None or settled(before.wal, started_ns, ended_ns))
    )


def copy_whole(
    path: Path,
    copy: Path,
    *,
    clock: Callable[[], int] = time.time_ns,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Copy the database at ``path`` and its log to ``copy`` (and ``copy``-wal) as one state
    of the database; ``Retriable`` when a run kept changing them (``ATTEMPTS`` copies)."""
    for attempt in range(ATTEMPTS):
        started = clock()
        before = stamp(path)
        if not before.has_frames_log:
            wait = _unsettled_for(before, started)
            if wait:  # changed just now: wait until a change would show, and look again
                sleep(wait)
                started = clock()
                before = stamp(path)
        shutil.copyfile(path, copy)
        _copy_log(path, copy)
        after = stamp(path)
        if consistent(before, after, started, clock()):
            return
        if attempt + 1 < ATTEMPTS:
            sleep(RETRY_PAUSE * 2**attempt)
    raise Retriable(
        f"{path}: a run kept changing it while this command copied it ({ATTEMPTS} tries); "
        "run it again"
    )


def _unsettled_for(before: Stamp, now_ns: int) -> float:
    """Seconds until the files' times would show a change made after ``now_ns`` (0: now)."""
    files = [before.db] if before.wal is None else [before.db, before.wal]
    late = [f for f in files if not settled(f, now_ns, now_ns)]
    if not late:
        return 0.0
    return (
        max(COARSE_SETTLE_NS if f.mtime_ns % 1_000_000_000 == 0 else SETTLE_NS for f in late) / 1e9
    )


def _copy_log(path: Path, copy: Path) -> None:
    """Copy the log beside ``path`` to beside ``copy``; none there, none in the copy (a
    previous attempt's is removed: it belongs to another state of the file)."""
    target = wal_path(copy)
    try:
        shutil.copyfile(wal_path(path), target)
    except FileNotFoundError:
        target.unlink(missing_ok=True)
