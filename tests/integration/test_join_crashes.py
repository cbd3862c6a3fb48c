"""SIGKILL inside a tenant join (``TenantJoinLedger._join``, ``_retire_into``,
``_hand_over_tickets``, ``_refold``) and around the listing shortcut right after it; then a
rerun: the tables end as an uncrashed run's (every-sighting path), every ticket once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ..reportgen import LARGE, duplicate
from .digest_histories import T0, config, diff, dump, email, replay_cli
from .test_listing_crashes import _exactly_once

A = ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com"))
B = ("u2@contoso.com", "", LARGE)
B_THEN = ("u2@contoso.com", "", LARGE + " Contact your administrator.")
C = ("", "OID3", LARGE)
D = ("u3@contoso.com", "OID3", LARGE)
FIRST = [("Fabrikam", [A, B_THEN, C]), ("Fabrikam Ltd", [A, B, D]), ("Fabrikam Ltd", [A, B, D])]
SECOND = [("Fabrikam Ltd", [A, B, D]), ("Fabrikam", [A, B, D]), ("Fabrikam", [A, B, D])]
ALIAS = 'Fabrikam = ["Fabrikam Ltd"]\n'


def _history(tmp_path: Path, mode: str, crash: str | None) -> tuple[dict, bool]:
    mail = tmp_path / "mail"
    mail.mkdir(parents=True, exist_ok=True)
    files = []
    for day, (tenant, rows) in enumerate(FIRST + SECOND):
        path = mail / f"{day}.eml"
        path.write_bytes(email(tenant, T0 + timedelta(days=day), rows, f"jc{day}@x"))
        files.append(path)
    folder = tmp_path / mode
    config(folder)
    cfg = folder / "config.toml"
    assert replay_cli(mode, cfg, files[: len(FIRST)]) == 0
    config(folder, ALIAS)
    reached = replay_cli(mode, cfg, files[len(FIRST) :], crash) != 0
    assert replay_cli(mode, cfg, files[len(FIRST) :]) == 0
    assert replay_cli(mode, cfg, files) == 0
    _exactly_once(folder / "state")
    return {db.name: dump(db) for db in sorted((folder / "state").glob("*.db"))}, reached


CRASHES = [
    "in:_join:1",
    "in:_retire_into:1",
    "in:_retire_into:2",
    "in:_hand_over_tickets:2",
    "in:_refold:1",
    "in:_listed_as_before:1",
    "in:_touch_them:1",
    "after-identities:1",
    "after-ingest:1",
    "after-ingest:2",
    "after-sink-write:1",
]


@pytest.mark.slow
@pytest.mark.parametrize("crash", CRASHES)
def test_a_crash_in_a_join_then_a_rerun(tmp_path: Path, crash: str) -> None:
    every, _ = _history(tmp_path, "every", None)
    digested, reached = _history(tmp_path, "digested", crash)
    assert reached, "the crash point was never reached"
    assert every == digested, diff(every, digested)
