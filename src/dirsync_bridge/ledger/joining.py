"""One tenant under several spellings: joining them once an alias (or a rename) says so.

Before ``[tenants] aliases`` named "Contoso Ltd." as another name of "Contoso", the emails
(which say "Contoso Ltd.") and the exports (filed under the default "Contoso") were two
tenants to the ledger: each spelling had its own reports, problems and tickets. Once the
alias is known, later reports are filed under the spelling the tenant was first known by
(``TenantNameLedger.established_tenant``); left there, the other spelling's problems would
never see another report, so would never resolve: open forever.

So the first report of a tenant with several spellings *joins* them (``join_tenant``), in
one transaction: the other spellings' reports are filed under the established one (the
tenant's timeline is then every report of every spelling, as if the alias had always been
there), their identity pairs are copied to it (the later time of a pair known under both),
and each of their problems is merged into the established spelling's problem of the same
family and object (``IdentityLedger._retire_into``: the way a problem found by an object id
alone is merged into its identity's). The survivor's fingerprint stays, and the first ticket
(design.md section 9): a retired problem's tickets are handed over where the survivor has
none; where both have, the one made first stays with the survivor and the other is resolved,
superseded, naming it (``TicketHandover._keep_the_first``). The survivors are
folded again over the joined timeline. A tenant already joined has no report under another
spelling: the check is one index look-up, and nothing more happens.

Mixed into ``Ledger``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence

from .. import sqlite
from ..fingerprint import fingerprint, identity_normal, tenant_normal
from ..lifecycle import Coverages, FoldState, Timeline
from ..problem import Problem

log = logging.getLogger(__name__)


class TenantJoinLedger:
    """Joins the spellings of a tenant (mixed into ``Ledger``, after ``IdentityLedger`` and
    ``TenantNameLedger``)."""

    conn: sqlite3.Connection

    def established_tenant(self, names: Iterable[str]) -> str | None:
        raise NotImplementedError  # pragma: no cover  (TenantNameLedger's)

    def identities(self, tenant: str | None, object_ids: Iterable[str]) -> dict[str, str]:
        raise NotImplementedError  # pragma: no cover  (IdentityLedger's)

    def _retire_into(self, source: tuple[int, str], target: tuple[str, Problem]) -> None:
        raise NotImplementedError  # pragma: no cover  (IdentityLedger's)

    def merged_into(self, fingerprint: str) -> str | None:
        raise NotImplementedError  # pragma: no cover  (IdentityLedger's)

    def _merge_known(
        self,
        tenant: str | None,
        object_ids: Sequence[str],
        timelines: dict[str, tuple[Timeline, Coverages]],
    ) -> int:
        raise NotImplementedError  # pragma: no cover  (IdentityLedger's)

    def _refold(
        self, fingerprint: str, timelines: dict[str, tuple[Timeline, Coverages]]
    ) -> FoldState:
        raise NotImplementedError  # pragma: no cover  (StateLedger's)

    def join_tenant(self, names: Iterable[str]) -> str | None:
        """Of the spellings ``names`` of one tenant, the one its reports were first filed
        under (None: the ledger has none); what was filed under the others is joined into
        it first. Returns the established spelling."""
        spellings = list(names)
        known = self.established_tenant(spellings)
        if known is None:
            return None
        keep = tenant_normal(known)
        others = sorted({tenant_normal(n) for n in spellings} - {"", keep})
        if not others or not self._filed(others):
            return known
        with sqlite.transaction(self.conn):
            joined = self._join(known, keep, others)
        log.info("tenant %s: %d problem(s) of its other spellings joined", known, joined)
        return known

    def _filed(self, keys: list[str]) -> bool:
        """Whether any report is filed under one of these tenant keys."""
        marks = ",".join("?" * len(keys))
        query = f"SELECT 1 FROM reports WHERE tenant_key IN ({marks}) LIMIT 1"
        return self.conn.execute(query, keys).fetchone() is not None

    def _join(self, known: str, keep: str, others: list[str]) -> int:
        """Everything filed under ``others`` filed under ``keep`` (``known``). Returns how
        many problems were merged."""
        marks = ",".join("?" * len(others))
        self.conn.execute(
            "INSERT INTO identity_pairs (tenant_key, object_id, identity_key, identity, "
            "learned_at) SELECT ?, object_id, identity_key, identity, learned_at "
            f"FROM identity_pairs WHERE tenant_key IN ({marks}) "
            "ON CONFLICT (tenant_key, object_id, identity_key) DO UPDATE SET "
            "learned_at = MAX(identity_pairs.learned_at, excluded.learned_at)",
            (keep, *others),
        )
        # The established spelling's problems a joined report falls in the span of (absent
        # from it, between two of their sightings, or since the last): folded again over
        # the joined timeline, as when an archive is read late (``StateLedger._apply_absent``).
        # And those a joined report has a sighting of already, wherever it falls: a problem
        # an old release re-opened after the join, retired again by migration 0013 with
        # its rows moved here (a report after the span of a resolved one reopens it).
        spanned = [
            str(row[0])
            for row in self.conn.execute(
                "SELECT p.fingerprint FROM problems p WHERE p.tenant_key = ? "
                "AND p.state IS NOT NULL AND p.merged_into IS NULL AND EXISTS (SELECT 1 "
                f"FROM reports r WHERE r.tenant_key IN ({marks}) AND ((r.at >= p.first_at "
                "AND (p.span_end IS NULL OR r.at <= p.span_end)) OR EXISTS (SELECT 1 "
                "FROM history h WHERE h.report = r.rowid AND h.problem = p.rowid))) "
                "ORDER BY p.rowid",
                (keep, *others),
            )
        ]
        self.conn.execute(
            f"UPDATE reports SET tenant_key = ?, tenant = ? WHERE tenant_key IN ({marks})",
            (keep, known, *others),
        )
        # For good (``TenantNameLedger.other_names``): those joined into these, into this now.
        self.conn.execute(
            f"UPDATE tenant_joins SET into_key = ?, into_name = ? WHERE into_key IN ({marks})",
            (keep, known, *others),
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO tenant_joins (name_key, into_key, into_name) VALUES (?, ?, ?)",
            [(other, keep, known) for other in others],
        )
        timelines: dict[str, tuple[Timeline, Coverages]] = {}
        # The pairs the other spellings taught name objects the established one may know by
        # their id alone (event 6941 exports filed under the default): merged first, as
        # when a pair is learned. With the alias from the start, the other spelling's report
        # would have taught the pair there, and the id-only problem's ticket, the first,
        # would have been handed over and kept.
        taught = [
            str(row[0])
            for row in self.conn.execute(
                "SELECT DISTINCT object_id FROM identity_pairs "
                f"WHERE tenant_key IN ({marks}) ORDER BY object_id",
                others,
            )
        ]
        merged = self._merge_known(known, taught, timelines)
        rows = self.conn.execute(
            "SELECT rowid, fingerprint, data FROM problems WHERE merged_into IS NULL "
            f"AND tenant_key IN ({marks}) ORDER BY rowid",
            others,
        ).fetchall()
        survivors = dict.fromkeys(spanned)
        for rowid, fp, data in rows:
            target = self._survivor(known, Problem.model_validate_json(data))
            self._retire_into((int(rowid), str(fp)), (keep, target))
            survivors[target.fingerprint] = None
        # The others count the joined reports as their absences when the tenant's next
        # report is applied (absences are counted over its reports, which now include them).
        for fp in survivors:
            if self.merged_into(fp) is None:  # (a spanned one may have been merged since)
                self._refold(fp, timelines)
        return len(rows) + merged

    def _survivor(self, known: str, was: Problem) -> Problem:
        """The established spelling's problem of ``was``'s family and object: by its
        identity where the ledger knows the object id's (its pairs were just joined)."""
        key, identity = was.object_key, was.identity
        if key.startswith("object-id:"):
            object_id = key.removeprefix("object-id:")
            found = self.identities(known, [object_id]).get(object_id)
            if found is not None:
                key, identity = f"identity:{identity_normal(found)}", found
        target = fingerprint(known, was.family, key)
        return Problem(
            fingerprint=target, tenant=known, family=was.family, identity=identity, object_key=key
        )
