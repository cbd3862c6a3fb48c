"""Explicit transactions on a connection (``sqlite.transaction``, ``sqlite.grouped``): BEGIN
IMMEDIATE ... COMMIT, a savepoint inside a batch, a durable commit for what a remote system
cannot take back. A failed write leaves nothing behind: SQLite rolls back by itself on a full
disk, and ``transaction`` copes with both."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from .errors import DirsyncBridgeError, Retriable

_ROLLED_BACK = (
    "{}: a batch of writes was rolled back by SQLite after an error (a full disk?): none "
    "of it was kept; free space if the disk is full, and run again"
)

_GROUPING: set[int] = set()
"""The connections (``id``) inside a ``grouped`` block: a write there must find its group's
transaction. (Ids, not the connections: SQLite's take no weak reference.)"""


@contextmanager
def transaction(conn: sqlite3.Connection, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception.

    ``durable``: the commit survives a power loss, not only a crash of the process
    (``synchronous=FULL`` for this commit: the log is synced before COMMIT returns, and with
    it every commit before). For what is about to be said to a remote system that cannot
    take it back: a Jira create's intent.
    """
    if conn.in_transaction:
        # Inside a batch (``grouped``): a savepoint, so that this write alone is undone if it
        # fails, and it commits with the batch.
        assert not durable, "a durable commit is never part of a batch"
        with _savepoint(conn):
            yield conn
        return
    if id(conn) in _GROUPING:
        # The batch's transaction is gone: SQLite rolled it back by itself (a full disk, an
        # I/O error), and the writes before this one with it. Nothing more may be written
        # (it would commit alone, and what was lost be believed): the batch ends here.
        raise Retriable(_ROLLED_BACK.format(getattr(conn, "path", "the database")))
    if durable:
        conn.execute("PRAGMA synchronous=FULL")
        try:
            with transaction(conn) as inner:
                yield inner
        finally:
            # Left FULL if this fails: slower, never less safe.
            with suppress(sqlite3.Error, DirsyncBridgeError):
                conn.execute("PRAGMA synchronous=NORMAL")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        # SQLite may have rolled back already (a full disk does), or the connection be closed
        # (a group finalised at exit, after a signal): an error here must not hide the one
        # that got us here.
        _roll_back(conn)
        raise
    if not conn.in_transaction:
        # Gone: SQLite rolled it back by itself after an error (a full disk, an I/O error)
        # that a caller inside took for one write's. Nothing of it was kept.
        raise Retriable(_ROLLED_BACK.format(getattr(conn, "path", "the database")))
    try:
        conn.execute("COMMIT")
    except BaseException:
        _roll_back(conn)
        raise


@contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("SAVEPOINT write")
    try:
        yield
    except BaseException:
        with suppress(sqlite3.Error, DirsyncBridgeError):
            if conn.in_transaction:
                conn.execute("ROLLBACK TO write")
                conn.execute("RELEASE write")
        raise
    conn.execute("RELEASE write")


@contextmanager
def grouped(conn: sqlite3.Connection) -> Iterator[None]:
    """One transaction for the writes made inside (each ``transaction`` in it a savepoint):
    they commit together, one commit and one sync instead of one each. Nested: the outer
    one commits. A failing write undoes itself alone; a failing commit undoes them all."""
    if conn.in_transaction:
        yield
        return
    with transaction(conn):
        _GROUPING.add(id(conn))
        try:
            yield
        finally:
            _GROUPING.discard(id(conn))


@contextmanager
def reading(conn: sqlite3.Connection) -> Iterator[None]:
    """The reads made inside see one snapshot of the database (a read transaction): a
    reader beside a run that writes does not mix two states. Inside a transaction already:
    that one's."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        _roll_back(conn)  # (nothing written: only the snapshot let go)


def _roll_back(conn: sqlite3.Connection) -> None:
    """ROLLBACK if a transaction is open; nothing if there is none, or the connection is
    closed already."""
    with suppress(sqlite3.Error, DirsyncBridgeError):
        if conn.in_transaction:
            conn.execute("ROLLBACK")
