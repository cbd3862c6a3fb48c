"""Writes in flight: each ticket write between its intent (begun before the sink is asked)
and its record (what the write did), and the intents a crash or a lost answer left.

Mixed into ``Ledger`` (design.md section 4, crash safety); kept apart from ``store`` for
its size.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from .. import sqlite
from ..ports import Applied, Intent, TicketFacts
from ..sink_values import WriteDone
from .history import created, moment, stamp


class IntentLedger:
    """Intents and the records of ticket writes over the ledger's connection."""

    conn: sqlite3.Connection
    durable_intents: bool

    def _count_store_write(self, writes: int = 1) -> None:  # pragma: no cover
        raise NotImplementedError  # StoreLedger's

    def _recording(self) -> AbstractContextManager[None]:  # pragma: no cover
        raise NotImplementedError  # StoreLedger's

    def begin(self, fingerprint: str, episode: int, idempotency_key: str, operation: str) -> int:
        """Record the intent to write to a sink; committed before the write starts."""
        now = stamp(datetime.now(UTC))
        with sqlite.transaction(self.conn, durable=self._durable(operation)):
            cursor = self.conn.execute(
                "INSERT INTO intents (fingerprint, episode, idempotency_key, operation, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (fingerprint, episode, idempotency_key, operation, now),
            )
            assert cursor.lastrowid is not None
            self._note_unlink(
                cursor.lastrowid, fingerprint, episode, idempotency_key, operation, now
            )
        return cursor.lastrowid

    def _durable(self, operation: str) -> bool:
        # A create made twice is a duplicate ticket; an unlink whose record a power cut lost
        # would be sent again, and could delete a link a person made meanwhile.
        return self.durable_intents and (operation == "create" or _unlinked(operation) is not None)

    def _note_unlink(
        self, intent: int, fingerprint: str, episode: int, ticket: str, operation: str, at: str
    ) -> None:
        """An unlink's record, in its intent's transaction: before the request leaves, so
        that no crash after it can make a later pass send it again (``unlinked``)."""
        target = _unlinked(operation)
        if target is None:
            return
        row = self.conn.execute(
            "SELECT key FROM tickets WHERE fingerprint = ? AND episode = ?", (fingerprint, episode)
        ).fetchone()
        self.conn.execute(
            "INSERT INTO unlinks (ticket, target, ticket_key, intent, at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (ticket, target) DO UPDATE SET intent = excluded.intent",
            (ticket, target, None if row is None else row[0], intent, at),
        )

    def unlinked(self, idempotency_key: str) -> frozenset[str]:
        """The tickets the ticket named ``idempotency_key`` was unlinked from (or an unlink
        of it was sent, its outcome unknown): never unlinked again."""
        rows = self.conn.execute("SELECT target FROM unlinks WHERE ticket = ?", (idempotency_key,))
        return frozenset(str(row[0]) for row in rows)

    def begin_many(self, intents: Sequence[tuple[str, int, str, str]]) -> list[int]:
        """Record the intents of a batch of sink writes, each (fingerprint, episode,
        idempotency key, operation): one transaction, committed before the batch is sent."""
        ids: list[int] = []
        now = stamp(datetime.now(UTC))
        durable = any(self._durable(op) for *_, op in intents)
        with sqlite.transaction(self.conn, durable=durable):
            for fingerprint, episode, idempotency_key, operation in intents:
                cursor = self.conn.execute(
                    "INSERT INTO intents (fingerprint, episode, idempotency_key, operation, "
                    "created_at) VALUES (?, ?, ?, ?, ?)",
                    (fingerprint, episode, idempotency_key, operation, now),
                )
                assert cursor.lastrowid is not None
                ids.append(cursor.lastrowid)
                self._note_unlink(
                    cursor.lastrowid, fingerprint, episode, idempotency_key, operation, now
                )
        return ids

    def done_many(self, writes: Sequence[WriteDone]) -> None:
        """``done`` for a batch of writes (the creates of one bulk request): one transaction."""
        with self._recording():
            for write in writes:
                self._save(write.fingerprint, write.episode, write.applied, write.facts)
                if write.intent is not None:
                    self.conn.execute("DELETE FROM intents WHERE id = ?", (write.intent,))
            self._count_store_write(len(writes))

    def done(
        self,
        intent: int | None,
        fingerprint: str,
        episode: int,
        applied: Applied,
        facts: TicketFacts | None = None,
    ) -> None:
        """Record what a sink now holds, and drop the intent, in one transaction.

        Each call records one write to the sink as done (counted for ``store_pairing``).
        """
        with self._recording():
            self._save(fingerprint, episode, applied, facts)
            self._count_store_write()
            if intent is not None:
                self.conn.execute("DELETE FROM intents WHERE id = ?", (intent,))
                self.conn.execute("UPDATE unlinks SET intent = NULL WHERE intent = ?", (intent,))

    def _save(
        self, fingerprint: str, episode: int, applied: Applied, facts: TicketFacts | None
    ) -> None:
        values: dict[str, Any] = {
            "fingerprint": fingerprint,
            "episode": episode,
            "key": applied.key,
            "idempotency_key": applied.idempotency_key,
            "status": applied.status,
            "content_digest": applied.content_digest,
            "comments": json.dumps(applied.comments, sort_keys=True),
            "linked": json.dumps(list(applied.linked)),
            "summary": "",
        }
        self.conn.execute(
            "INSERT INTO tickets (fingerprint, episode, key, idempotency_key, status, "
            "content_digest, comments, linked, summary) VALUES (:fingerprint, :episode, :key, "
            ":idempotency_key, :status, :content_digest, :comments, :linked, :summary) "
            "ON CONFLICT (fingerprint, episode) DO UPDATE SET key = excluded.key, "
            "status = excluded.status, content_digest = excluded.content_digest, "
            "comments = excluded.comments, linked = excluded.linked",
            values,
        )
        if facts is not None:
            self._save_facts(fingerprint, episode, facts)

    def _save_facts(self, fingerprint: str, episode: int, facts: TicketFacts) -> None:
        # The ledger-only facts of a ticket (last seen, occurrences...): no sink write.
        self.conn.execute(
            "UPDATE tickets SET summary = ?, kind = ?, identity = ?, tenant = ?, first_seen = ?, "
            "last_seen = ?, occurrences = ? WHERE fingerprint = ? AND episode = ?",
            (
                facts.summary,
                facts.kind,
                facts.identity,
                facts.tenant,
                stamp(facts.first_seen) if facts.first_seen else None,
                stamp(facts.last_seen) if facts.last_seen else None,
                facts.occurrences,
                fingerprint,
                episode,
            ),
        )

    def pending_intents(self) -> list[Intent]:
        """Writes started but not recorded as done: a crash came in between."""
        rows = self.conn.execute(
            "SELECT id, fingerprint, episode, idempotency_key, operation, created_at, reach_by "
            "FROM intents ORDER BY id"
        )
        return [
            Intent(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                created_at=created(row[5]),
                reach_by=moment(row[6]) if row[6] else None,
            )
            for row in rows
        ]

    def reach_by(self, intent: int, when: datetime) -> None:
        """Note the latest moment this intent's write may reach the sink; committed at once,
        before the attempt it concerns leaves."""
        with sqlite.transaction(self.conn, durable=self.durable_intents):
            self.conn.execute("UPDATE intents SET reach_by = ? WHERE id = ?", (stamp(when), intent))

    def reach_by_many(self, intents: Sequence[int], when: datetime) -> None:
        """``reach_by`` for the intents of one batch: one transaction."""
        with sqlite.transaction(self.conn, durable=self.durable_intents):
            self.conn.executemany(
                "UPDATE intents SET reach_by = ? WHERE id = ?",
                [(stamp(when), intent) for intent in intents],
            )

    def abandon(self, intent: int) -> None:
        """Drop an intent whose write certainly did not happen (the sink refused it)."""
        with sqlite.transaction(self.conn):
            self.conn.execute("DELETE FROM intents WHERE id = ?", (intent,))
            # An unlink never sent (refused, or its read found no links to read): a later
            # pass sends it.
            self.conn.execute("DELETE FROM unlinks WHERE intent = ?", (intent,))

    def settle(self, intent: Intent, applied: Applied | None) -> None:
        """Record what the sink holds of an unfinished write (None: it is not there), drop
        the intent, and reconcile the problem again."""
        with sqlite.transaction(self.conn):
            if applied is not None:
                self._save(intent.fingerprint, intent.episode, applied, None)
            self.conn.execute("DELETE FROM intents WHERE id = ?", (intent.id,))
            # An unlink of unknown outcome counts as sent, whatever the sink shows now: a link
            # still there may be one a person made again since (``ticket_sync._believe``).
            # Recorded here too: an intent a release before 0021-unlinks left has no record,
            # and the pass settling it unlinked again at once (review rev42).
            self._note_unlink(
                intent.id,
                intent.fingerprint,
                intent.episode,
                intent.idempotency_key,
                intent.operation,
                stamp(intent.created_at),
            )
            self.conn.execute("UPDATE unlinks SET intent = NULL WHERE intent = ?", (intent.id,))
            self.conn.execute(
                "UPDATE problems SET dirty = 1 WHERE fingerprint = ?", (intent.fingerprint,)
            )


def _unlinked(operation: str) -> str | None:
    """The target of an unlink's intent (``Write.describe``: ``unlink <key>``), else None."""
    verb, _, target = operation.partition(" ")
    return target if verb == "unlink" and target else None
