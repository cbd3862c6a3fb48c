"""The ledger's answers about its tickets: what was last written to each, which are open,
those in flight (unsettled creates, gone tickets), and the one sink they live in.

Mixed into ``Ledger`` beside ``MailboxLedger``; kept apart from ``state`` for its size.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from .. import sqlite
from ..errors import SinkMismatch
from ..ports import Applied

_LOCAL_KEY: Final = re.compile(r"LOCAL-[0-9]+")
_SINKS: Final = {"local": "the local ticket store", "jira": "Jira"}


class TicketLedger:
    """Ticket bookkeeping over the ledger's connection (mixed into ``Ledger``)."""

    conn: sqlite3.Connection
    durable_intents: bool = False
    """Intents of creates (and their reach-by times) are committed with ``synchronous=FULL``:
    the ledger's tickets are in Jira (``keep_with_sink``), where a create cannot be taken
    back, so its intent must survive a power loss, not only a crash of the process."""

    def applied(self, fingerprint: str) -> dict[int, Applied]:
        """Episode -> what was last written to that ticket."""
        rows = self.conn.execute(
            "SELECT episode, key, idempotency_key, status, content_digest, comments, linked "
            "FROM tickets WHERE fingerprint = ?",
            (fingerprint,),
        )
        return {
            int(row["episode"]): Applied(
                key=row["key"],
                idempotency_key=row["idempotency_key"],
                status=row["status"],
                content_digest=row["content_digest"],
                comments=json.loads(row["comments"]),
                linked=tuple(json.loads(row["linked"])),
            )
            for row in rows
        }

    def has_tickets(self) -> bool:
        """Whether the tool wrote any ticket (in the ledger)."""
        return self.conn.execute("SELECT 1 FROM tickets LIMIT 1").fetchone() is not None

    def open_tickets(self, fingerprints: Iterable[str]) -> dict[str, tuple[str, int]]:
        """Ticket key -> (fingerprint, episode), for these problems' tickets the tool has open."""
        out: dict[str, tuple[str, int]] = {}
        for fingerprint in fingerprints:
            rows = self.conn.execute(
                "SELECT key, episode FROM tickets WHERE fingerprint = ? AND status = 'open'",
                (fingerprint,),
            )
            for row in rows:
                out[row["key"]] = (fingerprint, int(row["episode"]))
        return out

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

    def knows_key(self, key: str) -> bool:
        """Whether a ticket the ledger holds answers under ``key``: its key, or one it had
        before a person moved it (``rekey_ticket``)."""
        row = self.conn.execute(
            "SELECT 1 FROM tickets WHERE key = ?1"
            " UNION ALL SELECT 1 FROM moved_keys WHERE key = ?1",
            (key,),
        ).fetchone()
        return row is not None

    def ticket_with(self, idempotency_key: str) -> tuple[str, int] | None:
        """(fingerprint, episode) of the ticket created with this key, if the ledger has it
        (handed over in a merge, it is the survivor's)."""
        row = self.conn.execute(
            "SELECT fingerprint, episode FROM tickets WHERE idempotency_key = ?",
            (idempotency_key,),
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
                "INSERT OR REPLACE INTO gone_tickets (fingerprint, episode, key) "
                "SELECT fingerprint, episode, key FROM tickets WHERE fingerprint = ? "
                "AND episode = ?",
                (fingerprint, episode),
            )
            self.conn.execute(
                "DELETE FROM tickets WHERE fingerprint = ? AND episode = ?", (fingerprint, episode)
            )
            self.conn.execute(
                "DELETE FROM intents WHERE fingerprint = ? AND episode = ?", (fingerprint, episode)
            )
            # A ticket kept in a merge over the survivor's own newer one (``TicketHandover.
            # _keep_the_first``) left that one, under the key a new ticket for this episode
            # would be made with, to the retired problem: it comes back instead (reopened
            # by the reconcile), with the resolutions people gave it, since no second
            # ticket can be made under its key.
            held = self.conn.execute(
                "SELECT t.fingerprint FROM tickets t JOIN problems p ON p.fingerprint = "
                "t.fingerprint WHERE t.idempotency_key = ? AND t.episode = ? "
                "AND p.merged_into IS NOT NULL",
                (f"{fingerprint}:{episode}", episode),
            ).fetchone()
            for table in ("tickets", "resolutions") if held else ():
                self.conn.execute(
                    f"UPDATE OR IGNORE {table} SET fingerprint = ? WHERE fingerprint = ? "
                    "AND episode = ?",
                    (fingerprint, str(held[0]), episode),
                )
            self.conn.execute("UPDATE problems SET dirty = 1 WHERE fingerprint = ?", (fingerprint,))

    def was_deleted(self, fingerprint: str, episode: int) -> bool:
        """Whether a person deleted the ticket this episode had (``forget_ticket``)."""
        row = self.conn.execute(
            "SELECT 1 FROM gone_tickets WHERE fingerprint = ? AND episode = ?",
            (fingerprint, episode),
        ).fetchone()
        return row is not None

    def tickets_to_check(self, limit: int) -> list[tuple[str, str, int, str]]:
        """Up to ``limit`` open tickets, those checked longest ago (or never) first:
        (key, fingerprint, episode, idempotency key)."""
        rows = self.conn.execute(
            "SELECT key, fingerprint, episode, idempotency_key FROM tickets "
            "WHERE status = 'open' ORDER BY checked_at IS NOT NULL, checked_at, key LIMIT ?",
            (limit,),
        )
        return [(str(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]

    def checked(self, keys: Iterable[str], at: datetime) -> None:
        """These tickets were seen to exist at ``at``."""
        with sqlite.transaction(self.conn):
            self.conn.executemany(
                "UPDATE tickets SET checked_at = ? WHERE key = ?",
                [(at.isoformat(), key) for key in keys],
            )

    def rekey_ticket(self, fingerprint: str, episode: int, key: str) -> None:
        """A person moved the ticket to another project: it answers under ``key`` now."""
        with sqlite.transaction(self.conn):
            self.conn.execute(
                "INSERT OR IGNORE INTO moved_keys (key) SELECT key FROM tickets"
                " WHERE fingerprint = ? AND episode = ? AND key != ?",
                (fingerprint, episode, key),
            )
            self.conn.execute(
                "UPDATE tickets SET key = ? WHERE fingerprint = ? AND episode = ?",
                (key, fingerprint, episode),
            )

    def kept_with(self) -> str | None:
        """The sink the ledger's tickets live in ("local", "jira"); None for a ledger with
        no ticket and no write in flight, which takes any. Reads only. A ledger from before
        the record tells by its keys (``LOCAL-n``: the local store)."""
        row = self.conn.execute("SELECT kind FROM ticket_sink").fetchone()
        used = self.conn.execute(
            "SELECT key FROM tickets UNION ALL SELECT idempotency_key FROM intents LIMIT 1"
        ).fetchone()
        if used is None:
            return None
        if row is not None:
            return str(row[0])
        tickets = [str(r[0]) for r in self.conn.execute("SELECT key FROM tickets")]
        return "local" if all(_LOCAL_KEY.fullmatch(key) for key in tickets) else "jira"

    def keep_with_sink(self, kind: str) -> None:
        """The ledger's tickets live in one sink: ``kind``, or ``SinkMismatch``.

        A ledger with no ticket (and no write in flight) takes any sink; one with tickets
        keeps the sink they were written to (``kept_with``).
        """
        with sqlite.transaction(self.conn):
            kept = self.kept_with()
            self.conn.execute(
                "INSERT INTO ticket_sink (id, kind) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind",
                (kept or kind,),
            )
        if kept is not None and kept != kind:
            raise SinkMismatch(_mismatch(getattr(self.conn, "path", "the ledger"), kept, kind))
        self.durable_intents = kind == "jira"


def _mismatch(ledger: object, kept: str, wanted: str) -> str:
    return (
        f"{ledger}: this ledger's tickets are in {_SINKS[kept]}, not in {_SINKS[wanted]}: "
        f'run with --sink {kept} (or [sink] kind = "{kept}"); for tickets in '
        f"{_SINKS[wanted]}, give [state] path a new file and replay the reports into it"
    )
