"""Tenant joins for good (``tenant_joins``, migration 0012): chains of joins (Ltd into
Fabrikam, later Fabrikam into Fabrikam Inc), made by this code or found by the backfill in a
ledger joined before; an organisation renamed after its name was joined; an alias naming a
spelling joined away; ``tickets --tenant`` by any of the names; random joins against the
aliases from the start (from the fourth review of the listings: the backfill stopped at the
first link of a chain, and names were followed one step, each seen failing first)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dirsync_bridge.ledger.store import Ledger

from ..reportgen import LARGE
from .test_tenant_join_flaps import A, B, D, F, L, play, seen

INC = "Fabrikam Inc"
J_LF = 'Fabrikam = ["Fabrikam Ltd"]\n'
J_FI = '"Fabrikam Inc" = ["Fabrikam"]\n'

# C (Inc) first, then B (Fabrikam), then A (Ltd). A joined into B, then B into C.
CHAIN = [
    ("", [(1, INC, [A]), (2, F, [A, B]), (3, L, [A, D])]),
    (J_LF, [(4, F, [A, B, D])]),
    (J_FI, [(5, INC, [A, B, D])]),
]
AFTER = {
    "ltd-no-alias": [("", [(6, L, [A, B, D]), (7, L, [A, B, D])])],
    "fab-no-alias": [("", [(6, F, [A, B, D]), (7, F, [A, B, D])])],
    "inc-no-alias": [("", [(6, INC, [A, B, D]), (7, INC, [A, B, D])])],
    "mixed-no-alias": [("", [(6, L, [A, B, D]), (7, F, [A, B, D]), (8, INC, [A, B, D])])],
}


def drop_0012(state: Path) -> None:
    conn = sqlite3.connect(state / "state.db")
    conn.execute("DROP TABLE tenant_joins")
    conn.execute("DELETE FROM migrations WHERE name = '0012-tenant-joins'")
    conn.commit()
    conn.close()


def check(got: dict) -> None:
    assert not got["twice"], got["twice"]
    assert not got["unnamed"] and not got["dangling"], got
    opened = {k: v for k, v in got["problems"].items() if v[0] == "open"}
    for key, value in opened.items():
        assert value[4].count("open") == 1, (key, got)
    assert got["open_tickets"] == len(opened), got
    # one live problem per object and family (no spelling filed apart)
    assert {k[0] for k in opened} >= {
        "identity:u1@contoso.com",
        "identity:u2@contoso.com",
        "identity:u3@contoso.com",
    }, got


def tenants_of_live(state: Path) -> set[str]:
    conn = sqlite3.connect(state / "state.db")
    try:
        return {
            str(r[0])
            for r in conn.execute(
                "SELECT DISTINCT tenant_key FROM problems WHERE merged_into IS NULL "
                "AND state IS NOT NULL"
            )
        }
    finally:
        conn.close()


@pytest.mark.parametrize("after", sorted(AFTER))
def test_chain_new_code(tmp_path: Path, after: str) -> None:
    state = play(tmp_path / "s", CHAIN)
    got = seen(play(tmp_path / "s", AFTER[after]))
    check(got)
    assert tenants_of_live(state) == {"fabrikam inc"}


@pytest.mark.parametrize("after", sorted(AFTER))
def test_chain_backfilled(tmp_path: Path, after: str) -> None:
    """The chain made by a release before 0012: the backfill must find A->C, not A->B."""
    state = play(tmp_path / "s", CHAIN)
    drop_0012(state)
    got = seen(play(tmp_path / "s", AFTER[after]))
    check(got)
    assert tenants_of_live(state) == {"fabrikam inc"}


def test_backfill_chain_rows(tmp_path: Path) -> None:
    state = play(tmp_path / "s", CHAIN)
    conn = sqlite3.connect(state / "state.db")
    before = sorted(conn.execute("SELECT * FROM tenant_joins"))
    conn.close()
    drop_0012(state)
    Ledger.open(state / "state.db").close()  # migrates
    conn = sqlite3.connect(state / "state.db")
    after = sorted(conn.execute("SELECT * FROM tenant_joins"))
    conn.close()
    assert after == before


def orphans(state: Path) -> dict[str, int]:
    conn = sqlite3.connect(state / "state.db")
    try:
        return {
            "history_of_retired": conn.execute(
                "SELECT COUNT(*) FROM history h JOIN problems p ON p.rowid = h.problem "
                "WHERE p.merged_into IS NOT NULL"
            ).fetchone()[0],
            "history_cross_tenant": conn.execute(
                "SELECT COUNT(*) FROM history h JOIN problems p ON p.rowid = h.problem "
                "JOIN reports r ON r.rowid = h.report WHERE r.tenant_key != p.tenant_key"
            ).fetchone()[0],
            "history_no_problem": conn.execute(
                "SELECT COUNT(*) FROM history h WHERE NOT EXISTS "
                "(SELECT 1 FROM problems p WHERE p.rowid = h.problem)"
            ).fetchone()[0],
        }
    finally:
        conn.close()


@pytest.mark.parametrize("after", sorted(AFTER))
def test_chain_leaves_no_orphan_history(tmp_path: Path, after: str) -> None:
    state = play(tmp_path / "s", CHAIN)
    assert orphans(state) == dict.fromkeys(orphans(state), 0)
    play(tmp_path / "s", AFTER[after])
    assert orphans(state) == dict.fromkeys(orphans(state), 0)


Y = "Contoso Renamed"


def _joined_then_renamed(tmp_path: Path) -> Path:
    """Ltd joined into Fabrikam by an alias; Graph then names organisation org-1 "Fabrikam
    Ltd", then "Contoso Renamed". The state folder."""
    state = play(
        tmp_path / "s", [("", [(1, F, [A, B]), (2, L, [A, D])]), (J_LF, [(3, F, [A, B, D])])]
    )
    ledger = Ledger.open(state / "state.db")
    ledger.learn_organization("org-1", L)
    ledger.learn_organization("org-1", Y)
    ledger.close()
    return state


