"""Both spellings of a tenant already had a ticket for one object when the alias joined them:
the first ticket stays (design.md section 9), whichever spelling opened it, and the other is
closed as merged into it. With the alias from the start there would only ever have been the
first one (from the fourth review of the listings: the established spelling's ticket stayed
even when the other spelling's was older, so the newer one was kept)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from .test_tenant_join_flaps import ALIAS, A, B, F, L, play

STORIES = {
    # the other spelling saw the object first (day 2), the established one later (day 3)
    "other-first": [("", [(1, F, [B]), (2, L, [A]), (3, F, [A, B])]), (ALIAS, [(4, F, [A, B])])],
    # the established spelling saw it first: its ticket stays, as before
    "established-first": [
        ("", [(1, F, [B]), (2, F, [A, B]), (3, L, [A])]),
        (ALIAS, [(4, L, [A, B])]),
    ],
}


def _tickets_of(state: Path, identity: str) -> list[tuple[str, str, str]]:
    """The object's tickets in the store, first created first: (key, status, comments)."""
    store = sqlite3.connect(state / "tickets.db")
    try:
        return [
            (str(key), str(status), str(bodies or ""))
            for key, status, bodies in store.execute(
                "SELECT t.key, t.status, (SELECT group_concat(body, '|') FROM comments c "
                "WHERE c.ticket_key = t.key) FROM tickets t WHERE t.summary LIKE ? "
                "ORDER BY t.rowid",
                (f"%{identity}%",),
            )
        ]
    finally:
        store.close()


@pytest.mark.parametrize("story", sorted(STORIES))
def test_the_first_ticket_stays_whichever_spelling_opened_it(tmp_path: Path, story: str) -> None:
    state = play(tmp_path / "s", STORIES[story])
    tickets = _tickets_of(state, A[0])
    assert [status for _k, status, _c in tickets] == ["open", "resolved"], tickets
    assert "Merged into" in tickets[1][2], tickets
    alone = play(tmp_path / "alias-from-the-start", [(ALIAS, STORIES[story][0][1])])
    assert [s for _k, s, _c in _tickets_of(alone, A[0])] == ["open"]
