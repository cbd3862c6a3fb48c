"""The ledger's side of the local ticket store: which store it is kept with, and its tickets.

The local store counts every write it takes; the ledger counts every write it records as
done, and remembers which store (by id) it counts for. A store whose id differs, or that
has taken fewer writes than the ledger recorded, is not the store the ledger describes: it
was lost, replaced, or restored from an older backup (``rebuild``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from .. import sqlite
from ..ports import TicketStatus
from ..sqlite_counts import GroupedCount


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """A ticket as the ledger records it: enough to put it back in a rebuilt store."""

    fingerprint: str
    episode: int
    key: str
    idempotency_key: str
    status: TicketStatus
    summary: str
    content_digest: str
    comments: dict[str, str]
    """Comment key -> digest of the body written."""


@dataclass(frozen=True, slots=True)
class Adopted:
    """What a rebuilt store holds of one ticket, for the ledger to believe."""

    fingerprint: str
    episode: int
    key: str
    content_digest: str
    comments: dict[str, str]
    status: TicketStatus


class StoreLedger:
    """Store pairing over the ledger's connection (mixed into ``Ledger``)."""

    conn: sqlite3.Connection
    _counted: GroupedCount | None = None

    @property
    def _store_writes(self) -> GroupedCount:
        """The writes recorded as done, added to ``store_pairing`` once a commit."""
        if self._counted is None:
            self._counted = GroupedCount(self.conn, "UPDATE store_pairing SET writes = writes + ?")
        return self._counted

    def store_pairing(self) -> tuple[str, int] | None:
        """(store id, writes recorded) of the local store the ledger is kept with, if any."""
        row = self.conn.execute("SELECT store_id, writes FROM store_pairing").fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def pair_store(self, store_id: str, writes: int) -> None:
        """From now on the ledger is kept with this store, which has taken ``writes``."""
        with sqlite.transaction(self.conn):
            self._pair(store_id, writes)

    def _pair(self, store_id: str, writes: int) -> None:
        self.conn.execute(
            "INSERT INTO store_pairing (id, store_id, writes) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET store_id = excluded.store_id, writes = excluded.writes",
            (store_id, writes),
        )

    def _count_store_write(self, writes: int = 1) -> None:
        # In the transaction that records the write as done (``Ledger.done``); in a group,
        # once the record's savepoint is released (``_recording``), added as the group ends.
        self._store_writes.add(writes)

    def counting_store_writes(self) -> AbstractContextManager[None]:
        """Inside a group's transaction (``Ledger.grouped``): the writes recorded as done in
        it are added to ``store_pairing`` once, in that transaction, as it ends."""
        return self._store_writes.group()

    def _recording(self) -> AbstractContextManager[None]:
        """The transaction of a record of writes (a savepoint in a group): one that fails
        undoes itself, and the writes it counted in the group with it."""
        return self._store_writes.write()

    def has_tickets(self) -> bool:
        """Whether the ledger has recorded any ticket at all."""
        return self.conn.execute("SELECT 1 FROM tickets LIMIT 1").fetchone() is not None

    def ticket_records(self) -> list[TicketRecord]:
        """Every ticket the ledger records, in the order they were first recorded."""
        rows = self.conn.execute(
            "SELECT fingerprint, episode, key, idempotency_key, status, summary, "
            "content_digest, comments FROM tickets ORDER BY rowid"
        )
        return [
            TicketRecord(
                fingerprint=row[0],
                episode=int(row[1]),
                key=row[2],
                idempotency_key=row[3],
                status=row[4],
                summary=row[5],
                content_digest=row[6],
                comments=json.loads(row[7]),
            )
            for row in rows
        ]

    def pending_tickets(self) -> set[tuple[str, int]]:
        """(fingerprint, episode) of the tickets with a write of unknown outcome."""
        rows = self.conn.execute("SELECT DISTINCT fingerprint, episode FROM intents")
        return {(str(row[0]), int(row[1])) for row in rows}

    def adopt_store(self, tickets: Iterable[Adopted], store_id: str, writes: int) -> None:
        """Believe what a rebuilt store holds; flag every problem; keep the ledger with it.

        One transaction: either the ledger still describes the old store (and every run
        says to rebuild), or it describes the new one, and the flags make the next run,
        whichever it is, bring every ticket to what the history calls for.
        """
        with sqlite.transaction(self.conn):
            self.conn.executemany(
                "UPDATE tickets SET key = ?, content_digest = ?, comments = ?, status = ? "
                "WHERE fingerprint = ? AND episode = ?",
                [
                    (
                        t.key,
                        t.content_digest,
                        json.dumps(t.comments, sort_keys=True),
                        t.status,
                        t.fingerprint,
                        t.episode,
                    )
                    for t in tickets
                ],
            )
            self.conn.execute("DELETE FROM intents")
            self.conn.execute("UPDATE problems SET dirty = 1")
            self._pair(store_id, writes)