def test_graph_rename_of_a_joined_spelling(tmp_path: Path) -> None:
    """Graph knew the organisation as "Fabrikam Ltd" (joined into "Fabrikam" by an alias);
    then it is renamed in Azure AD. Its reports under the new name belong to "Fabrikam"."""
    state = _joined_then_renamed(tmp_path)
    got = seen(play(tmp_path / "s", [(J_LF, [(4, Y, [A, B, D]), (5, Y, [A, B, D])])]))
    check(got)
    assert tenants_of_live(state) == {"fabrikam"}


def test_identity_merges_make_no_join(tmp_path: Path) -> None:
    c = ("", "OID3", D[2])
    state = play(tmp_path / "s", [("", [(1, F, [c, A]), (2, F, [D, A]), (3, L, [c]), (4, L, [D])])])
    drop_0012(state)
    Ledger.open(state / "state.db").close()
    conn = sqlite3.connect(state / "state.db")
    assert conn.execute("SELECT * FROM tenant_joins").fetchall() == []
    conn.close()


BASE = [("", [(1, F, [A, B]), (2, L, [A, D])]), (J_LF, [(3, F, [A, B, D])])]
LATER = {
    # the alias reversed: Ltd canonical, Fabrikam its alias
    "reversed": [('"Fabrikam Ltd" = ["Fabrikam"]\n', [(4, L, [A, B, D]), (5, F, [A, B, D])])],
    # the joined spelling in another case / width, no alias
    "case-variant": [("", [(4, "FABRIKAM  LTD", [A, B, D]), (5, "fabrikam ltd", [A, B, D])])],
    # an alias of the joined spelling (never seen before): Ltd = [Inc]
    "alias-of-joined": [
        ('"Fabrikam Ltd" = ["Fabrikam Inc"]\n', [(4, INC, [A, B, D]), (5, INC, [A, B, D])])
    ],
    # the established one reports with the alias gone, then the joined one
    "est-then-joined": [("", [(4, F, [A, B, D]), (5, L, [A, B, D]), (6, F, [A, B, D])])],
}


@pytest.mark.parametrize("later", sorted(LATER))
def test_after_join(tmp_path: Path, later: str) -> None:
    state = play(tmp_path / "s", BASE)
    got = seen(play(tmp_path / "s", LATER[later]))
    assert tenants_of_live(state) == {"fabrikam"}, got
    check(got)
    assert orphans(state) == dict.fromkeys(orphans(state), 0)


