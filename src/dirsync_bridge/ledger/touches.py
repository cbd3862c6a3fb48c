"""Problems listed again, unchanged: touched in SQL, all at once (mixed into ``Ledger``
through ``StateLedger``).

A daily report lists most of its tenant's open problems as the day before. Such a problem's
state does not move: its last-seen report and count do, in one statement for all of them.
When its rows are the ones its last sighting was made of (``problem_rows``), the sighting
is not even made: its history row names that sighting's details and texts again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..problem import Sighting
from .history import content_id

Position = tuple[str, str]
"""A place in a tenant's timeline: (report time as stored, report key); a resolution given
at a time sorts before the reports of that same time: (time, "")."""


def core_of(details_text: str) -> int:
    """What a sighting says, holders left out (the last key of ``Details``), as a row id:
    equal cores with compatible holders make a sighting that changes nothing."""
    cut = details_text.rfind(',"holders":')
    return content_id(details_text[:cut] if cut >= 0 else details_text)


def holders_of(details_text: str) -> str | None:
    """The holders part of a details text (``null``: not looked up)."""
    cut = details_text.rfind(',"holders":')
    return details_text[cut + len(',"holders":') : -1] if cut >= 0 else None


class TouchLedger:
    """Touches, over the ledger's connection."""

    conn: sqlite3.Connection

    def _unchanged(self, digests: Mapping[str, str | None], here: Position) -> set[str]:
        """The problems of a report (the tenant's newest) listed in the rows their last
        sighting was made of, which ``_apply_listed`` would only touch: open, applied up to
        here, and that sighting's details (the same now) change nothing in their state."""
        kept = {fp: digest for fp, digest in digests.items() if digest is not None}
        if not kept:
            return set()
        rows = self._rows_of(
            "SELECT fingerprint, rows_digest FROM problems WHERE fingerprint IN ({}) "
            "AND rows_digest IS NOT NULL AND state IS NOT NULL AND status = 'open' "
            "AND core = last_core AND (last_holders = 'null' OR last_holders = holders) "
            f"AND (horizon_at IS NULL OR horizon_at < {_HERE_AT} "
            f"OR (horizon_at = {_HERE_AT} AND COALESCE(horizon_key, '') <= {_HERE_KEY}))",
            kept,
            here,
        )
        return {str(fp) for fp, digest in rows if kept[fp] == digest}

    def _keep_made(
        self,
        written: Sequence[tuple[int, int, int, int]],
        found: Sequence[tuple[str, Sighting, str]],
        ids: Mapping[str, int],
        digests: Mapping[str, str | None],
    ) -> None:
        """Keep, with each problem whose sighting was made from rows with a digest, what it
        was made into (``_unchanged``, ``_touch_unchanged``)."""
        history = {problem: (details, texts) for problem, _r, details, texts in written}
        kept = [
            (digest, core_of(text), holders_of(text), *history[ids[fp]], ids[fp])
            for fp, _s, text in found
            if (digest := digests.get(fp)) is not None
        ]
        self.conn.executemany(
            "UPDATE problems SET rows_digest = ?, last_core = ?, last_holders = ?, "
            "last_details = ?, last_texts = ? WHERE rowid = ?",
            kept,
        )

    def _touch_unchanged(self, report: int, same: set[str], here: Position) -> None:
        """The problems listed as their last sighting was made (``_unchanged``): that
        sighting is this report's too (its history row names the same details and texts),
        and they are touched."""
        if not same:
            return
        for chunk in _batches(sorted(same)):
            self.conn.execute(
                "INSERT OR IGNORE INTO history (problem, report, details, texts) "
                f"SELECT rowid, ?, last_details, last_texts FROM problems "
                f"WHERE fingerprint IN ({','.join('?' * len(chunk))})",
                (report, *chunk),
            )
        self._touch([(fp,) for fp in same], here)

    def _touch(self, touched: list[tuple[str]], here: Position) -> None:
        """Open problems seen again unchanged: last seen and count, in SQL, all at once."""
        if not touched:
            return
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched (fingerprint TEXT PRIMARY KEY)")
        self.conn.execute("DELETE FROM touched")
        self.conn.executemany("INSERT OR IGNORE INTO touched VALUES (?)", touched)
        self.conn.execute(
            # By the tickets' key, from the touched problems: not a scan of every ticket.
            "UPDATE tickets SET last_seen = ?, occurrences = occurrences + 1 "
            "WHERE (fingerprint, episode) IN (SELECT p.fingerprint, p.episode FROM touched x "
            "JOIN problems p ON p.fingerprint = x.fingerprint)",
            (here[0],),
        )
        self.conn.execute(
            "UPDATE problems SET seen_at = ?1, seen_key = ?2, last_seen = ?1, "
            "occurrences = occurrences + 1, "
            "span_end = CASE WHEN span_end IS NULL THEN NULL ELSE ?1 END, "
            "horizon_at = CASE WHEN span_end IS NULL THEN NULL ELSE ?1 END, "
            "horizon_key = CASE WHEN span_end IS NULL THEN NULL ELSE ?2 END "
            "WHERE fingerprint IN (SELECT fingerprint FROM touched)",
            here,
        )

    def _rows_of(
        self, query: str, fingerprints: Iterable[str], first: Sequence[object] = ()
    ) -> list[Any]:
        """``query`` (with one ``{}`` for the placeholders) over many fingerprints, in chunks
        SQLite's limit on variables allows; ``first``: the values of the parameters the query
        names itself (?1, ?2...: ``_HERE_AT``, ``_HERE_KEY``), numbered before those."""
        rows: list[Any] = []
        for chunk in _batches(list(fingerprints)):
            marks = ",".join(f"?{n}" for n in range(len(first) + 1, len(first) + len(chunk) + 1))
            rows += self.conn.execute(query.format(marks), (*first, *chunk)).fetchall()
        return rows


_HERE_AT, _HERE_KEY = "?1", "?2"
"""The parameters of a position in ``_rows_of``'s queries (its ``first`` values)."""


def _batches(items: list[str], size: int = 500) -> Iterator[list[str]]:
    """``items`` in pieces SQLite's limit on variables allows."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
