"""The ledger's memory of a mailbox: messages taken in, the action each is owed, the watermark.

A message read from a mailbox owes an action (move, mark, categorise) from the moment it is
taken in until every ticket write it caused is done; ``run`` does the owed actions last.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from .. import sqlite
from .history import moment, stamp


def _time(value: datetime) -> str:
    # Fixed width, UTC: sorts as text in time order (as everywhere in the ledger).
    return stamp(value)


def _parse_time(value: str) -> datetime:
    return moment(value)


class MailboxLedger:
    """Mailbox bookkeeping over the ledger's connection (mixed into ``Ledger``)."""

    conn: sqlite3.Connection

    def mailbox_known(self, message_id: str) -> bool:
        """Whether this mailbox message was already taken in."""
        row = self.conn.execute(
            "SELECT 1 FROM mailbox_messages WHERE id = ?", (message_id,)
        ).fetchone()
        return row is not None

    def record_mailbox(
        self, message_id: str, source: str, received: datetime, outcome: str
    ) -> None:
        """A mailbox message was taken in; its action (move, mark...) is owed."""
        with sqlite.transaction(self.conn):
            self.conn.execute(
                "INSERT OR IGNORE INTO mailbox_messages (id, source, received_at, outcome) "
                "VALUES (?, ?, ?, ?)",
                (message_id, source, _time(received), outcome),
            )

    def record_mailbox_rejected(
        self, message_id: str, source: str, received: datetime, reference: str, reason: str
    ) -> None:
        """A mailbox message refused unread (too large, unreadable): taken in, owed its
        ``after_rejected`` action, never fetched again, and so kept as a rejection still to
        be named (``NamingLedger``), under its Graph id (no bytes to hash): a pass stopped
        before its output leaves it to the next pass to name (review rev34)."""
        with sqlite.transaction(self.conn):
            self.conn.execute(
                "INSERT OR IGNORE INTO mailbox_messages (id, source, received_at, outcome) "
                "VALUES (?, ?, ?, 'rejected')",
                (message_id, source, _time(received)),
            )
            self.conn.execute(
                "INSERT OR IGNORE INTO messages (key, source, status, reason, recorded_at, "
                "named) VALUES (?, ?, 'rejected', ?, ?, 0)",
                (f"mailbox:{message_id}", reference, reason, _time(datetime.now(UTC))),
            )

    def mailbox_owed(self, source: str) -> list[tuple[str, str, datetime]]:
        """(id, outcome, received) of this source's messages whose action is not done."""
        rows = self.conn.execute(
            "SELECT id, outcome, received_at FROM mailbox_messages "
            "WHERE source = ? AND done = 0 ORDER BY received_at, id",
            (source,),
        )
        return [(row[0], row[1], _parse_time(row[2])) for row in rows]

    def mailbox_done(self, message_id: str) -> None:
        """The message's action is done."""
        with sqlite.transaction(self.conn):
            self.conn.execute("UPDATE mailbox_messages SET done = 1 WHERE id = ?", (message_id,))

    def cursor(self, name: str) -> datetime | None:
        """A source's watermark, if it has one."""
        row = self.conn.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        return None if row is None else _parse_time(row[0])

    def set_cursor(self, name: str, value: datetime) -> None:
        """Move a source's watermark."""
        with sqlite.transaction(self.conn):
            self.conn.execute(
                "INSERT INTO cursors (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, _time(value)),
            )
