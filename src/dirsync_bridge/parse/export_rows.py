"""An export's errors as compact rows, the first few in memory and the rest on disk.

A csexport file or an event-log export lists one error per ``cd-error`` or event, and a
file of a few megabytes can list hundreds of thousands (one object with 500,000
``<cd-error/>`` is 5.5 MB). Held as records until the file was read, each cost some 1.6 KB:
800 MB for that file, where issue 12 allows 5x the largest message. So each error leaves
the reader as a row (``ExportRow``: the record's fields, classified already), and past
``IN_MEMORY`` rows they are written to a temporary file (``marshal``: plain tuples, dicts
and strings) and read back a slice at a time, as ``ParsedReport`` reads an email's rows.
What stays in memory is an 8-byte offset a row.

A temporary directory that cannot take them (full, read-only) never refuses the file:
the rows not written are held in memory from then on, as they were before, said once.
"""

from __future__ import annotations

import errno
import logging
import marshal
import tempfile
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, NamedTuple, TypeVar, overload

from ..errors import Retriable
from ..models import Report, SourceKind
from .parsed_report import ParsedReport

log = logging.getLogger(__name__)

T = TypeVar("T")

IN_MEMORY = 2000
"""Rows held before they go to disk: an ordinary export stays wholly in memory."""
_BATCH_BYTES = 1 << 16
"""Rows' bytes written at a time."""
_CHECKED = 500
"""Records validated at a time as they are read (a model costs some 2 KB while held)."""


class ExportRow(NamedTuple):
    """One export error: ``export_records.error_record``'s fields, in its (and the JSON
    contract's) order."""

    kind: str
    kind_stated: bool
    identity: str | None
    object_id: str | None
    conflicts: tuple[dict[str, Any], ...]
    invalid_attribute: str | None
    tracking_id: str | None
    message: str
    holder_object_id: str | None

    @classmethod
    def of(cls, record: dict[str, Any]) -> ExportRow:
        """The row of an ``error_record``."""
        return cls(**record)


def row_error(row: ExportRow) -> dict[str, Any]:
    """The row as the plain data a ``SyncError`` is validated from."""
    return row._asdict()


def row_json(row: ExportRow) -> dict[str, Any]:
    """The row as the JSON contract writes it: ``holder_object_id`` is not in it (the model
    leaves it out when serialised)."""
    out = row._asdict()
    del out["holder_object_id"]
    return out


