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

    def _unchanged(self, digests: Mapping[str, str | None], here: Position) -> dict[str, int]:
        """The problems of a report (the tenant's newest) listed in the rows their last
        sighting was made of, which ``_apply_listed`` would only touch: open, applied up to
        here, and that sighting's details (the same now) change nothing in their state. By
        fingerprint: their row ids."""
        kept = {fp: digest for fp, digest in digests.items() if digest is not None}
        if not kept:
            return {}
        rows = self._rows_of(
            "SELECT fingerprint, rows_digest, rowid FROM problems WHERE fingerprint IN ({}) "
            f"AND {_AS_MADE}",
            kept,
            here,
        )
        return {str(fp): int(rowid) for fp, digest, rowid in rows if kept[fp] == digest}

    def _listed_as_before(
        self, tkey: str, previous: int, report: int, here: Position
    ) -> set[str] | None:
        """The problems of a report listed in the very rows of ``previous`` (the tenant's
        newest until now, its ``listing_digest`` the same), all recorded as ``_unchanged``
        ones are, without their rows being read: that report's problems, each in the rows
        its last sighting was made of. Returns them (fingerprints), or None, nothing done,
        where that cannot be vouched for:

        - a report of the tenant was recorded after ``previous`` (an archive): it kept the
          digests of its own rows (``_keep_made``). Reports are never deleted, so the order
          of their row ids is the order they were recorded in;
        - one of its problems would not be only touched (``_unchanged``): resolved since, by
          a person or by absence, folded again, merged away;
        - one of its problems keeps the digest of other rows than ``previous``'s
          (``listed_in``): ``previous`` was filed under another spelling of the tenant, and
          its sightings moved, when an alias joined the two, onto problems whose kept
          sightings are the established spelling's (``ledger/joining.py``).
        """
        last = self.conn.execute(
            "SELECT MAX(rowid) FROM reports WHERE tenant_key = ? AND rowid != ?", (tkey, report)
        ).fetchone()
        if last is None or last[0] != previous:
            return None
        moved = self.conn.execute(
            "SELECT 1 FROM history h JOIN problems p ON p.rowid = h.problem "
            f"WHERE h.report = ?3 AND ({_AS_MADE} AND listed_in = ?3) IS NOT 1 LIMIT 1",
            (*here, previous),
        ).fetchone()
        if moved is not None:
            return None
        self._touched_by("SELECT problem FROM history WHERE report = ?", (previous,))
        listed = {
            str(row[0])
            for row in self.conn.execute(
                "SELECT p.fingerprint FROM touched x JOIN problems p ON p.rowid = x.problem"
            )
        }
        self._copy_touched(report)
        self._touch_them(here, report)
        return listed

    def _keep_made(
        self,
        written: Sequence[tuple[int, int, int, int]],
        found: Sequence[tuple[str, Sighting, str]],
        ids: Mapping[str, int],
        digests: Mapping[str, str | None],
    ) -> None:
        """Keep, with each problem whose sighting was made from rows with a digest, what it
        was made into, and the report it was made for (``_unchanged``, ``_touch_unchanged``,
        ``_listed_as_before``)."""
        history = {problem: (report, details, texts) for problem, report, details, texts in written}
        kept = [
            (digest, core_of(text), holders_of(text), *history[ids[fp]], ids[fp])
            for fp, _s, text in found
            if (digest := digests.get(fp)) is not None
        ]
        self.conn.executemany(
            "UPDATE problems SET rows_digest = ?, last_core = ?, last_holders = ?, "
            "listed_in = ?, last_details = ?, last_texts = ? WHERE rowid = ?",
            kept,
        )

    def _touch_unchanged(self, report: int, same: Mapping[str, int], here: Position) -> None:
        """The problems listed as their last sighting was made (``_unchanged``: fingerprint,
        row id): that sighting is this report's too (its history row names the same details
        and texts), and they are touched."""
        if same:
            self._touched(same.values())
            self._copy_touched(report)
            self._touch_them(here, report)

    def _copy_touched(self, report: int) -> None:
        """The touched problems' last sightings, this report's too."""
        self.conn.execute(
            "INSERT OR IGNORE INTO history (problem, report, details, texts) "
            "SELECT x.problem, ?, p.last_details, p.last_texts FROM touched x "
            "JOIN problems p ON p.rowid = x.problem",
            (report,),
        )

    def _touch(self, problems: Sequence[int], here: Position) -> None:
        """Open problems seen again unchanged (their row ids): last seen and count, in SQL,
        all at once."""
        if problems:
            self._touched(problems)
            self._touch_them(here)

    def _touched(self, problems: Iterable[int]) -> None:
        """The problems (row ids) the next touch is for, in a table of their own: the
        statements that follow join it by row id, in row order (by fingerprint, a chunk's
        problems were read from all over the table, and took 3x as long)."""
        self._touched_by()
        self.conn.executemany("INSERT OR IGNORE INTO touched VALUES (?)", ((p,) for p in problems))

    def _touched_by(self, query: str | None = None, parameters: Sequence[object] = ()) -> None:
        """``touched`` emptied, then filled with the row ids ``query`` selects, if any."""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched (problem INTEGER PRIMARY KEY)")
        self.conn.execute("DELETE FROM touched")
        if query is not None:
            self.conn.execute(f"INSERT OR IGNORE INTO touched {query}", parameters)

    def _touch_them(self, here: Position, listed_in: int | None = None) -> None:
        """The problems in ``touched`` and their current tickets: last seen and count; and
        ``listed_in``, if given: the report their kept sighting was found in again, its
        rows the same (``_listed_as_before``)."""
        self.conn.execute(
            # By the tickets' key, from the touched problems: not a scan of every ticket.
            "UPDATE tickets SET last_seen = ?, occurrences = occurrences + 1 "
            "WHERE rowid IN (SELECT t.rowid FROM touched x JOIN problems p ON p.rowid = x.problem "
            "JOIN tickets t ON t.fingerprint = p.fingerprint AND t.episode = p.episode)",
            (here[0],),
        )
        self.conn.execute(
            "UPDATE problems SET seen_at = ?1, seen_key = ?2, last_seen = ?1, "
            "occurrences = occurrences + 1, "
            "span_end = CASE WHEN span_end IS NULL THEN NULL ELSE ?1 END, "
            "horizon_at = CASE WHEN span_end IS NULL THEN NULL ELSE ?1 END, "
            "horizon_key = CASE WHEN span_end IS NULL THEN NULL ELSE ?2 END, "
            "listed_in = COALESCE(?3, listed_in) "
            "WHERE rowid IN (SELECT problem FROM touched)",
            (*here, listed_in),
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

_AS_MADE = (
    "rows_digest IS NOT NULL AND state IS NOT NULL AND status = 'open' "
    "AND core = last_core AND (last_holders = 'null' OR last_holders = holders) "
    f"AND (horizon_at IS NULL OR horizon_at < {_HERE_AT} "
    f"OR (horizon_at = {_HERE_AT} AND COALESCE(horizon_key, '') <= {_HERE_KEY}))"
)
"""A problem listed in the rows its last sighting was made of is only touched: it is open,
applied up to here (``_HERE_AT``, ``_HERE_KEY``), and that sighting changes nothing in its
state (its core is its state's, its holders are its state's or were not looked up)."""


def _batches(items: list[str], size: int = 500) -> Iterator[list[str]]:
    """``items`` in pieces SQLite's limit on variables allows."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
