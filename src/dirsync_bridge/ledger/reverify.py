"""The once-only re-check of the verifications an earlier release made (migration 0019).

Releases up to c1cbabf took an object with the reported UPN for the reported object, so
``verify_with_graph`` resolved tickets whose conflict still stood (reviews rev22, rev23);
their quarantine rows never come back in a report, so nothing else would reopen them. A
ledger that holds such verifications carries a ``recheck_verified`` row until
``verify.py`` has checked each of them again under this release's rule: the withdrawals it
finds and the removal of that row are one transaction, so a crash repeats the whole
re-check, and a finished one never runs again. Mixed into ``Ledger`` after
``StateLedger``, whose ``_apply_resolution`` it calls.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from .. import sqlite
from ..lifecycle import UNVERIFIED, VERIFIED
from .history import stamp


class ReverifyLedger:
    """The tickets to re-check, and the re-check's outcome."""

    conn: sqlite3.Connection

    def _apply_resolution(
        self, fingerprint: str, episode: int, at: datetime, name: str
    ) -> None:  # pragma: no cover
        raise NotImplementedError  # StateLedger's

    def verified_to_recheck(self) -> list[tuple[str, int]] | None:
        """(fingerprint, episode) of each ticket still resolved *by* a verification, while
        the re-check is due; None once it was done (or never needed).

        Only a ticket whose last event outside the reports is the verification: a person who
        resolved it since (Done corrected to Won't Do, or reopened and closed again) gave it
        a resolution of their own, which the re-check must not override (review rev25)."""
        if self.conn.execute("SELECT 1 FROM recheck_verified").fetchone() is None:
            return None
        rows = self.conn.execute(
            # (at is fixed-width text, and unique per ticket: the table's key.)
            "SELECT t.fingerprint, t.episode FROM tickets t WHERE t.status = 'resolved' "
            "AND substr((SELECT r.name FROM resolutions r WHERE r.fingerprint = t.fingerprint "
            "AND r.episode = t.episode ORDER BY r.at DESC LIMIT 1), 1, ?) = ? ORDER BY t.rowid",
            (len(VERIFIED), VERIFIED),
        )
        return [(str(row[0]), int(row[1])) for row in rows]

    def rechecked(self, wrong: Sequence[tuple[str, int, str]], at: datetime) -> None:
        """The re-check is done: each (fingerprint, episode, why) in ``wrong`` gets its
        verification withdrawn (the fold reopens the ticket, saying why), in one
        transaction with the end of the re-check."""
        with sqlite.transaction(self.conn):
            for fingerprint, episode, why in wrong:
                name = UNVERIFIED + why
                self.conn.execute(
                    "INSERT OR IGNORE INTO resolutions (fingerprint, episode, at, name) "
                    "VALUES (?, ?, ?, ?)",
                    (fingerprint, episode, stamp(at), name),
                )
                self._apply_resolution(fingerprint, episode, at, name)
                self.conn.execute(
                    "UPDATE problems SET dirty = 1 WHERE fingerprint = ?", (fingerprint,)
                )
            self.conn.execute("DELETE FROM recheck_verified")
