"""A tenant by another name: the spelling its reports are filed under.

A report whose canonical tenant has aliases is filed under the spelling the tenant's reports
were first filed under (``established_tenant``), so that an alias added later joins the
problems already open rather than splitting them. Graph's ``/organization`` names the tenant
by its id too (``learn_organization``): a tenant renamed in Azure AD is filed under its first
name in the same way, with no alias needed. ``names_of`` gathers every name a tenant is known
by: Graph's, and the spellings joined with it before (``ledger/joining.py``).

Mixed into ``Ledger``, ahead of ``TenantJoinLedger``, which asks for ``established_tenant``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from .. import sqlite
from ..fingerprint import tenant_normal


class TenantNameLedger:
    """The names a tenant is known by, over the ledger's connection (mixed into ``Ledger``)."""

    conn: sqlite3.Connection
    _joins_table: bool | None

    def established_tenant(self, names: Iterable[str]) -> str | None:
        """Of the spellings of one tenant (a canonical name and its aliases), the one its
        reports were first filed under; None when the ledger has none of them.

        An alias added after reports were filed under the old name would otherwise start a
        second set of problems under the new one: its fingerprints differ. Filing the
        tenant's later reports under the name it was first known by keeps every problem on
        the tickets it has (design.md section 9)."""
        keys = sorted({tenant_normal(n) for n in names} - {""})
        if not keys:
            return None
        rows = self.conn.execute(
            "SELECT MIN(rowid) FROM reports "
            f"WHERE tenant_key IN ({','.join('?' * len(keys))}) GROUP BY tenant_key",
            keys,
        ).fetchall()
        first = min((int(row[0]) for row in rows), default=None)
        if first is None:
            return None
        row = self.conn.execute("SELECT tenant FROM reports WHERE rowid = ?", (first,)).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def learn_organization(self, org_id: str, name: str) -> None:
        """Remember that Graph's organisation ``org_id`` (the tenant's id) is named ``name``."""
        key = tenant_normal(name)
        if not org_id.strip() or not key:
            return
        with sqlite.transaction(self.conn):
            self.conn.execute(
                "INSERT OR IGNORE INTO organization_names (org_id, name_key, name) "
                "VALUES (?, ?, ?)",
                (org_id.strip().casefold(), key, name),
            )

    def other_names(self, tenant: str | None) -> list[str]:
        """The other names Graph gave the organisation named ``tenant`` (a rename), and the
        spellings joined with it before (``ledger/joining.py``)."""
        key = tenant_normal(tenant)
        if not key:
            return []
        rows = self.conn.execute(
            "SELECT name FROM organization_names WHERE name_key != ?1 AND org_id IN "
            "(SELECT org_id FROM organization_names WHERE name_key = ?1) ORDER BY name_key",
            (key,),
        ).fetchall()
        # And the spelling it was joined into, or those joined into it: a join is for good.
        joined = (
            self.conn.execute(
                "SELECT into_name FROM tenant_joins WHERE name_key = ?1 "
                "UNION SELECT name_key FROM tenant_joins WHERE into_key = ?1 ORDER BY 1",
                (key,),
            ).fetchall()
            if self._keeps_joins()
            else []
        )
        return [str(row[0]) for row in (*rows, *joined)]

    def _keeps_joins(self) -> bool:
        """Whether the ledger has ``tenant_joins``: one of a release before 0012, read without
        migrating, has not. Asked once (every message asks for its tenant's names)."""
        known = getattr(self, "_joins_table", None)
        if known is None:
            known = self._joins_table = (
                self.conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tenant_joins'"
                ).fetchone()
                is not None
            )
        return known

    def names_of(self, spellings: Iterable[str]) -> list[str]:
        """``spellings`` and every other name the ledger knows their tenant by, and theirs in
        turn: a spelling joined into one joined since into a third, an organisation renamed
        after its name was joined (each name is asked once)."""
        names = list(dict.fromkeys(spellings))
        for name in names:
            names += [other for other in self.other_names(name) if other not in names]
        return names
