"""The ledger's memory of which rejections a pass has named (review rev34).

A pass records a rejected message as it meets it (``Ledger.record_rejected``: ``named`` 0)
and names it only after its output (``rejections``): a pass stopped in between (a kill, a
crash, exit 75) leaves it recorded, counted already seen by every later pass, and named by
none. So a pass also names every rejection still unnamed, and once its output is written
marks named those up to the mark it took as it ended (``messages_mark``). Message rows are
never deleted, so a row's rowid tells whether it was there for the pass to name. A pass
killed between its output and its mark names them again next time: twice, never zero
times.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from .. import sqlite


class NamingLedger:
    """Rejections named or not, over the ledger's connection (mixed into ``Ledger``)."""

    conn: sqlite3.Connection

    def messages_mark(self) -> int:
        """The last message row recorded so far (0: none). A pass takes it once its
        messages are read: the rejections up to it still unnamed are those it names."""
        row = self.conn.execute("SELECT max(rowid) FROM messages").fetchone()
        return int(row[0] or 0)

    def unnamed_rejections(self) -> Iterator[tuple[str, str]]:
        """(source, reason) of each rejection no pass has named, in the order recorded.
        Read through the partial index ``messages_unnamed`` (almost always empty)."""
        rows = self.conn.execute(
            "SELECT source, reason FROM messages WHERE named = 0 ORDER BY rowid"
        )
        for source, reason in rows:
            yield str(source), str(reason or "")

    def unnamed_before(self, key: str, mark: int) -> bool:
        """Whether the message ``key`` is a rejection no pass has named, recorded at or
        before the mark ``mark`` (``messages_mark``, taken as a pass began): one that pass
        names late, and counts rejected already."""
        row = self.conn.execute(
            "SELECT 1 FROM messages WHERE key = ? AND named = 0 AND rowid <= ?", (key, mark)
        ).fetchone()
        return row is not None

    def mark_named(self, up_to: int) -> int:
        """The rejections up to the mark ``up_to`` (``messages_mark``) are named: a pass's
        output has named them. Returns how many were not before."""
        with sqlite.transaction(self.conn):
            cursor = self.conn.execute(
                "UPDATE messages SET named = 1 WHERE named = 0 AND rowid <= ?", (up_to,)
            )
        return cursor.rowcount
