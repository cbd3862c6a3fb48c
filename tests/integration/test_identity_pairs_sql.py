"""Identity pairs learned in SQL through the temp table ``shown`` against the code
it replaced (kept here as ``_old_learn``): the same histories end in the same tables.
Renamed objects in any order, two spellings of one pair in one report (also across the
500-pair chunk boundary), blank and whitespace ids, thousands of pairs, older reports read
late, object-id-only problems merged."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.ledger.identities import IdentityLedger

from ..reportgen import LARGE, duplicate
from .digest_histories import Step, diff, play


def _old_learn(self: Any, tkey: str, pairs: list[tuple[str, str, str]], when: str) -> list[str]:
    """``IdentityLedger._learn`` as of 69c7564 (a statement or two a pair), returning the
    object ids of the new pairs as ``_learn`` now does (it returned their problems)."""
    objects = sorted({object_id for object_id, _i, _k in pairs})
    known = {
        (str(row[0]), str(row[1])): str(row[2])
        for row in self.conn.execute(
            "SELECT object_id, identity_key, learned_at FROM identity_pairs "
            f"WHERE tenant_key = ? AND object_id IN ({','.join('?' * len(objects))})",
            (tkey, *objects),
        )
    }
    new: dict[tuple[str, str], str] = {}
    later: set[tuple[str, str]] = set()
    for object_id, identity, identity_key in pairs:
        pair = (object_id, identity_key)
        if pair in known:
            if known[pair] < when:
                later.add(pair)
        else:
            new.setdefault(pair, identity)
    self.conn.executemany(
        "INSERT INTO identity_pairs (tenant_key, object_id, identity_key, identity, "
        "learned_at) VALUES (?, ?, ?, ?, ?)",
        [(tkey, *pair, identity, when) for pair, identity in new.items()],
    )
    self.conn.executemany(
        "UPDATE identity_pairs SET learned_at = ? WHERE tenant_key = ? "
        "AND object_id = ? AND identity_key = ?",
        [(when, tkey, *pair) for pair in sorted(later)],
    )
    return [object_id for object_id, _key in new]


def _both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, steps: list[Step]
) -> tuple[dict[str, Any], dict[str, Any]]:
    with monkeypatch.context() as m:
        m.setattr(IdentityLedger, "_learn", _old_learn)
        old = play(tmp_path / "old", steps)
    new = play(tmp_path / "new", steps)
    return old, new


A_MSG = duplicate("Mail", "a@contoso.com")

HISTORIES: dict[str, list[Step]] = {
    "renamed, in order": [
        Step(day=0, rows=[("", "OID1", LARGE)]),
        Step(day=1, rows=[("u1@contoso.com", "OID1", LARGE)]),
        Step(day=2, rows=[("v1@contoso.com", "OID1", LARGE), ("", "OID1", A_MSG)]),
        Step(day=3, rows=[("", "OID1", LARGE)]),
    ],
    "renamed, newest first": [
        Step(day=0, rows=[("", "OID1", LARGE)]),
        Step(day=2, rows=[("v1@contoso.com", "OID1", LARGE)]),
        Step(day=1, rows=[("u1@contoso.com", "OID1", LARGE), ("", "OID1", A_MSG)]),
        Step(day=3, rows=[("", "OID1", LARGE)]),
    ],
    "one report, both names of one object": [
        Step(day=0, rows=[("", "OID1", LARGE)]),
        Step(day=1, rows=[("v1@contoso.com", "OID1", LARGE), ("u1@contoso.com", "OID1", A_MSG)]),
        Step(day=2, rows=[("", "OID1", LARGE)]),
    ],
    "two spellings of one pair": [
        Step(day=0, rows=[("", "OID1", LARGE)]),
        Step(day=1, rows=[("U1@Contoso.com", "OID1", LARGE), ("u1@contoso.com", "OID1", A_MSG)]),
        Step(day=2, rows=[("", "OID1", LARGE)]),
        Step(day=0, rows=[("u1@CONTOSO.com", "OID1", LARGE)], msgid="late@x"),
    ],
    "blank and whitespace ids": [
        Step(day=0, rows=[("", " OID1 ", LARGE), ("", "   ", A_MSG)]),
        Step(day=1, rows=[("u1@contoso.com", "OID1", LARGE), (" ", "OID2", A_MSG)]),
        Step(day=2, rows=[("u1@contoso.com", " OID1", LARGE), ("u2@contoso.com", "\u00a0", LARGE)]),
        Step(day=3, rows=[("", "OID1 ", LARGE), ("", "OID2", A_MSG)]),
    ],
    "the same time twice, an older report late": [
        Step(day=2, rows=[("u1@contoso.com", "OID1", LARGE)]),
        Step(day=2, rows=[("v1@contoso.com", "OID1", LARGE)], msgid="same-time@x"),
        Step(day=1, rows=[("w1@contoso.com", "OID1", LARGE)], msgid="older@x"),
        Step(day=3, rows=[("", "OID1", A_MSG)]),
    ],
    "exports teach, emails by id": [
        Step(day=0, rows=[("", "OID1", A_MSG), ("", "OID2", LARGE)]),
        Step(day=1, export=[("OID1", "u1@contoso.com", "a@contoso.com")]),
        Step(day=2, export=[("OID1", "v1@contoso.com", "a@contoso.com")]),
        Step(day=3, rows=[("", "OID1", A_MSG), ("", "OID2", LARGE)]),
    ],
}


@pytest.mark.parametrize("name", list(HISTORIES))
def test_pairs_learned_in_sql_end_as_before(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = _both(tmp_path, monkeypatch, HISTORIES[name])
    assert old["state.db"]["identity_pairs"]
    assert old == new, diff(old, new)


def test_thousands_of_pairs_two_spellings_across_the_chunk_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,300 pairs; the 500th and 501st (sorted) are two spellings of one pair; half the
    objects had problems by id alone; then renamed, newest read first."""
    ids = [f"O{n:04d}" for n in range(1300)]
    by_id = [("", o, LARGE) for o in ids[::2]]
    named = [(f"u{n}@contoso.com", o, LARGE) for n, o in enumerate(ids)]
    spelled = [*named[:499], ("U499@Contoso.com", ids[499], A_MSG), *named[499:]]
    renamed = [(f"v{n}@contoso.com", o, LARGE) for n, o in enumerate(ids)]
    steps = [
        Step(day=0, rows=by_id),
        Step(day=3, rows=renamed),
        Step(day=1, rows=spelled),
        Step(day=4, rows=by_id),
    ]
    old, new = _both(tmp_path, monkeypatch, steps)
    assert len(old["state.db"]["identity_pairs"]) == 2600
    assert old == new, diff(old, new)


def test_random_pair_histories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    spellings = ["u1@contoso.com", "U1@contoso.com", "v1@contoso.com", "u2@contoso.com", ""]
    objects = ["OID1", " OID1", "OID2", "", " "]
    for trial in range(12):
        steps = []
        for n in range(rng.randint(3, 7)):
            rows = [
                (rng.choice(spellings), rng.choice(objects), rng.choice([LARGE, A_MSG]))
                for _ in range(rng.randint(1, 5))
            ]
            steps.append(Step(day=rng.randint(0, 5), rows=rows, msgid=f"r{trial}-{n}@x"))
        old, new = _both(tmp_path / str(trial), monkeypatch, steps)
        assert old == new, (steps, diff(old, new))
