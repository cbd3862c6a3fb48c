"""The state ledger (SQLite): messages seen, reports per tenant, problems, tickets, intents.

The ledger is the tool's memory between runs and its guard against crashes:
- a message is recorded ``pending`` with its report and sightings in one transaction, and
  marked ``processed`` only once every ticket action it caused is done;
- problems whose tickets may need to change are flagged ``dirty`` in that same transaction,
  and the flag is cleared only after their tickets are brought up to date;
- every write to a sink is preceded by an *intent* row and followed by the record of what
  was written; an intent still present at start-up means a crash came in between, and the
  sink is asked what it really holds before anything else is written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .. import sqlite
from ..fingerprint import tenant_normal
from ..lifecycle import REOPENED, Coverage, Coverages, Timeline
from ..ports import TicketFacts, TicketStatus
from ..problem import Problem, Sighting
from ..problem_rows import CHUNK, Listed
from .history import HistoryLedger, details_json, moment, stamp
from .identities import IdentityLedger
from .intents import IntentLedger
from .joining import TenantJoinLedger
from .listing import ListingLedger
from .mailbox import MailboxLedger
from .naming import NamingLedger
from .pairing import StoreLedger
from .reverify import ReverifyLedger
from .rules import RulesLedger
from .schema import MIGRATIONS
from .states import StateLedger
from .tenant_names import TenantNameLedger
from .tickets import TicketLedger

_COVERAGE: dict[object, Coverage] = {"unquarantined": "unquarantined", "quarantined": "quarantined"}
"""A stored coverage read back as the type (NULL, or anything else: none)."""


def tenant_key(tenant: str | None) -> str:
    """Reports are counted per tenant, named as fingerprints name it ("" when unnamed)."""
    return tenant_normal(tenant)


def _listed(items: Iterable[Sighting | Listed], size: int) -> Iterator[Listed]:
    """Chunks of problems: ``Listed`` ones as they come, sightings made ``size`` at a time."""
    made: list[Sighting] = []
    for item in items:
        if isinstance(item, Sighting):
            made.append(item)
            if len(made) < size:
                continue
            item, made = Listed.made(made), []
        elif made:
            yield Listed.made(made)
            made = []
        yield item
    if made:
        yield Listed.made(made)


def _now() -> str:
    return _time(datetime.now(UTC))


def _time(value: datetime) -> str:
    # Fixed width, UTC: sorts as text in time order.
    return stamp(value)


def _parse_time(value: str) -> datetime:
    return moment(value)


class Ledger(
    HistoryLedger,
    StateLedger,
    ReverifyLedger,
    RulesLedger,
    IdentityLedger,
    TenantNameLedger,
    TenantJoinLedger,
    MailboxLedger,
    NamingLedger,
    StoreLedger,
    ListingLedger,
    TicketLedger,
    IntentLedger,
):
    """The state ledger over one SQLite connection."""

    def __init__(self, conn: sqlite3.Connection, *, writable: bool = False) -> None:
        self.conn = conn
        self.writable = writable
        """A file opened to write: its log is emptied when it is closed."""

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """Open (creating and migrating if needed) the ledger at ``path``."""
        return cls(sqlite.connect(path, MIGRATIONS, sqlite.LEDGER), writable=True)

    @classmethod
    def open_readonly(cls, path: Path) -> Ledger:
        """Open the existing ledger at ``path`` to read it only (``tickets``)."""
        return cls(sqlite.connect_readonly(path, MIGRATIONS, sqlite.LEDGER))

    @classmethod
    def open_copy(cls, path: Path) -> Ledger:
        """An in-memory copy of the ledger at ``path`` (empty if none): for dry runs."""
        return cls(sqlite.memory_copy(path, MIGRATIONS, sqlite.LEDGER))

    @property
    def path(self) -> str:
        """The ledger's file, for messages."""
        return str(getattr(self.conn, "path", ":memory:"))

    @contextmanager
    def grouped(self) -> Iterator[None]:
        """The ledger writes made inside commit as one transaction (``sqlite.grouped``);
        the local store's writes recorded as done in it are counted once, as it ends."""
        with sqlite.grouped(self.conn), self.counting_store_writes():
            yield

    def close(self) -> None:
        """Empty the log into the file (a ledger opened to write), and close the connection."""
        if self.writable:
            sqlite.checkpoint(self.conn)
        self.conn.close()

    # -- messages ------------------------------------------------------------------------

    def message_status(self, key: str) -> str | None:
        """``pending``, ``processed``, ``rejected``, or None if never seen."""
        row = self.conn.execute("SELECT status FROM messages WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def filed_under(self, message_key: str, tenant_key: str) -> bool:
        """Whether the message ``message_key`` gave a report of the tenant ``tenant_key``
        (an export file read before its key named its tenant)."""
        row = self.conn.execute(
            "SELECT 1 FROM messages m JOIN reports r ON r.key = m.report_key "
            "WHERE m.key = ? AND m.status != 'rejected' AND r.tenant_key = ?",
            (message_key, tenant_key),
        ).fetchone()
        return row is not None

    def record_rejected(self, key: str, source: str, reason: str) -> None:
        """A message that makes no ticket, with the reason (a rejection is final); not yet
        named (``NamingLedger``)."""
        with sqlite.transaction(self.conn):
            self.conn.execute(
                "INSERT OR REPLACE INTO messages (key, source, status, reason, recorded_at, "
                "named) VALUES (?, ?, 'rejected', ?, ?, 0)",
                (key, source, reason, _now()),
            )

    def record_report(
        self,
        message_key: str,
        report_key: str,
        tenant: str | None,
        at: datetime,
        source: str,
        sightings: Iterable[Sighting | Listed],
        subject: str | None = None,
        coverage: Coverage | None = "unquarantined",
        listing: str | None = None,
    ) -> bool:
        """Record a parsed report and its sightings, and move the lifecycle states it
        changes (``StateLedger``), flagging the problems whose tickets may change.

        All in one transaction, with the message as ``pending``. Returns False when the
        report was already known (the same report reached us in another message).
        ``sightings``: made, or ``Listed`` problems, whose sightings are made only when
        their rows differ from those their last sighting was made of. ``listing``: the
        digest of an email's rows (``problem_rows.listing_digest``): the same as the
        tenant's newest report's, its problems may be recorded without being read at all
        (``TouchLedger._listed_as_before``).
        """
        tkey = tenant_key(tenant)
        stamp = _time(at)
        with sqlite.transaction(self.conn):
            self.conn.execute(
                "INSERT OR REPLACE INTO messages (key, source, status, report_key, recorded_at) "
                "VALUES (?, ?, 'pending', ?, ?)",
                (message_key, source, report_key, _now()),
            )
            if self.conn.execute("SELECT 1 FROM reports WHERE key = ?", (report_key,)).fetchone():
                return False
            latest = self.conn.execute(
                "SELECT at, key, rowid, listing FROM reports WHERE tenant_key = ? "
                "ORDER BY at DESC, key DESC LIMIT 1",
                (tkey,),
            ).fetchone()
            report = self.conn.execute(
                "INSERT INTO reports (key, tenant_key, tenant, at, source, subject, covers, "
                "listing) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (report_key, tkey, tenant, stamp, source, subject, coverage, listing),
            ).lastrowid
            assert report is not None
            newest = latest is None or (stamp, report_key) > (str(latest[0]), str(latest[1]))
            timelines: dict[str, tuple[Timeline, Coverages]] = {}
            here = (stamp, report_key)
            # (Whatever the coverage: it tells what an absence means, and a problem listed
            # unchanged is only touched, whatever the report vouches for.)
            as_before = (
                newest and listing is not None and latest is not None and latest[3] == listing
            )
            listed = (
                self._listed_as_before(tkey, int(latest[2]), report, here) if as_before else None
            )
            if listed is not None:
                self._apply_absent(tkey, at, report_key, listed, newest, coverage, timelines)
                return True
            listed = set()
            # A chunk of problems at a time, all in this one transaction: a large report's
            # sightings are made as they are recorded (``problem_rows``), never all held,
            # and only those whose rows changed since they were last made.
            for chunk in _listed(sightings, CHUNK):
                same = self._unchanged(chunk.digests, here) if newest else {}
                wanted = [fp for fp in chunk.digests if fp not in same]
                made = chunk.make(wanted) if wanted else []
                assert {s.problem.fingerprint for s in made} == set(wanted), "made as asked"
                found = [(s.problem.fingerprint, s, details_json(s.details)) for s in made]
                ids, fresh = self._problem_ids(tkey, made)
                written = self._write_history(report, ((ids[fp], s, d) for fp, s, d in found))
                self._keep_made(written, found, ids, chunk.digests)
                self._apply_listed(at, report_key, found, newest, coverage, fresh, timelines)
                self._touch_unchanged(report, same, here)
                listed.update(chunk.digests)
            self._apply_absent(tkey, at, report_key, listed, newest, coverage, timelines)
        return True

    def _problem_ids(self, tkey: str, found: list[Sighting]) -> tuple[dict[str, int], set[str]]:
        """The row id of each problem, inserting those seen for the first time (named too:
        their history is this sighting alone, so nothing needs folding again)."""
        fingerprints = [s.problem.fingerprint for s in found]
        ids = {
            str(fp): int(rowid)
            for fp, rowid in self._rows_of(
                "SELECT fingerprint, rowid FROM problems WHERE fingerprint IN ({})", fingerprints
            )
        }
        new = [s.problem for s in found if s.problem.fingerprint not in ids]
        if new:
            self.conn.executemany(
                "INSERT OR IGNORE INTO problems (fingerprint, tenant_key, data, dirty) "
                "VALUES (?, ?, ?, 1)",
                [(p.fingerprint, tkey, p.model_dump_json()) for p in new],
            )
            ids.update(
                {
                    str(fp): int(rowid)
                    for fp, rowid in self._rows_of(
                        "SELECT fingerprint, rowid FROM problems WHERE fingerprint IN ({})",
                        [p.fingerprint for p in new],
                    )
                }
            )
        return ids, {p.fingerprint for p in new}

    def mark_processed(self) -> int:
        """Every pending message whose ticket writes are all settled is done.

        A message one of whose problems still has a write with an unknown outcome (an
        intent) stays pending until a later run settles it.
        """
        with sqlite.transaction(self.conn):
            cursor = self.conn.execute(
                # Driven by the intents (almost always none), through the sightings' key.
                "UPDATE messages SET status = 'processed' WHERE status = 'pending' "
                "AND (report_key IS NULL OR report_key NOT IN (SELECT r.key FROM intents i "
                "JOIN problems p ON p.fingerprint = i.fingerprint "
                "CROSS JOIN reports r ON r.tenant_key = p.tenant_key "
                "CROSS JOIN history h ON h.report = r.rowid AND h.problem = p.rowid "
                "UNION SELECT s.report_key FROM intents i "
                "JOIN sightings s ON s.fingerprint = i.fingerprint))"
            )
        return cursor.rowcount

    # -- problems --------------------------------------------------------------------------

    def dirty(self) -> list[str]:
        """Fingerprints of the problems whose tickets may need to change."""
        rows = self.conn.execute("SELECT fingerprint FROM problems WHERE dirty = 1 ORDER BY rowid")
        return [str(row[0]) for row in rows]

    def mark_dirty(self, fingerprint: str) -> None:
        """Flag one problem for reconciliation (after settling a crashed write)."""
        with sqlite.transaction(self.conn):
            self.conn.execute("UPDATE problems SET dirty = 1 WHERE fingerprint = ?", (fingerprint,))

    def problem(self, fingerprint: str) -> Problem:
        """The problem with this fingerprint."""
        row = self.conn.execute(
            "SELECT data FROM problems WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        return Problem.model_validate_json(row[0])

    def timeline(self, tenant: str | None) -> list[tuple[datetime, str]]:
        """The tenant's reports in report-time order (ties broken by report key)."""
        rows = self.conn.execute(
            "SELECT at, key FROM reports WHERE tenant_key = ? ORDER BY at, key",
            (tenant_key(tenant),),
        )
        return [(_parse_time(row[0]), str(row[1])) for row in rows]

    def coverages(self, tenant: str | None) -> dict[str, Coverage | None]:
        """The coverage of each of the tenant's reports (``lifecycle.Coverage``), by key."""
        rows = self.conn.execute(
            "SELECT key, covers FROM reports WHERE tenant_key = ?", (tenant_key(tenant),)
        )
        return {str(row[0]): _COVERAGE.get(row[1]) for row in rows}

    def finish_problem(
        self, fingerprint: str, status: TicketStatus | None, facts: dict[int, TicketFacts]
    ) -> None:
        """The problem's tickets are up to date: keep their facts, clear the flag."""
        with sqlite.transaction(self.conn):
            for episode, episode_facts in facts.items():
                self._save_facts(fingerprint, episode, episode_facts)
            self.conn.execute(
                "UPDATE problems SET dirty = 0, status = ? WHERE fingerprint = ?",
                (status, fingerprint),
            )

    # -- tickets and resolutions ---------------------------------------------------------

    def open_problems(self) -> list[str]:
        """Fingerprints of the problems open in their lifecycle."""
        rows = self.conn.execute("SELECT fingerprint FROM problems WHERE status = 'open'")
        return [row[0] for row in rows]

    def record_resolution(
        self, fingerprint: str, episode: int, name: str, at: datetime, *, in_sink: bool = True
    ) -> None:
        """A ticket was resolved outside the reports (or reopened: ``REOPENED``): keep it,
        and reconcile the problem.

        ``in_sink``: a person did it in the sink (so the ticket is resolved there already);
        False for this tool's own verification, which the reconcile then writes.
        """
        with sqlite.transaction(self.conn):
            self.conn.execute(
                "INSERT OR IGNORE INTO resolutions (fingerprint, episode, at, name) "
                "VALUES (?, ?, ?, ?)",
                (fingerprint, episode, _time(at), name),
            )
            if in_sink:
                self.conn.execute(
                    "UPDATE tickets SET status = ? WHERE fingerprint = ? AND episode = ?",
                    ("open" if name == REOPENED else "resolved", fingerprint, episode),
                )
            self._apply_resolution(fingerprint, episode, at, name)
            self.conn.execute("UPDATE problems SET dirty = 1 WHERE fingerprint = ?", (fingerprint,))

    def resolutions(self, fingerprint: str) -> dict[int, list[tuple[datetime, str]]]:
        """Episode -> the resolutions given to its ticket in the sink, oldest first."""
        out: dict[int, list[tuple[datetime, str]]] = {}
        rows = self.conn.execute(
            "SELECT episode, at, name FROM resolutions WHERE fingerprint = ? ORDER BY at",
            (fingerprint,),
        )
        for row in rows:
            out.setdefault(int(row["episode"]), []).append((_parse_time(row["at"]), row["name"]))
        return out