C3 = ("", "OID3", LARGE)


def cli_tickets(folder: Path, tenant: str, aliases: str = "") -> list[dict]:
    import json
    import subprocess
    import sys

    conf = folder / "list.toml"
    conf.write_text(
        f'[state]\npath = "{folder / "state" / "state.db"}"\n'
        '[tenants]\ndefault = "Fabrikam"\n[tenants.aliases]\n' + aliases
    )
    argv = ["--config", str(conf), "tickets", "--tenant", tenant, "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-m", "dirsync_bridge", *argv], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", [L, F, INC, "FABRIKAM LTD"])
def test_tickets_tenant_after_chain(tmp_path: Path, name: str) -> None:
    """After the chain (Ltd into Fabrikam, Fabrikam into Inc), no alias configured: every
    spelling lists the tenant's open tickets (all three objects)."""
    play(tmp_path / "s", CHAIN)
    everything = [t for t in cli_tickets(tmp_path / "s", "nobody-at-all") if t] or None
    rows = cli_tickets(tmp_path / "s", name)
    opened = [t for t in rows if t.get("status") == "open"]
    assert len(opened) == 3, (rows, everything)


U1 = A
SEQS = {
    "idonly-est-then-other-pair": [(1, F, [U1, C3]), (2, L, [D]), (3, F, [U1]), (4, L, [U1])],
    "other-pair-then-idonly": [(1, F, [U1]), (2, L, [D]), (3, F, [U1, C3]), (4, F, [U1])],
    "both-idonly": [(1, F, [C3]), (2, L, [C3]), (3, L, [D]), (4, F, [U1])],
    "resolve-across": [(1, F, [C3, U1]), (2, L, [D, U1]), (3, F, [U1]), (4, L, [U1]), (5, F, [U1])],
    "reopen-across": [(1, F, [C3]), (2, F, [U1]), (3, F, [U1]), (4, L, [D])],
}


def problems_only(got: dict) -> dict:
    return {k: v[:4] for k, v in got["problems"].items()}


@pytest.mark.parametrize("seq", sorted(SEQS))
def test_join_equals_alias_from_start(tmp_path: Path, seq: str) -> None:
    """The same reports, the alias from the start vs added before the last report (the
    join): the same problems, statuses, first/last seen and spans, one open ticket each."""
    steps = SEQS[seq]
    ref = seen(play(tmp_path / "ref", [(J_LF, steps)]))
    got = seen(play(tmp_path / "join", [("", steps[:-1]), (J_LF, steps[-1:])]))
    check_tickets(got)
    assert problems_only(got) == problems_only(ref), (got, ref)


def check_tickets(got: dict) -> None:
    assert not got["twice"], got["twice"]
    assert not got["unnamed"] and not got["dangling"], got
    opened = {k: v for k, v in got["problems"].items() if v[0] == "open"}
    for key, value in opened.items():
        assert value[4].count("open") == 1, (key, got)
    assert got["open_tickets"] == len(opened), got


ALL3 = '"Fabrikam Inc" = ["Fabrikam", "Fabrikam Ltd"]\n'
CSEQS = {
    "chain-idonly": [(1, INC, [C3]), (2, F, [U1, C3]), (3, L, [D]), (4, F, [U1]), (5, INC, [U1])],
    "chain-pairs-late": [(1, INC, [U1]), (2, F, [C3]), (3, L, [C3, B]), (4, L, [D]), (5, INC, [B])],
    "chain-resolve": [
        (1, INC, [C3, B]),
        (2, F, [D, B]),
        (3, L, [U1]),
        (4, F, [U1]),
        (5, L, [U1]),
        (6, INC, [U1]),
    ],
}


@pytest.mark.parametrize("seq", sorted(CSEQS))
def test_chain_equals_aliases_from_start(tmp_path: Path, seq: str) -> None:
    """Ltd joined into Fabrikam (day n-1), Fabrikam into Inc (day n), then no alias and one
    more report of each, vs all three aliased from the start."""
    steps = CSEQS[seq]
    tail = [(10, L, [U1]), (11, F, [U1]), (12, INC, [U1])]
    ref = seen(play(tmp_path / "ref", [(ALL3, steps + tail)]))
    got_state = play(
        tmp_path / "join", [("", steps[:-2]), (J_LF, steps[-2:-1]), (J_FI, steps[-1:]), ("", tail)]
    )
    got = seen(got_state)
    check_tickets(got)
    assert problems_only(got) == problems_only(ref), (got, ref)
    assert orphans(got_state) == dict.fromkeys(orphans(got_state), 0)


