"""A ledger carried over from before the ``history`` table keeps its sightings in the old
``sightings`` table (migration 0007: "``sightings`` written before stay, and are read
alongside"). An identity merge (``IdentityLedger._retire_into``) must move them with the
history rows: once it moved only ``history``, and the survivor was folded again without
the id-only problem's old sightings (its first sighting lost; from the second review of
the listings)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from dirsync_bridge import bootstrap, pipeline
from dirsync_bridge.ledger.store import Ledger

from ..exportgen import csexport
from ..reportgen import LARGE
from .digest_histories import T0, config, email

ALONE = ("", "OID7", LARGE)


def _first_seen(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT json_extract(data, '$.object_key'), first_at FROM problems "
            "WHERE merged_into IS NULL AND data LIKE '%u7@%'"
        ).fetchall()
    finally:
        conn.close()


def _run(tmp_path: Path, legacy: bool) -> Path:
    cfg = config(tmp_path / "ledger")
    mail = tmp_path / "mail"
    mail.mkdir()
    first = mail / "1.eml"
    first.write_bytes(email("Contoso", T0 + timedelta(days=1), [ALONE], "legacy1@x"))
    pipeline.replay([first], cfg, env={}, enrich=False)
    db = cfg.state.path
    if legacy:
        # The day-1 sighting as a ledger from before the history table holds it.
        ledger = Ledger.open(db)
        try:
            ledger.use_rules(bootstrap.policy(cfg))
            (fp,) = [str(r[0]) for r in ledger.conn.execute("SELECT fingerprint FROM problems")]
            seen = ledger.sightings(fp)
            assert len(seen) == 1
            ledger.conn.execute("BEGIN")
            ledger.conn.execute(
                "INSERT INTO sightings (fingerprint, report_key, data) VALUES (?, ?, ?)",
                (fp, seen[0].report_key, seen[0].model_dump_json()),
            )
            ledger.conn.execute("DELETE FROM history")
            ledger.conn.execute("COMMIT")
            assert len(ledger.sightings(fp)) == 1  # read alongside, as the code says
        finally:
            ledger.close()
    export = mail / "2.xml"
    at = T0 + timedelta(days=2)
    export.write_bytes(csexport([("OID7", "u7@contoso.com", "u7@contoso.com")], at))
    import os

    os.utime(export, (at.timestamp(), at.timestamp()))
    pipeline.replay([export], cfg, env={}, enrich=False)
    return db


EXPECTED = ["2021-03-02T06:00:00.000000Z", "2021-03-03T06:00:00.000000Z"]
"""The email's problem (merged into u7's, first seen day 1) and the csexport's own."""


def test_control_merge_keeps_day_one(tmp_path: Path) -> None:
    got = _first_seen(_run(tmp_path, legacy=False))
    assert sorted(str(at) for _k, at in got) == EXPECTED, got


def test_legacy_sightings_follow_a_merge(tmp_path: Path) -> None:
    """The survivor is first seen on day 1, with the email's sighting (it was folded from
    nothing, the day-1 sighting left under the retired fingerprint)."""
    got = _first_seen(_run(tmp_path, legacy=True))
    assert sorted(str(at) for _k, at in got) == EXPECTED, got
