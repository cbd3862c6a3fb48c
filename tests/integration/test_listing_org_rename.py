"""The listing shortcut after an organisation renamed through Graph (``learn_organization``;
``join_tenant`` through ``other_names``): emails under the old and new names were separate
tenants, Graph then names both for one organisation id; the next reports join them. Both
directions, a problem on both names, one only on the new name. The digested path must end
as the every-sighting path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.ledger.store import Ledger

from ..reportgen import LARGE, duplicate
from . import digest_histories
from .digest_histories import Step, diff, phased

A = ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com"))
B = ("u2@contoso.com", "", LARGE)
B_THEN = ("u2@contoso.com", "", LARGE + " Contact your administrator.")
C = ("", "OID3", LARGE)
OLD, NEW = "Fabrikam", "Fabrikam Renamed"

_play = digest_histories.play


def _renaming_play(folder: Path, steps: Any, extra: str = "", mail: Path | None = None):
    if extra == "RENAME":
        extra = ""
        db = folder / "state" / "state.db"
        if db.exists():
            ledger = Ledger.open(db)
            try:
                ledger.learn_organization("org-1", OLD)
                ledger.learn_organization("org-1", NEW)
            finally:
                ledger.close()
    return _play(folder, steps, extra, mail=mail)


CASES = {
    "new name newest, repeated under new": (
        [Step(day=1, tenant=OLD, rows=[A, B_THEN]), Step(day=2, tenant=NEW, rows=[A, B])],
        [Step(day=3, tenant=NEW, rows=[A, B]), Step(day=4, tenant=NEW, rows=[A, B])],
    ),
    "new name first, old newest, repeated under old": (
        [Step(day=1, tenant=NEW, rows=[A, B_THEN, C]), Step(day=2, tenant=OLD, rows=[A, B, C])],
        [Step(day=3, tenant=OLD, rows=[A, B, C]), Step(day=4, tenant=NEW, rows=[A, B, C])],
    ),
    "problem only on the new name": (
        [Step(day=1, tenant=OLD, rows=[A]), Step(day=2, tenant=NEW, rows=[A, B, C])],
        [Step(day=3, tenant=NEW, rows=[A, B, C]), Step(day=4, tenant=OLD, rows=[A, B, C])],
    ),
    "same time on both names": (
        [Step(day=2, tenant=OLD, rows=[A, B_THEN]), Step(day=2, tenant=NEW, rows=[A, B])],
        [Step(day=2, tenant=NEW, rows=[A, B]), Step(day=3, tenant=NEW, rows=[A, B])],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rename(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = CASES[name]
    monkeypatch.setattr(digest_histories, "play", _renaming_play)
    every, digested = phased(tmp_path, monkeypatch, [("", first), ("RENAME", second)])
    assert every == digested, diff(every, digested)


def test_control_the_rename_joins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: the second phase really files everything under one tenant."""
    first, second = CASES["new name newest, repeated under new"]
    monkeypatch.setattr(digest_histories, "play", _renaming_play)
    _every, digested = phased(tmp_path, monkeypatch, [("", first), ("RENAME", second)])
    assert {row[1] for row in digested["state.db"]["reports"]} == {"fabrikam"}
