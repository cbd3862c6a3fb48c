"""The ledger's answers about tickets in flight: unsettled creates, gone tickets.

Mixed into ``Ledger`` beside ``MailboxLedger``; kept apart from ``state`` for its size.
"""

from __future__ import annotations

import sqlite3

from .. import sqlite


class TicketLedger:
    """Ticket bookkeeping over the ledger's connection (mixed into ``Ledger``)."""

    conn: sqlite3.Connection

    def ticket_key(self, fingerprint: str, episode: int) -> str | None:
        """The sink's key of a problem's ticket for this episode, if it has one."""
        row = self.conn.execute(
            "SELECT key FROM tickets WHERE fingerprint = ? AND episode = ?", (fingerprint, episode)
        ).fetchone()
        return None if row is None else str(row[0])

    def ticket_of(self, key: str) -> tuple[str, int] | None:
        """(fingerprint, episode) of the ticket with this sink key, if the ledger has it."""
        row = self.conn.execute(
            "SELECT fingerprint, episode FROM tickets WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def create_pending(self, idempotency_key: str) -> bool:
        """Whether a create with this key was started and is not settled yet."""
        row = self.conn.execute(
            "SELECT 1 FROM intents WHERE idempotency_key = ? AND operation = 'create'",
            (idempotency_key,),
        ).fetchone()
        return row is not None

    def forget_ticket(self, fingerprint: str, episode: int) -> None:
        """The sink no longer has this ticket (a person deleted it): the problem needs a new
        one. Its writes still pending die with it; the problem is reconciled again."""
        with sqlite.transaction(self.conn):
            self.conn.execute(
                "DELETE FROM tickets WHERE fingerprint = ? AND episode = ?", (fingerprint, episode)
            )
            self.conn.execute(
                "DELETE FROM intents WHERE fingerprint = ? AND episode = ?", (fingerprint, episode)
            )
            self.conn.execute("UPDATE problems SET dirty = 1 WHERE fingerprint = ?", (fingerprint,))