@pytest.mark.parametrize("aliases", ["", J_LF])
def test_tickets_tenant_of_renamed_joined_spelling(tmp_path: Path, aliases: str) -> None:
    """Graph: org-1 was "Fabrikam Ltd" (joined into Fabrikam), now "Contoso Renamed".
    `tickets --tenant "Contoso Renamed"` lists the tenant's open tickets."""
    _joined_then_renamed(tmp_path)
    assert len(cli_tickets(tmp_path / "s", L, aliases)) == 3
    assert len(cli_tickets(tmp_path / "s", Y, aliases)) == 3


ROWS = [A, B, C3, D, ("u4@contoso.com", "OID4", LARGE), ("", "OID4", LARGE)]


@pytest.mark.parametrize("seed", range(40))
def test_random_join_differential(tmp_path: Path, seed: int, rows: list | None = None) -> None:
    """Random reports of Fabrikam / Ltd / Inc; the aliases from the start vs joined late
    (Ltd into Fabrikam, then Fabrikam into Inc, then no alias): same problems, one open
    ticket each, no orphaned history."""
    import random

    rnd = random.Random(seed)
    names = [INC, F, L]
    days = rnd.randint(4, 8)
    steps = [
        (1, INC, rnd.sample(rows or ROWS, rnd.randint(0, 3))),
        (2, F, rnd.sample(rows or ROWS, 2)),
        (3, L, rnd.sample(rows or ROWS, rnd.randint(1, 3))),
    ]  # each spelling has reports
    steps += [
        (d, rnd.choice(names), rnd.sample(rows or ROWS, rnd.randint(0, 4))) for d in range(4, days)
    ]
    tail = [
        (days, F, rnd.sample(rows or ROWS, 2)),
        (days + 1, INC, rnd.sample(rows or ROWS, 2)),
        (days + 2, L, rnd.sample(rows or ROWS, 3)),
        (days + 3, F, rnd.sample(rows or ROWS, 3)),
    ]
    ref_state = play(tmp_path / "ref", [(ALL3, steps + tail)])
    ref = seen(ref_state)
    st = play(tmp_path / "j", [("", steps), (J_LF, tail[:1]), (J_FI, tail[1:2]), ("", tail[2:])])
    got = seen(st)
    check_tickets(got)
    assert problems_only(got) == problems_only(ref), (steps, tail, got, ref)
    assert orphans(st) == dict.fromkeys(orphans(st), 0)


def test_alias_naming_a_spelling_joined_away(tmp_path: Path) -> None:
    """Fabrikam was joined into Ltd (Ltd reported first); later the operator aliases
    Inc = [Fabrikam]. Fabrikam is Ltd for good, so Inc's report must join Ltd (one set of
    problems, one open ticket per object), not stay apart because Fabrikam has no reports."""
    state = play(
        tmp_path / "s",
        [
            ("", [(1, INC, [A]), (2, L, [A, B]), (3, F, [A, B])]),
            (J_LF, [(4, F, [A, B])]),
            (J_FI, [(5, INC, [A, B]), (6, F, [A, B]), (7, INC, [A, B])]),
        ],
    )
    got = seen(state)
    assert len(tenants_of_live(state)) == 1, (tenants_of_live(state), got)
    check_tickets(got)


def test_tickets_by_tenant_read_a_ledger_from_before_the_joins_table(tmp_path: Path) -> None:
    """``tickets`` reads without migrating: a ledger of a release before 0012 has no
    ``tenant_joins``, and a listing by tenant still answers."""
    play(tmp_path / "s", [("", [(1, F, [A, B])])])
    conn = sqlite3.connect(tmp_path / "s" / "state" / "state.db")
    conn.execute("DROP TABLE tenant_joins")
    conn.execute("DELETE FROM migrations WHERE name = '0012-tenant-joins'")
    conn.commit()
    conn.close()
    assert len(cli_tickets(tmp_path / "s", F)) == 2
