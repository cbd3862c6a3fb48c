"""Targeted histories for the listing shortcut (``TouchLedger._listed_as_before``): the same
rows again after archives, people, exports teaching pairs, future dates, quarantine rows,
two tenants interleaved, the same bytes twice, one report key in two messages, the absence
limit reached exactly at a repeat, a problem absent then back; each on both paths."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge import ingest, pipeline

from ..exportgen import csexport
from ..reportgen import LARGE, duplicate, quarantine
from .digest_histories import T0, Step, both, config, diff, dump, email

A = ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com"))
B = ("u2@contoso.com", "", LARGE)
C = ("", "OID3", duplicate("ProxyAddresses", "smtp:u3@contoso.com"))
Q = ("q1@contoso.com", "", quarantine("UserPrincipalName", "q1@contoso.com"))
FUTURE = (datetime.now(UTC) - T0).days + 400  # a day well after the run's now

HISTORIES: dict[str, list[Step]] = {
    "archive of the same rows then repeat": [
        Step(day=10, rows=[A, B]),
        Step(day=9, rows=[A, B]),
        Step(day=11, rows=[A, B]),
        Step(day=12, rows=[A, B]),
    ],
    "archive without B then repeats": [
        Step(day=10, rows=[A, B]),
        Step(day=11, rows=[A, B]),
        Step(day=9, rows=[A]),
        Step(day=12, rows=[A, B]),
        Step(day=13, rows=[A, B]),
    ],
    "person resolves between repeats": [
        Step(day=0, rows=[A, B, C]),
        Step(day=1, rows=[A, B, C]),
        Step(day=1, person=("resolved", 0)),
        Step(day=2, rows=[A, B, C]),
        Step(day=3, rows=[A, B, C]),
    ],
    "person resolves at the very time of the report, then reopens": [
        Step(day=0, rows=[A, B, C]),
        Step(day=1, rows=[A, B, C]),
        Step(day=2, person=("resolved", 1)),
        Step(day=2, rows=[A, B, C]),
        Step(day=2, person=("open", 1)),
        Step(day=3, rows=[A, B, C]),
        Step(day=4, rows=[A, B, C]),
    ],
    "csexport teaches the pair of an id-only row between repeats": [
        Step(day=0, rows=[A, B, C]),
        Step(day=1, rows=[A, B, C]),
        Step(day=2, export=[("OID3", "u3@contoso.com", "u3@contoso.com")]),
        Step(day=3, rows=[A, B, C]),
        Step(day=4, rows=[A, B, C]),
    ],
    "csexport of an object not in the rows, dated before": [
        Step(day=2, rows=[A, B, C]),
        Step(day=3, rows=[A, B, C]),
        Step(day=1, export=[("OID9", "u9@contoso.com", "u9@contoso.com")]),
        Step(day=4, rows=[A, B, C]),
        Step(day=5, rows=[A, B, C]),
    ],
    "future-dated repeats": [
        Step(day=0, rows=[A, B]),
        Step(day=FUTURE, rows=[A, B]),
        Step(day=FUTURE + 1, rows=[A, B]),
        Step(day=FUTURE + 2, rows=[A]),
        Step(day=FUTURE + 3, rows=[A]),
        Step(day=FUTURE + 4, rows=[A]),
    ],
    "future-dated then today's": [
        Step(day=0, rows=[A, B]),
        Step(day=FUTURE, rows=[A]),
        Step(day=1, rows=[A]),
        Step(day=2, rows=[A]),
        Step(day=FUTURE + 1, rows=[A]),
    ],
    "quarantine rows repeated": [
        Step(day=0, rows=[Q, A]),
        Step(day=1, rows=[Q, A]),
        Step(day=2, rows=[A]),
        Step(day=3, rows=[A]),
        Step(day=4, rows=[Q, A]),
        Step(day=5, rows=[Q, A]),
    ],
    "two tenants with the same rows interleaved": [
        Step(day=0, rows=[A, B], tenant="Contoso"),
        Step(day=0, rows=[A, B], tenant="Fabrikam"),
        Step(day=1, rows=[A, B], tenant="Fabrikam"),
        Step(day=1, rows=[A], tenant="Contoso"),
        Step(day=2, rows=[A, B], tenant="Contoso"),
        Step(day=2, rows=[A, B], tenant="Fabrikam"),
        Step(day=3, rows=[A, B], tenant="Contoso"),
    ],
    "one report key in two messages, other rows": [
        Step(day=0, rows=[A, B]),
        Step(day=1, rows=[A, B], msgid="same@x"),
        Step(day=1, rows=[A, B, ("u3@contoso.com", "OID3", LARGE)], msgid="same@x"),
        Step(day=2, rows=[A, B, C]),
        Step(day=3, rows=[A, B, C]),
    ],
    "the absence limit reached exactly at a repeat, then back": [
        Step(day=0, rows=[A, B, C]),
        Step(day=1, rows=[A, C]),
        Step(day=2, rows=[A, C]),  # B's second absence: resolved here, at a repeat
        Step(day=3, rows=[A, C]),
        Step(day=4, rows=[A, B, C]),
        Step(day=5, rows=[A, B, C]),
    ],
    "the same report under another key, same time": [
        Step(day=0, rows=[A, B]),
        Step(day=1, rows=[A, B], msgid="a@x"),
        Step(day=1, rows=[A, B], msgid="b@x"),
        Step(day=1, rows=[A], msgid="0@x"),
        Step(day=1, rows=[A, B], msgid="c@x"),
    ],
    "tenant spellings through the alias": [
        Step(day=0, rows=[A, B], tenant="Contoso"),
        Step(day=1, rows=[A, B], tenant="Contoso Ltd"),
        Step(day=2, rows=[A, B], tenant="contoso.onmicrosoft.com"),
        Step(day=3, rows=[A, B], tenant="CONTOSO"),
    ],
    "renamed object, an archive of the old name, repeats": [
        Step(day=1, rows=[("u1@contoso.com", "OID1", LARGE), ("", "OID1", A[2])]),
        Step(day=3, rows=[("v1@contoso.com", "OID1", LARGE), ("", "OID1", A[2])]),
        Step(day=2, rows=[("u1@contoso.com", "OID1", LARGE), ("", "OID1", A[2])]),
        Step(day=4, rows=[("v1@contoso.com", "OID1", LARGE), ("", "OID1", A[2])]),
        Step(day=5, rows=[("v1@contoso.com", "OID1", LARGE), ("", "OID1", A[2])]),
        Step(day=6, rows=[("", "OID1", A[2])]),
        Step(day=7, rows=[("", "OID1", A[2])]),
    ],
    "id-only rows first, the pair learned from another row later": [
        Step(day=0, rows=[("", "OID1", A[2]), B]),
        Step(day=1, rows=[("", "OID1", A[2]), B]),
        Step(day=2, rows=[("", "OID1", A[2]), B, ("u1@contoso.com", "OID1", LARGE)]),
        Step(day=3, rows=[("", "OID1", A[2]), B]),
        Step(day=4, rows=[("", "OID1", A[2]), B]),
    ],
    "enriched then not, same rows": [
        Step(day=0, rows=[A, B], enrich=True),
        Step(day=1, rows=[A, B], enrich=False),
        Step(day=2, rows=[A, B], enrich=True),
        Step(day=3, rows=[A, B], enrich=True),
    ],
}


@pytest.mark.parametrize("name", list(HISTORIES))
def test_history(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    every, digested = both(tmp_path, monkeypatch, HISTORIES[name])
    assert every["state.db"]["problems"]
    assert every == digested, diff(every, digested)


def _batch(folder: Path, files: list[Path]) -> dict:
    cfg = config(folder)
    pipeline.replay(files, cfg, env={})
    return {db.name: dump(db) for db in sorted((folder / "state").glob("*.db"))}


def test_many_repeats_and_an_archive_in_one_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All in one run (no ticket sync between reports), the same bytes twice among them."""
    mail = tmp_path / "mail"
    mail.mkdir()
    days = [(0, [A, B, C]), (1, [A, B, C]), (2, [A, C]), (3, [A, C]), (1, [A, B]), (4, [A, C])]
    files = []
    for n, (day, rows) in enumerate(days):
        path = mail / f"{n}.eml"
        path.write_bytes(email("Contoso", T0 + timedelta(days=day), rows, f"b{n}@x"))
        files.append(path)
    files.append(files[1])
    export = mail / "x.xml"
    export.write_bytes(csexport([("OID3", "u3@contoso.com", "u3@contoso.com")], T0))
    os.utime(export, (T0.timestamp(), T0.timestamp()))
    files.insert(3, export)
    with monkeypatch.context() as m:
        m.setattr(ingest, "rows_mark", lambda _enricher: None)
        every = _batch(tmp_path / "every", files)
    digested = _batch(tmp_path / "digested", files)
    assert every == digested, diff(every, digested)
