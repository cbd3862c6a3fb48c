"""An alias added, then removed, then added again (another spelling first, or the same): a
join merges the spellings' problems for good, so once joined a spelling's reports are filed
under the established one even when the alias is gone (``tenant_joins``). Every run ends 0,
every open problem has exactly one open ticket, and no ticket or comment is written twice
(from the third review of the listings: filed apart again, a spelling's report met the
problems and tickets the join had retired and handed over, and every later run ended in
"UNIQUE constraint failed: tickets.idempotency_key", exit 2, alias back or not)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge import pipeline
from dirsync_bridge.config.settings import Config, load_config

from ..reportgen import LARGE, duplicate
from .digest_histories import T0, email


def config(folder: Path, aliases: str = "", sink: str = "") -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(
        f'[state]\npath = "{folder / "state" / "state.db"}"\n'
        "[tickets]\nresolve_after_reports = 2\n"
        '[tenants]\ndefault = "Fabrikam"\n[tenants.aliases]\n' + aliases + sink
    )
    return load_config(path)


def play(folder: Path, phases: list[tuple[str, list[tuple[int, str, list]]]]) -> Path:
    """phases: (aliases toml lines, [(day, tenant, rows)]). Returns the state folder."""
    mail = folder / "mail"
    mail.mkdir(parents=True, exist_ok=True)
    for extra, steps in phases:
        cfg = config(folder, extra)
        for day, tenant, rows in steps:
            path = mail / f"{day}-{tenant.replace(' ', '-')}.eml"
            path.write_bytes(email(tenant, T0 + timedelta(days=day), rows, f"d{day}-{tenant}@x"))
            assert pipeline.replay([path], cfg, env={}, enrich=False).fatal == []
    return folder / "state"


def seen(state: Path) -> dict[str, Any]:
    """What a user sees: live problems (object, family, status, first/last seen, span end) by
    object and family; per live problem, its tickets' store statuses; duplicate comments."""
    ledger = sqlite3.connect(state / "state.db")
    store = sqlite3.connect(state / "state.db")  # the local store is kept there
    try:
        problems = {}
        for fp, data_obj, fam, status, first, last, span in ledger.execute(
            "SELECT fingerprint, json_extract(data, '$.object_key'), json_extract(data, "
            "'$.family'), status, first_at, seen_at, span_end FROM problems "
            "WHERE merged_into IS NULL AND state IS NOT NULL"
        ):
            tickets = [
                store.execute("SELECT status FROM local_tickets WHERE key = ?", (k,)).fetchone()
                for (k,) in ledger.execute(
                    "SELECT key FROM tickets WHERE fingerprint = ? ORDER BY episode", (fp,)
                )
            ]
            problems[(data_obj, fam)] = (status, first, last, span, [t and t[0] for t in tickets])
        open_all = store.execute(
            "SELECT COUNT(*) FROM local_tickets WHERE status = 'open'"
        ).fetchone()[0]
        twice = store.execute(
            "SELECT ticket_key, body, COUNT(*) FROM local_comments GROUP BY 1, 2"
            " HAVING COUNT(*) > 1"
        ).fetchall()
        named = sorted(str(r[0]) for r in ledger.execute("SELECT key FROM tickets"))
        stored = sorted(str(r[0]) for r in store.execute("SELECT key FROM local_tickets"))
        return {
            "problems": problems,
            "open_tickets": open_all,
            "twice": twice,
            "unnamed": sorted(set(stored) - set(named)),
            "dangling": sorted(set(named) - set(stored)),
        }
    finally:
        ledger.close()
        store.close()


A = ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com"))
B = ("u2@contoso.com", "", LARGE)
C = ("", "OID3", LARGE)
D = ("u3@contoso.com", "OID3", LARGE)
F, L = "Fabrikam", "Fabrikam Ltd"
ALIAS = 'Fabrikam = ["Fabrikam Ltd"]\n'

FLAPS = {
    # minimal: a problem only the other spelling had (its ticket handed over at the join),
    # then the alias removed and that spelling reports it again
    "handed-over-then-removed": [
        ("", [(1, F, [A]), (2, L, [B])]),
        (ALIAS, [(3, F, [A, B])]),
        ("", [(4, L, [B])]),
    ],
    "on-off-on": [
        ("", [(1, F, [A, C]), (2, L, [A, D])]),
        (ALIAS, [(3, L, [A, D]), (4, F, [A, C])]),
        ("", [(5, L, [A, D, B]), (6, F, [A, C])]),
        (ALIAS, [(7, F, [A, C, B]), (8, L, [A, D, B])]),
    ],
    "on-off-on-other-first": [
        ("", [(1, L, [A, D]), (2, F, [A, C])]),
        (ALIAS, [(3, F, [A, C])]),
        ("", [(4, L, [A, B]), (5, L, [A, B])]),
        (ALIAS, [(6, F, [A, B, C]), (7, F, [A, B, C])]),
    ],
    "removed-then-other-only": [
        ("", [(1, F, [A]), (2, L, [A])]),
        (ALIAS, [(3, F, [A])]),
        ("", [(4, L, [A]), (5, L, [A]), (6, L, [A])]),
        (ALIAS, [(7, L, [A]), (8, F, [A])]),
    ],
}


@pytest.mark.parametrize("flap", sorted(FLAPS))
def test_alias_flaps(tmp_path: Path, flap: str) -> None:
    phases = FLAPS[flap]
    got = seen(play(tmp_path / "s", phases))
    assert not got["twice"], got["twice"]
    assert not got["unnamed"] and not got["dangling"], got
    last_day = phases[-1][1][-1]
    named = {f"identity:{r[0]}" for r in last_day[2] if r[0]}
    opened = {k: v for k, v in got["problems"].items() if v[0] == "open"}
    assert named <= {k[0] for k in opened}, got  # what the last report names is open
    for key, value in opened.items():
        assert value[4].count("open") == 1, (key, got)
    assert got["open_tickets"] == len(opened), got


def test_a_join_made_before_joins_were_kept_is_found_by_its_problems(tmp_path: Path) -> None:
    """A ledger joined before ``tenant_joins`` existed: migration 0012 finds the join by the
    problems it retired into the other tenant's, and the spelling's report, the alias gone,
    is filed under the established one."""
    phases = FLAPS["handed-over-then-removed"]
    state = play(tmp_path / "s", phases[:2])
    conn = sqlite3.connect(state / "state.db")
    conn.execute("DROP TABLE tenant_joins")  # the ledger as a release before 0012 left it
    conn.execute("DELETE FROM migrations WHERE name = '0012-tenant-joins'")
    conn.commit()
    conn.close()
    got = seen(play(tmp_path / "s", phases[2:]))
    assert not got["twice"] and not got["unnamed"] and not got["dangling"], got
    opened = {k[0]: v for k, v in got["problems"].items() if v[0] == "open"}
    assert opened["identity:u2@contoso.com"][4] == ["open"], got  # the handed-over ticket
    assert got["open_tickets"] == len(opened), got
