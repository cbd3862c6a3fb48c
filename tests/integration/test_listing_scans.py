"""Graph provisioning scans (coverage "quarantined", pairs taught) interleaved with email
reports that repeat the newest's rows (the listing shortcut); both paths end alike."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge import bootstrap, ingest, pipeline
from dirsync_bridge.models import Report
from dirsync_bridge.pipeline import run_pass

from ..reportgen import LARGE, quarantine
from .digest_histories import T0, config, diff, dump, email
from .test_cross_source import Scan

Q = ("q1@contoso.com", "", quarantine("UserPrincipalName", "q1@contoso.com"))
QO = ("", "OIDQ", quarantine("UserPrincipalName", "q2@contoso.com"))
B = ("u2@contoso.com", "", LARGE)


def _scan(day: float, users: list[tuple[str, str]]) -> Report:
    return Report.model_validate(
        {
            "source": "graph:provisioning",
            "source_kind": "graph-provisioning",
            "tenant": "Contoso",
            "sent_at": T0 + timedelta(days=day),
            "complete": True,
            "errors": [
                {
                    "kind": "QuarantinedAttributeValueMustBeUnique",
                    "kind_stated": True,
                    "identity": who,
                    "object_id": oid or None,
                    "conflicts": [{"attribute": "UserPrincipalName", "values": [who]}],
                    "message": "quarantined",
                }
                for who, oid in users
            ],
        }
    )


STEPS: list[tuple[str, Any]] = [
    ("mail", (0, [Q, QO, B])),
    ("mail", (1, [Q, QO, B])),
    ("scan", (1.5, [("q1@contoso.com", "")])),
    ("mail", (2, [Q, QO, B])),
    ("mail", (3, [Q, QO, B])),
    ("scan", (3.5, [])),
    ("scan", (3.6, [])),
    ("mail", (4, [Q, QO, B])),
    ("scan", (4.5, [("q2@contoso.com", "OIDQ")])),  # teaches OIDQ's pair
    ("mail", (5, [Q, QO, B])),
    ("mail", (6, [Q, QO, B])),
]


def _play(folder: Path, mail: Path) -> dict[str, Any]:
    cfg = config(folder)
    for n, (kind, (day, what)) in enumerate(STEPS):
        if kind == "mail":
            path = mail / f"{n}.eml"
            path.write_bytes(email("Contoso", T0 + timedelta(days=day), what, f"s{n}@x"))
            pipeline.replay([path], cfg, env={})
        else:
            with bootstrap.build(cfg, {}, dry_run=False, enrich=False) as parts:
                run_pass(Scan(_scan(day, what)), parts)
    return {db.name: dump(db) for db in sorted((folder / "state").glob("*.db"))}


def test_scans_between_repeats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    with monkeypatch.context() as m:
        m.setattr(ingest, "rows_mark", lambda _enricher: None)
        every = _play(tmp_path / "every", mail)
    digested = _play(tmp_path / "digested", mail)
    assert every == digested, diff(every, digested)
