"""A count kept in one row of SQLite, added to in the transaction of the writes it counts:
once for a group of them (``sqlite.grouped``), not once a write.

The local store's revision (the writes it has taken) and the ledger's ``store_pairing``
(the writes it has recorded as done) are such counts: compared, they tell whether a store
is the one the ledger describes (``ledger/pairing.py``). Each must move with its writes,
never apart: a write that fails undoes its count with itself, and a group that fails is
rolled back with its count.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from . import sqlite
from .errors import DirsyncBridgeError


class GroupedCount:
    """The count that ``add_sql`` (one ``?``: the writes to add) adds to, over ``conn``."""

    def __init__(self, conn: sqlite3.Connection, add_sql: str) -> None:
        self._conn, self._add_sql = conn, add_sql
        self._pending: int | None = None
        """Inside ``group``: the writes counted and not yet added (one statement for the
        group, in its transaction, instead of one a write)."""

    def add(self, writes: int = 1) -> None:
        """Count ``writes``, in the transaction of the writes they are (in a group, added as
        the group ends; undone with their savepoint by ``write``)."""
        if self._pending is not None:
            self._pending += writes
            return
        self._conn.execute(self._add_sql, (writes,))

    @contextmanager
    def group(self) -> Iterator[None]:
        """Inside a group's transaction: the writes counted in it are added once, in that
        transaction, as it ends. Nested: the outer group adds them."""
        if self._pending is not None:
            yield
            return
        self._pending = 0
        try:
            yield
        except BaseException:
            # The error goes on to the transaction's owner, ``sqlite.grouped`` (this group's,
            # or an outer group's on the same connection), which rolls it back: the writes
            # made here and this count alike, so today this add is always undone. It is made
            # so that the count stays with the writes still in the transaction (a failed one
            # undid its own, ``write``) should an owner ever catch the error and commit.
            # Suppressed if it fails: the error that got us here is the one to report.
            with suppress(sqlite3.Error, DirsyncBridgeError):
                self._add_pending()
            raise
        self._add_pending()

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write's transaction (a savepoint in a group): a write that fails undoes
        itself, and what it counted in the group with it."""
        before = self._pending
        try:
            with sqlite.transaction(self._conn):
                yield
        except BaseException:
            self._pending = before
            raise

    def _add_pending(self) -> None:
        writes, self._pending = self._pending, None
        # Not in a transaction: SQLite rolled it back by itself (a full disk), and with it
        # the writes counted; nothing of them is left to count.
        if writes and self._conn.in_transaction:
            self._conn.execute(self._add_sql, (writes,))
