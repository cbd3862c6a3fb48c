"""The rules the lifecycle states were built with, and the ticket texts they were rendered
with: other rules or other templates, and the states are built again or every ticket
rendered again, once. Mixed into ``Ledger`` beside ``StateLedger``; kept apart for its size.
"""

from __future__ import annotations

import json
import sqlite3

from ..lifecycle import Coverages, FoldState, Policy, Timeline


def rules_text(policy: Policy) -> str:
    """The lifecycle rules, canonical: states built under other rules are built again."""
    return json.dumps(
        {
            "resolve_after_reports": policy.resolve_after_reports,
            "reopen_within": policy.reopen_within.total_seconds(),
            "never_reopen": sorted(policy.never_reopen),
            # The judgement's own version: states built by an older one are built again
            # (2: absences count within each report's coverage; 3: a sighting without object
            # ids keeps those tracked, so an older state may hold ids a fold keeps, and
            # comments it drops).
            "lifecycle": 3,
        },
        sort_keys=True,
    )


class RulesLedger:
    """The run's lifecycle rules and ticket texts, against the ledger's (mixed into
    ``Ledger``, after ``StateLedger``, whose ``_refold`` it calls)."""

    conn: sqlite3.Connection
    rules: Policy | None

    def _refold(
        self, fingerprint: str, timelines: dict[str, tuple[Timeline, Coverages]]
    ) -> FoldState:  # pragma: no cover
        raise NotImplementedError  # StateLedger's

    def use_rules(self, policy: Policy) -> None:
        """The rules this run applies. States built under other rules (or none: a ledger
        from before states were kept) are built again from their histories, once."""
        self.rules = policy
        text = rules_text(policy)
        row = self.conn.execute("SELECT rules FROM lifecycle_rules").fetchone()
        stale = row is None or row[0] != text
        missing = self.conn.execute(
            "SELECT fingerprint FROM problems WHERE state IS NULL OR ? ORDER BY rowid",
            (int(stale),),
        ).fetchall()
        if not missing and not stale:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(
                "INSERT INTO lifecycle_rules (id, rules) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET rules = excluded.rules",
                (text,),
            )
            timelines: dict[str, tuple[Timeline, Coverages]] = {}
            for (fingerprint,) in missing:
                self._refold(str(fingerprint), timelines)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def use_texts(self, fingerprint: str) -> None:
        """The ticket texts of this run: when they differ from the last run's, every problem
        is flagged, so that its tickets are rendered again (written only where they now read
        otherwise)."""
        row = self.conn.execute("SELECT fingerprint FROM ticket_texts").fetchone()
        if row is not None and row[0] == fingerprint:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(
                "INSERT INTO ticket_texts (id, fingerprint) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint",
                (fingerprint,),
            )
            if row is not None:
                self.conn.execute("UPDATE problems SET dirty = 1")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
