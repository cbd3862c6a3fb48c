"""One object, several sources: which identity an on-premises object id belongs to.

An email row names an object by its identity (UPN or mail), an event 6941 by its
on-premises object id (the ImmutableId in its connector-space DN) alone, a csexport file and
a Graph scan by both. A problem is found by either key; sources that carry both teach the
ledger the pair, kept per tenant in ``identity_pairs``.

**Canonical key.** An object's problems are keyed by its identity whenever the ledger knows
it, and by its object id only until then. An object id paired with several identities (an
object renamed) belongs to the one of its newest pair: each pair keeps the latest report
time that showed it (``learned_at``), so a pair from an older report read later does not
override a newer one; among pairs of one time, the least identity (case-folded). Whatever
the order the pairs were learned in, the same one. (A tenant known by several names:
``ledger/tenant_names.py``.)

**A pair learned after the object id was seen** (event 6941 read before the csexport file
or the email that names the object): the problem found by the object id alone is *merged*
into the identity's problem, in one transaction: its sightings move over (where both were
seen in the same report, the identity's sighting stays), the identity's problem is folded
again from its whole history, and the object-id problem is *retired*: no history, no
episodes, ``merged_into`` naming the survivor. The order of reading must not decide which
fingerprint the ledger keys the object by, but the ticket stays the first one (design.md
section 9): if a run already made tickets for the object-id problem and the survivor has none,
the survivor takes them over, key and label unchanged (the next run refreshes the summary to
name the identity). Where both already have tickets (each seen by a source the other was
not, in runs before the pair was known), the one made first stays with the survivor and the
other is resolved, with a comment naming the kept one's label (``ticket_plan.
plan_superseded``): a ticket cannot be taken back. An older object-id ticket is traded for
the survivor's newer one (``handover.TicketHandover``), except while a write of either is
unconfirmed: then the survivor's stays, as it did before.
So every order of the same reports ends in the same problems and tickets as the chronological
one, up to the name the first ticket keeps; reading them in several runs may leave such a
resolved ticket more, as an archive read out of order already may.

Mixed into ``Ledger``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import get_args

from pydantic import TypeAdapter

from .. import sqlite
from ..fingerprint import fingerprint, identity_normal, tenant_normal
from ..lifecycle import Coverages, FoldState, Timeline
from ..models import Family
from ..problem import Problem, Sighting
from .handover import TicketHandover

FAMILIES: tuple[Family, ...] = get_args(Family)
RETIRED = TypeAdapter(FoldState).dump_json(FoldState()).decode("utf-8")
"""The state of a problem merged into another: no episodes, nothing tracked."""


class IdentityLedger(TicketHandover):
    """Identity pairs and merges over the ledger's connection (mixed into ``Ledger``)."""

    conn: sqlite3.Connection

    def _refold(
        self, fingerprint: str, timelines: dict[str, tuple[Timeline, Coverages]]
    ) -> FoldState:
        raise NotImplementedError  # pragma: no cover  (StateLedger's)

    def identities(self, tenant: str | None, object_ids: Iterable[str]) -> dict[str, str]:
        """Object id -> the identity it belongs to, for those of ``object_ids`` the ledger
        has a pair for (where it has several: the newest pair's, then the least identity,
        case-folded)."""
        wanted = sorted({o.strip() for o in object_ids if o and o.strip()})
        out: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.conn.execute(
                "SELECT object_id, identity FROM identity_pairs WHERE tenant_key = ? "
                f"AND object_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY object_id, learned_at, identity_key DESC",
                (tenant_normal(tenant), *chunk),
            )
            # The newest, then the least, comes last and wins.
            out.update({str(row[0]): str(row[1]) for row in rows})
        return out

    def learn_identities(
        self, tenant: str | None, pairs: Iterable[tuple[str, str]], at: datetime | None = None
    ) -> int:
        """Remember that each object id is the object its identity names (``pairs``: (object
        id, identity), shown by a report of time ``at``), and merge into the identity's
        problems those found by that object id alone. One transaction. Returns how many
        problems were merged.
        """
        when = "" if at is None else at.astimezone(UTC).isoformat()
        tkey = tenant_normal(tenant)
        fresh = sorted(
            {
                (o.strip(), i.strip(), key)
                for o, i in pairs
                if o and o.strip() and (key := identity_normal(i))
            }
        )
        if not fresh:
            return 0
        with sqlite.transaction(self.conn):
            # Learned and looked up a few hundred pairs at a time: a report of 70,000 rows
            # names as many object ids, and a fingerprint of each in every family, all held
            # at once, took 3x the report's size.
            learned: list[str] = []
            for start in range(0, len(fresh), 500):
                learned += self._learn(tkey, fresh[start : start + 500], when)
            return self._merge_known(tenant, learned, {})

    def _merge_known(
        self,
        tenant: str | None,
        object_ids: Sequence[str],
        timelines: dict[str, tuple[Timeline, Coverages]],
    ) -> int:
        """The problems found by these object ids alone (a first Graph scan teaches
        thousands of pairs and has none of them) merged into their identity's, where the
        ledger knows it. Returns how many were merged."""
        found: dict[str, tuple[Family, str]] = {}
        for start in range(0, len(object_ids), 500):
            candidates = {
                fingerprint(tenant, family, f"object-id:{object_id}"): (family, object_id)
                for object_id in dict.fromkeys(object_ids[start : start + 500])
                for family in FAMILIES
            }
            found.update({fp: candidates[fp] for fp in self._live(list(candidates))})
        if not found:
            return 0
        canonical = self.identities(tenant, {object_id for _f, object_id in found.values()})
        merged = 0
        # In the problems' row order, wherever their pairs were in the report.
        for source in self._live(list(found)):
            family, object_id = found[source]
            if object_id in canonical:
                merged += self._merge(tenant, family, object_id, canonical[object_id], timelines)
        return merged

    def _learn(self, tkey: str, pairs: list[tuple[str, str, str]], when: str) -> list[str]:
        """Remember these pairs (a known one: with the later of its times and ``when``); the
        object ids of those new, in order."""
        # In SQL, through a table of the pairs shown: a daily report shows the same pairs
        # again, and a statement or two a pair (read, then re-dated) was most of what
        # recording them cost.
        self.conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS shown (object_id TEXT NOT NULL, "
            "identity_key TEXT NOT NULL, identity TEXT NOT NULL, "
            "PRIMARY KEY (object_id, identity_key)) WITHOUT ROWID"
        )
        self.conn.execute("DELETE FROM shown")
        # Sorted: the first spelling of a pair (the least) is the one kept.
        self.conn.executemany(
            "INSERT OR IGNORE INTO shown VALUES (?, ?, ?)", ((o, k, i) for o, i, k in pairs)
        )
        self.conn.execute(
            "UPDATE identity_pairs SET learned_at = ?1 WHERE tenant_key = ?2 AND learned_at < ?1 "
            "AND (object_id, identity_key) IN (SELECT object_id, identity_key FROM shown)",
            (when, tkey),
        )
        # The new ones read, then inserted (not INSERT ... RETURNING: SQLite 3.35 has it,
        # and the SQLite a Python 3.11 is built with may be older).
        self.conn.execute(
            "DELETE FROM shown WHERE EXISTS (SELECT 1 FROM identity_pairs p "
            "WHERE p.tenant_key = ? AND p.object_id = shown.object_id "
            "AND p.identity_key = shown.identity_key)",
            (tkey,),
        )
        learned = [str(row[0]) for row in self.conn.execute("SELECT object_id FROM shown")]
        self.conn.execute(
            "INSERT INTO identity_pairs (tenant_key, object_id, identity_key, identity, "
            "learned_at) SELECT ?, object_id, identity_key, identity, ? FROM shown",
            (tkey, when),
        )
        return learned

    def _live(self, fingerprints: list[str]) -> list[str]:
        """Those of ``fingerprints`` that are problems not merged away, in row order."""
        rows: list[tuple[int, str]] = []
        for start in range(0, len(fingerprints), 500):
            chunk = fingerprints[start : start + 500]
            rows += [
                (int(row[0]), str(row[1]))
                for row in self.conn.execute(
                    "SELECT rowid, fingerprint FROM problems WHERE merged_into IS NULL "
                    f"AND fingerprint IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            ]
        return [fp for _rowid, fp in sorted(rows)]

    def merged_into(self, fingerprint: str) -> str | None:
        """The problem a retired one was merged into (None: not merged)."""
        row = self.conn.execute(
            "SELECT merged_into FROM problems WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def merged_away(self, fingerprint: str, keys: Iterable[str], before: int) -> frozenset[str]:
        """Those of ``keys`` that a trade displaced from an episode of ``fingerprint`` below
        ``before``: tickets made for another problem than the one merged into
        ``fingerprint`` that holds them now (each resolved as merged into the one kept)."""
        wanted = sorted(set(keys))
        if not wanted:
            return frozenset()
        # Only such a ticket can be the earlier one a later ticket linked. Another (the
        # retired problem's own, superseded; any at this episode or after) is linked by a
        # person, never by this tool (review rev38: a person's link from the ticket kept to
        # the one merged into it, read back when a lost answer was settled, was deleted).
        rows = self.conn.execute(
            "SELECT t.key FROM tickets t JOIN problems p ON p.fingerprint = t.fingerprint "
            "WHERE p.merged_into = ? AND t.episode < ? "
            "AND substr(t.idempotency_key, 1, length(t.fingerprint) + 1) != t.fingerprint || ':' "
            f"AND t.key IN ({','.join('?' * len(wanted))})",
            (fingerprint, before, *wanted),
        )
        return frozenset(str(row[0]) for row in rows)

    def _merge(
        self,
        tenant: str | None,
        family: Family,
        object_id: str,
        identity: str,
        timelines: dict[str, tuple[Timeline, Coverages]],
    ) -> int:
        """The problem of ``family`` found by ``object_id`` alone, merged into the one of
        ``identity`` (created if need be). 1 if there was one to merge, else 0."""
        source = fingerprint(tenant, family, f"object-id:{object_id}")
        row = self.conn.execute(
            "SELECT rowid, tenant_key, data FROM problems WHERE fingerprint = ? "
            "AND merged_into IS NULL",
            (source,),
        ).fetchone()
        if row is None:
            return 0
        key = f"identity:{identity_normal(identity)}"
        target = fingerprint(tenant, family, key)
        was = Problem.model_validate_json(row[2])
        self._retire_into(
            (int(row[0]), source),
            (
                str(row[1]),
                was.model_copy(
                    update={"fingerprint": target, "identity": identity, "object_key": key}
                ),
            ),
        )
        self._refold(target, timelines)
        return 1

    def _retire_into(self, source: tuple[int, str], target: tuple[str, Problem]) -> None:
        """The problem ``source`` (rowid, fingerprint) merged into ``target`` (tenant key,
        problem; created if need be): its history moves over, its tickets are handed over
        (or left to be superseded), and it is retired. The caller folds the target again."""
        rowid, fp = source
        tkey, problem = target
        self.conn.execute(
            "INSERT OR IGNORE INTO problems (fingerprint, tenant_key, data, dirty) "
            "VALUES (?, ?, ?, 1)",
            (problem.fingerprint, tkey, problem.model_dump_json()),
        )
        into = self.conn.execute(
            "SELECT rowid FROM problems WHERE fingerprint = ?", (problem.fingerprint,)
        ).fetchone()[0]
        # A report that showed the object under both keys keeps the identity's sighting.
        # Through the reports of the two tenants (the source's, the target's: a join), a key
        # look-up each: history is keyed by report, then problem, and a year of a large
        # tenant's is millions of rows, read whole for each problem merged.
        reports = (
            "report IN (SELECT rowid FROM reports WHERE tenant_key IN "
            "(?3, (SELECT tenant_key FROM problems WHERE rowid = ?2)))"
        )
        self.conn.execute(
            f"UPDATE OR IGNORE history SET problem = ?1 WHERE {reports} AND problem = ?2",
            (into, rowid, tkey),
        )
        self.conn.execute(
            f"DELETE FROM history WHERE {reports} AND problem = ?2", (None, rowid, tkey)
        )
        self._move_old_sightings(fp, problem)
        self._hand_over_tickets(fp, problem.fingerprint)
        self.conn.execute(
            "UPDATE problems SET state = ?, status = NULL, first_at = NULL, seen_at = NULL, "
            "seen_key = NULL, horizon_at = NULL, horizon_key = NULL, span_end = '', "
            "core = NULL, holders = NULL, episode = NULL, occurrences = NULL, "
            "last_seen = NULL, merged_into = ?, dirty = 1 WHERE rowid = ?",
            ("", problem.fingerprint, rowid),
        )
        # Those merged into it before now name the survivor too, and are flagged: a ticket
        # closed as merged must name the ticket that stays, not one closed since (a chain:
        # an object id's problem into its identity's, then that spelling joined into another).
        self.conn.execute(
            "UPDATE problems SET merged_into = ?, dirty = 1 WHERE merged_into = ?",
            (problem.fingerprint, fp),
        )
        # Its state is kept apart (``problem_states``, migration 0008-scale): an empty one.
        self.conn.execute(
            "INSERT OR REPLACE INTO problem_states (problem, state) VALUES (?, ?)",
            (rowid, RETIRED),
        )

    def _move_old_sightings(self, source: str, target: Problem) -> None:
        """A problem's sightings kept before the history table (``sightings``, read alongside
        it: migration 0007) move to ``target`` as its history rows do: where ``target`` has
        none for that report."""
        rows = self.conn.execute(
            "SELECT report_key, data FROM sightings WHERE fingerprint = ?", (source,)
        ).fetchall()
        for report_key, data in rows:
            moved = Sighting.model_validate_json(data).model_copy(update={"problem": target})
            self.conn.execute(
                "INSERT OR IGNORE INTO sightings (fingerprint, report_key, data) "
                "SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM history h "
                "JOIN reports r ON r.rowid = h.report JOIN problems p ON p.rowid = h.problem "
                "WHERE r.key = ?2 AND p.fingerprint = ?1)",
                (target.fingerprint, str(report_key), moved.model_dump_json()),
            )
        self.conn.execute("DELETE FROM sightings WHERE fingerprint = ?", (source,))
