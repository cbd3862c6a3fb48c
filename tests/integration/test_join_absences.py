"""A join files the other spelling's reports into the established one's timeline, "as if the
alias had always been there" (``ledger/joining.py``): an established problem whose span the
joined reports fall in (absent from them, between two of its own sightings) is folded again
at the join, as with the alias from the start (resolved by absence, reopened). Once only the
survivors were: the difference surfaced later, whenever anything folded it again, its
tickets changing long after the fact (from the second review of the listings)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ..reportgen import LARGE
from .digest_histories import Step, play

ALIAS = 'Fabrikam = ["Fabrikam Ltd"]\n'
KP = ("u5@contoso.com", "", LARGE)  # only ever under the established spelling
AP = ("u6@contoso.com", "", LARGE)  # only ever under the other spelling


def _run(tmp: Path, phases: list[tuple[str, list[Step]]]) -> Path:
    """The phases (extra config, steps) played on one ledger; its path."""
    folder = tmp / "ledger"
    n = 0
    for extra, steps in phases:
        named = []
        for step in steps:
            n += 1
            named.append(Step(**{**step.__dict__, "msgid": f"j{n}-{step.day}@x"}))
        sub = tmp / "mail" / str(n)
        sub.mkdir(parents=True, exist_ok=True)
        play(folder, named, extra, mail=sub)
    return folder / "state" / "state.db"


def _tickets(db: Path) -> list[Any]:
    conn = sqlite3.connect(db)
    try:
        tickets = conn.execute(
            "SELECT t.episode, t.status, t.comments FROM tickets t JOIN problems p "
            "ON p.fingerprint = t.fingerprint WHERE p.data LIKE '%u5@%' ORDER BY t.episode"
        ).fetchall()
        comments = conn.execute(
            "SELECT ticket_key, body FROM local_comments ORDER BY 1, rowid"
        ).fetchall()
        return [*tickets, *comments]
    finally:
        conn.close()


STEPS_1 = [
    ("Fabrikam", 1, [KP]),
    ("Fabrikam Ltd", 2, [AP]),
    ("Fabrikam Ltd", 3, [AP]),
    ("Fabrikam", 4, [KP]),
]


def _steps(items: list[tuple[str, int, list[tuple[str, str, str]]]]) -> list[Step]:
    return [Step(day=d, tenant=t, rows=r) for t, d, r in items]


def test_join_later_ends_as_alias_from_the_start(tmp_path: Path) -> None:
    """Alias from the start: u5's ticket resolved (days 2, 3 absent) and reopened (day 4),
    two comments; the alias added before day 5 must end the same."""
    control = _tickets(_run(tmp_path / "a", [(ALIAS, _steps([*STEPS_1, ("Fabrikam", 5, [KP])]))]))
    joined = _tickets(
        _run(tmp_path / "b", [("", _steps(STEPS_1)), (ALIAS, _steps([("Fabrikam", 5, [KP])]))])
    )
    assert joined == control