class Spool(Sequence[T]):
    """Tuples (rows) appended in order, read back (each made ``make(*values)``) by index or
    slice (``Sequence``); ``select`` gives a view of some of them, in another order, over
    the same storage."""

    def __init__(self, make: Callable[..., T]) -> None:
        self._make = make
        self._memory: list[T] = []
        self._file: IO[bytes] | None = None
        self._offsets = array("q", [0])  # where each row on disk starts, and where it ends
        self._on_disk = 0
        self._unwritable = False
        # Rows on their way to disk, and their bytes: written a batch at a time, unbuffered,
        # so that a row counted on disk is on it (a buffered file kept the rows of a write
        # that failed, and raised again as it was read and closed: review rev43).
        self._pending: list[T] = []
        self._bytes = bytearray()

    def append(self, row: T) -> None:
        """One more row (the reader's order)."""
        if len(self._memory) < IN_MEMORY or self._unwritable:
            self._memory.append(row)
            return
        self._bytes += marshal.dumps(tuple(row))  # type: ignore[arg-type]
        self._pending.append(row)
        self._offsets.append(len(self._bytes))  # made absolute as written
        if len(self._bytes) >= _BATCH_BYTES:
            self._write()

    def _write(self) -> None:
        if not self._pending:
            return
        data, self._bytes = bytes(self._bytes), bytearray()
        pending, self._pending = self._pending, []
        base = self._offsets[self._on_disk]
        try:
            if self._file is None:
                # No name, closed with the spool: it goes with the process however it ends.
                self._file = tempfile.TemporaryFile(prefix="dirsync-bridge-rows-", buffering=0)  # noqa: SIM115
            self._file.seek(base)
            done = 0
            while done < len(data):  # a write may take part (a file-size limit reached)
                took = self._file.write(data[done:])
                if not took:
                    raise OSError(errno.ENOSPC, "the temporary file took nothing")
                done += took
        except OSError as exc:
            # Not on disk: in memory from now on (a full temporary directory costs memory,
            # never the file's errors).
            log.warning("export rows kept in memory: the temporary file failed (%s)", exc)
            self._unwritable = True
            self._memory.extend(pending)
            del self._offsets[self._on_disk + 1 :]
            return
        for at in range(self._on_disk + 1, len(self._offsets)):
            self._offsets[at] += base
        self._on_disk += len(pending)

    def __len__(self) -> int:
        return len(self._memory) + self._on_disk + len(self._pending)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return list(self._range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return next(self._range(index, index + 1, 1))

    def __iter__(self) -> Iterator[T]:
        for start in range(0, len(self), IN_MEMORY):
            yield from self[start : start + IN_MEMORY]

    def _range(self, start: int, stop: int, step: int) -> Iterator[T]:
        if step != 1:
            for at in range(start, stop, step):
                yield from self._range(at, at + 1, 1)
            return
        self._write()
        head = IN_MEMORY
        # In memory: the first IN_MEMORY rows, then (the disk failed) the ones after the
        # rows on disk.
        if start < min(stop, head, len(self._memory)):
            yield from self._memory[start : min(stop, head)]
        first, last = max(start, head) - head, min(stop, head + self._on_disk) - head
        if first < last and self._file is not None:
            data = self._read(self._offsets[first], self._offsets[last])
            base = self._offsets[first]
            for at in range(first, last):
                piece = data[self._offsets[at] - base : self._offsets[at + 1] - base]
                yield self._make(*marshal.loads(piece))
        tail = head + self._on_disk
        if stop > tail:
            yield from self._memory[max(start, tail) - self._on_disk : stop - self._on_disk]

    def _read(self, start: int, stop: int) -> bytes:
        # Rows that cannot be read back are lost to this pass, not the file's fault: a
        # temporary failure (75), never a refusal the ledger would keep (review rev43).
        assert self._file is not None
        parts, at = [], start
        try:
            self._file.seek(start)
            while at < stop:  # an unbuffered read may give less than asked
                part = self._file.read(stop - at)
                if not part:
                    raise OSError(errno.EIO, "the file ends early")
                parts.append(part)
                at += len(part)
        except OSError as exc:
            raise Retriable(
                f"an export's errors could not be read back from their temporary file under "
                f"{tempfile.gettempdir()} ({exc.strerror or exc}); run again (set TMPDIR to "
                "a sound disk)"
            ) from None
        return b"".join(parts)

    def select(self, order: array[int]) -> Sequence[T]:
        """The rows at these indices, in this order (the event log's, deduplicated)."""
        return _Selected(self, order)

    def close(self) -> None:
        """The temporary file let go (it also goes with the spool, or the process)."""
        if self._file is not None:
            self._file.close()

    def __del__(self) -> None:
        # A report's rows go when the report does: its file closed with them, said nowhere.
        self.close()


class _Selected(Sequence[T]):
    def __init__(self, rows: Spool[T], order: array[int]) -> None:
        self._rows, self._order = rows, order

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._rows[at] for at in self._order[index]]
        return self._rows[self._order[index]]


@dataclass(frozen=True, slots=True, eq=False)
class ExportReport(ParsedReport):
    """An export's report whose errors are ``ExportRow``s: a ``ParsedReport`` (made a
    batch at a time when read) whatever else reads it."""

    _row_data = (row_error, row_json)
    _rows_checked = True  # by ``ExportRows``, a batch at a time, as the file was read


class ExportRows:
    """What an export reader writes its errors to: each record validated (a batch at a
    time, as the whole report was: an invalid one refuses the file, as before), then kept
    as a row; ``report`` gives the ``ExportReport``."""

    def __init__(self, source: str, source_kind: SourceKind) -> None:
        self._head = {"source": source, "source_kind": source_kind}
        self._batch: list[dict[str, Any]] = []
        self.rows: Spool[ExportRow] = Spool(ExportRow)

    def add(self, record: dict[str, Any]) -> None:
        """One error record (``export_records.error_record``), in the file's order."""
        self._batch.append(record)
        if len(self._batch) >= _CHECKED:
            self._flush()

    def _flush(self) -> None:
        Report.model_validate({**self._head, "errors": self._batch})
        for record in self._batch:
            self.rows.append(ExportRow.of(record))
        self._batch = []

    def __len__(self) -> int:
        """How many records were added: the next one's index."""
        return len(self.rows) + len(self._batch)

    def report(self, fields: dict[str, Any], order: array[int] | None = None) -> ExportReport:
        """The report of these fields (``export_records.report_fields``) and the records
        added (or those at the indices of ``order``, in its order)."""
        self._flush()
        return ExportReport.of(fields, self.rows if order is None else self.rows.select(order))
