"""The request log both simulators keep: every request, in arrival order, thread-safe."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

R = TypeVar("R")


class Log(Generic[R]):
    """Records appended by the server threads, read by the test thread at any time."""

    def __init__(self) -> None:
        self._records: list[R] = []
        self._lock = threading.Lock()

    def add(self, record: R) -> None:
        """Append one record."""
        with self._lock:
            self._records.append(record)

    def reset(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._records.clear()

    @property
    def records(self) -> list[R]:
        """A copy of the records."""
        with self._lock:
            return list(self._records)

    def __iter__(self) -> Iterator[R]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)
