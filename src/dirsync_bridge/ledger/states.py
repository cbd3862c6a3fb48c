"""Each problem's lifecycle state, kept in the ledger and moved on one event at a time.

The tickets are a function of a problem's whole history (``lifecycle.fold``); folding that
history again for every open problem at every report costs in proportion to the open
problems times the history. Instead each problem keeps the ``FoldState`` its history has
led to, and a report newer than every other of its tenant moves only what it changes:

- a problem it lists, open and unchanged, is *touched* in SQL (last seen, count), for all
  of them in one statement;
- a problem it lists that is new, changed, or resolved is moved on by ``lifecycle.observe``;
- the open problems it does not list are *absent*, if the report would have listed them
  (``lifecycle.covers``): nothing is written for them. Their count of absences is the number
  of the tenant's reports of that coverage since they were last seen, so the only ones that
  need a step are those whose last sighting is older than the tenant's
  ``resolve_after_reports``-th newest report of that coverage, found by an index;
- a report older than the newest (an archive replayed out of order) folds again, from the
  whole history, only the problems whose span it falls in.

A resolution given outside the reports (a person in the sink, this tool's verification)
later than everything applied to the problem is applied as one more event; otherwise the
problem is folded again. The pure ``decide``/``fold`` stay the only judgement:
``tests/integration/test_incremental.py`` checks that this path ends where a full fold does.
Mixed into ``Ledger``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Final

from pydantic import TypeAdapter

from ..lifecycle import (
    Coverage,
    Coverages,
    Episode,
    FoldState,
    Policy,
    Timeline,
    fold_state,
    observe,
    reopens,
    resolve_outside,
)
from ..problem import Sighting
from .history import details_json, moment, stamp
from .touches import Position, TouchLedger, core_of, holders_of

_STATE: Final = TypeAdapter(FoldState)


class StateLedger(TouchLedger):
    """Lifecycle states over the ledger's connection (mixed into ``Ledger``)."""

    conn: sqlite3.Connection
    rules: Policy | None = None
    """The lifecycle rules of this run (``use_rules``); states move only once they are set."""

    def timeline(self, tenant: str | None) -> list[tuple[datetime, str]]:  # pragma: no cover
        raise NotImplementedError  # the Ledger's

    def coverages(self, tenant: str | None) -> dict[str, Coverage | None]:  # pragma: no cover
        raise NotImplementedError  # the Ledger's

    def sightings(self, fingerprint: str) -> list[Sighting]:  # pragma: no cover
        raise NotImplementedError  # HistoryLedger's

    def resolutions(self, fingerprint: str) -> dict[int, list[tuple[datetime, str]]]:
        raise NotImplementedError  # pragma: no cover  (the Ledger's)

    # -- states ----------------------------------------------------------------------------

    def episodes(self, fingerprint: str) -> list[Episode]:
        """The tickets a problem's history calls for (its state; folded if it has none)."""
        state = self._load(fingerprint)
        if state is None:
            state = self._refold(fingerprint, {})
        return state.episodes

    def _load(self, fingerprint: str) -> FoldState | None:
        state, _seen = self._load_seen(fingerprint)
        return state

    def _load_seen(self, fingerprint: str) -> tuple[FoldState | None, Position | None]:
        """A problem's state (None: none kept yet) and its newest sighting's position."""
        row = self.conn.execute(
            # The state itself is kept apart (``problem_states``): see migration 0008-scale.
            "SELECT s.state, p.episode, p.occurrences, p.last_seen, p.seen_at, p.seen_key "
            "FROM problems p LEFT JOIN problem_states s ON s.problem = p.rowid "
            "WHERE p.fingerprint = ?",
            (fingerprint,),
        ).fetchone()
        if row is None or row[0] is None:
            return None, None
        state = _STATE.validate_json(row[0])
        tracked = state.tracked
        if tracked is not None and row[3] is not None:
            # The counters a touch moves in SQL are kept in columns: they win.
            seen = moment(row[3])
            current = state.episodes[int(row[1])]
            current.occurrences, current.last_seen = int(row[2]), seen
            state.tracked = replace(tracked, last_seen=seen)
        return state, (str(row[4]), str(row[5]))

    def _save_state(self, fingerprint: str, state: FoldState, seen: Position) -> None:
        """Store a state, with the columns the set-based steps read; flag the problem.

        ``seen``: the position of the problem's newest sighting. The ``horizon`` kept is how
        far the history has been applied: an open problem's is its tenant's newest report
        (NULL here); a resolved one's is its resolution (as late as any report of that time,
        to be safe), or its newest sighting if later.
        """
        tracked = state.tracked
        if tracked is None:
            return
        current = state.episodes[tracked.episode]
        details = details_json(tracked.details)
        horizon: Position | None = None
        span_end: str | None = None
        if tracked.status == "resolved" and tracked.resolved_at is not None:
            span_end = stamp(tracked.resolved_at)
            horizon = max(seen, (span_end, "~"))
        self.conn.execute(
            "UPDATE problems SET state = '', status = ?, first_at = ?, seen_at = ?, seen_key = ?, "
            "horizon_at = ?, horizon_key = ?, span_end = ?, core = ?, holders = ?, "
            "episode = ?, occurrences = ?, last_seen = ?, quarantined = ?, dirty = 1 "
            "WHERE fingerprint = ?",
            (
                tracked.status,
                stamp(state.episodes[0].first_seen or tracked.last_seen),
                seen[0],
                seen[1],
                horizon[0] if horizon else None,
                horizon[1] if horizon else None,
                span_end,
                core_of(details),
                holders_of(details),
                tracked.episode,
                current.occurrences,
                stamp(tracked.last_seen),
                int(tracked.details.quarantined),
                fingerprint,
            ),
        )
        self.conn.execute(
            "INSERT INTO problem_states (problem, state) "
            "SELECT rowid, ? FROM problems WHERE fingerprint = ? "
            "ON CONFLICT (problem) DO UPDATE SET state = excluded.state",
            (_STATE.dump_json(state).decode("utf-8"), fingerprint),
        )

    def _refold(
        self, fingerprint: str, timelines: dict[str, tuple[Timeline, Coverages]]
    ) -> FoldState:
        """Fold a problem's whole history again, and keep the result (its state)."""
        assert self.rules is not None, "use_rules() first"
        row = self.conn.execute(
            "SELECT tenant_key, data FROM problems WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        tenant = json.loads(row[1]).get("tenant")
        if row[0] not in timelines:
            timelines[row[0]] = (self.timeline(tenant), self.coverages(tenant))
        timeline, coverage = timelines[row[0]]
        seen = self.sightings(fingerprint)
        if not seen:  # merged into another problem (ledger/identities.py): nothing of its own
            return FoldState()
        resolutions = self.resolutions(fingerprint)
        state = fold_state(seen, timeline, self.rules, resolutions, coverage)
        position = {key: (stamp(at), key) for at, key in timeline}
        newest = max(position[s.report_key] for s in seen if s.report_key in position)
        if state.tracked is not None:
            # A person's reopening of the ticket tracked: absences count from there on.
            reopened = [
                (stamp(at), "")
                for at, name in resolutions.get(state.tracked.episode, ())
                if reopens(name)
            ]
            newest = max([newest, *reopened])
        self._save_state(fingerprint, state, newest)
        latest = max((at for events in resolutions.values() for at, _name in events), default=None)
        if latest is not None:
            self._bump_horizon(fingerprint, stamp(latest))
        return state

    def _bump_horizon(self, fingerprint: str, at: str) -> None:
        """A resolution at ``at``, applied or not, is part of the problem's history: a report
        older than it, even the tenant's newest, must fold again (the fold would apply the
        resolution after that report), so the history counts as applied up to it."""
        self.conn.execute(
            # (No horizon kept: it is the tenant's newest report, maybe later already.)
            "UPDATE problems SET horizon_at = ?1, horizon_key = '~' WHERE fingerprint = ?2 "
            "AND (horizon_at < ?1 OR (horizon_at IS NULL AND ?1 >= (SELECT MAX(r.at) "
            "FROM reports r WHERE r.tenant_key = problems.tenant_key)))",
            (at, fingerprint),
        )

    # -- a report ----------------------------------------------------------------------------

    def _apply_listed(
        self,
        at: datetime,
        key: str,
        listed: Sequence[tuple[str, Sighting, str]],
        newest: bool,
        coverage: Coverage | None,
        fresh: Iterable[str],
        timelines: dict[str, tuple[Timeline, Coverages]],
    ) -> None:
        """Move the states of problems a report lists (inside the transaction that records
        it), some of them at a time; ``_apply_absent`` follows, once all are moved.

        ``listed``: (fingerprint, sighting, its details' JSON) of problems in it, each once
        in the report; ``newest``: the report sorts after every other of its tenant;
        ``coverage``: the problems it would have listed (None: it vouches for none);
        ``fresh``: the listed problems seen for the first time (their state starts empty:
        no fold needed).
        """
        fresh = set(fresh)
        assert self.rules is not None, "use_rules() first"
        here: Position = (stamp(at), key)
        if not newest:
            # An archive slotted into the past: each problem it lists may tell another story
            # now (as may every problem whose span it falls in: ``_apply_absent``).
            for fingerprint, _s, _d in listed:
                self._refold(fingerprint, timelines)
            return
        known = {
            str(row[0]): row[1:]
            for row in self._rows_of(
                "SELECT fingerprint, state IS NOT NULL, status, span_end IS NULL, core, holders, "
                "horizon_at, horizon_key, rowid FROM problems WHERE fingerprint IN ({})",
                [fp for fp, _s, _d in listed],
            )
        }
        touched: list[int] = []
        for fingerprint, sighting, details in listed:
            row = known.get(fingerprint)
            if row is None or fingerprint in fresh:
                state = FoldState()  # seen for the first time
            elif not row[0] or (row[5] is not None and (row[5], row[6] or "") > here):
                self._refold(fingerprint, timelines)  # no state yet, or history past this
                continue
            elif (
                row[1] == "open"
                and row[3] == core_of(details)
                and (holders_of(details) in ("null", row[4]))
            ):
                touched.append(row[7])  # seen again, unchanged: counters only
                continue
            else:
                loaded, _seen = self._load_seen(fingerprint)
                assert loaded is not None
                state = loaded
            observe(state, at, sighting, self.rules, coverage)
            self._save_state(fingerprint, state, here)
        self._touch(touched, here)

    def _apply_absent(
        self,
        tenant_key: str,
        at: datetime,
        key: str,
        listed: set[str],
        newest: bool,
        coverage: Coverage | None,
        timelines: dict[str, tuple[Timeline, Coverages]],
    ) -> None:
        """Move the states of the problems a report does not list (``listed``: those it
        does, already moved by ``_apply_listed``)."""
        here: Position = (stamp(at), key)
        if not newest:
            # Every problem whose span the archive falls in: an absence more, a sighting
            # between two tickets.
            alive = self.conn.execute(
                "SELECT fingerprint FROM problems WHERE tenant_key = ? AND state IS NOT NULL "
                "AND first_at <= ? AND (span_end IS NULL OR span_end >= ?)",
                (tenant_key, here[0], here[0]),
            )
            for (fingerprint,) in alive.fetchall():
                if fingerprint not in listed:
                    self._refold(str(fingerprint), timelines)
            return
        # A problem given a resolution outside the reports later than this report (a person,
        # today; the report, an archive newer than the others but older than that) took this
        # absence before that resolution: its history reads otherwise now. Folded again, not
        # stepped.
        later = {
            str(row[0])
            for row in self.conn.execute(
                "SELECT fingerprint FROM problems WHERE tenant_key = ?1 AND state IS NOT NULL "
                "AND (horizon_at > ?2 OR (horizon_at = ?2 AND horizon_key > ?3)) "
                "AND first_at <= ?2",
                (tenant_key, *here),
            )
        }
        moved = set()
        if coverage is not None:
            moved = self._absences(tenant_key, here, listed | later, coverage)
        for fingerprint in sorted(later - listed - moved):  # (the others are up to date)
            self._refold(fingerprint, timelines)

    def _absences(
        self, tenant_key: str, here: Position, listed: set[str], coverage: Coverage
    ) -> set[str]:
        """The open problems absent from enough of the tenant's reports of this coverage
        (those that would have listed them): resolved now.

        Nothing is written for the others: a problem's count of absences is the number of
        the tenant's reports of its coverage since it was last seen. Returns those moved."""
        assert self.rules is not None
        wanted = self.rules.resolve_after_reports
        cutoff = self.conn.execute(
            "SELECT at, key FROM reports WHERE tenant_key = ? AND covers = ? "
            "ORDER BY at DESC, key DESC LIMIT 1 OFFSET ?",
            (tenant_key, coverage, wanted - 1),
        ).fetchone()
        if cutoff is None:
            return set()
        due = self.conn.execute(
            "SELECT fingerprint, seen_at, seen_key FROM problems WHERE tenant_key = ?1 "
            "AND span_end IS NULL AND state IS NOT NULL AND quarantined = ?4 "
            "AND (seen_at < ?2 OR (seen_at = ?2 AND seen_key < ?3))",
            (tenant_key, cutoff[0], cutoff[1], int(coverage == "quarantined")),
        ).fetchall()
        at = moment(here[0])
        moved: set[str] = set()
        for fingerprint, seen_at, seen_key in due:
            if fingerprint in listed:
                continue
            moved.add(str(fingerprint))
            state, seen = self._load_seen(str(fingerprint))
            assert state is not None and state.tracked is not None and seen is not None
            since = self.conn.execute(
                "SELECT COUNT(*) FROM reports WHERE tenant_key = ?1 AND covers = ?6 "
                "AND (at > ?2 OR (at = ?2 AND key > ?3)) AND (at < ?4 OR (at = ?4 AND key < ?5))",
                (tenant_key, seen_at, seen_key, *here, coverage),
            ).fetchone()[0]
            state.tracked = replace(state.tracked, absent=int(since))
            observe(state, at, None, self.rules, coverage)
            self._save_state(str(fingerprint), state, seen)
        return moved

    # -- a resolution given outside the reports ----------------------------------------------

    def _apply_resolution(self, fingerprint: str, episode: int, at: datetime, name: str) -> None:
        """One more event if it is later than everything applied, else a fold again."""
        row = self.conn.execute(
            "SELECT p.state IS NOT NULL, p.horizon_at, p.horizon_key, "
            "(SELECT MAX(at || char(0) || key) FROM reports r WHERE r.tenant_key = p.tenant_key) "
            "FROM problems p WHERE p.fingerprint = ?",
            (fingerprint,),
        ).fetchone()
        if row is None:
            return
        when: Position = (stamp(at), "")
        newest_at, _, newest_key = str(row[3] or "").partition("\0")
        horizon: Position = (newest_at, newest_key)
        if row[1] is not None:
            # A resolved problem took every later report as "still absent"; a reopening
            # makes the reports after it count again, so it must come after all of them.
            kept: Position = (str(row[1]), str(row[2]))
            horizon = max(kept, horizon) if reopens(name) else kept
        if not row[0] or when <= horizon:
            self._refold(fingerprint, {})
            return
        state, seen = self._load_seen(fingerprint)
        assert state is not None and seen is not None
        if resolve_outside(state, episode, at, name) and reopens(name):
            seen = max(seen, when)  # its absences are counted from the reopening on
        self._save_state(fingerprint, state, seen)
        self._bump_horizon(fingerprint, when[0])

    # -- helpers -----------------------------------------------------------------------------
