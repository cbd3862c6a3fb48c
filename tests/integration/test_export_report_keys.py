"""Two exports of one tenant and time that list different errors are two reports.

An export's report key is the sha256 of what it says (``problem.export_key``). Since its
errors became rows (exportmem), the key was taken from the report's header alone: every
export of one time and tenant was one report, and the second file read was "already seen",
its errors never ticketed (found by the final test run, ``test_tenant_spellings``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dirsync_bridge.pipeline import replay
from dirsync_bridge.problem import export_key

from ..exportgen import csexport
from .test_tenant_pairs import ANN, OID, START, cfg, open_tickets, put


def test_two_exports_of_one_time_listing_other_errors_are_both_read(tmp_path: Path) -> None:
    config = cfg(tmp_path / "s", default="Contoso")
    first = put(tmp_path, "a.xml", csexport([(OID, ANN, "x@contoso.com")], START))
    second = put(tmp_path, "z.xml", csexport([(OID, "zed@contoso.com", "y@contoso.com")], START))
    assert replay([first], config).parsed == 1
    done = replay([second], config)
    assert (done.parsed, done.already_seen) == (1, 0)
    summaries = sorted(v["summary"] for v in open_tickets(config).values())
    assert len(summaries) == 2, summaries


def test_an_exports_key_is_its_whole_reports_as_before(tmp_path: Path) -> None:
    # The key an earlier release recorded (of the whole report, every error a model): the
    # same export replayed after an upgrade is the report already seen, not another one.
    from dirsync_bridge.parse.csexport import parse_csexport

    raw = csexport([(OID, ANN, "x@contoso.com")], START)
    config = cfg(tmp_path / "s", default="Contoso")
    replay([put(tmp_path, "a.xml", raw)], config)
    whole = parse_csexport(raw, "a.xml")
    whole = whole.model_copy(update={"tenant": "Contoso"})
    ledgers = list((tmp_path / "s").rglob("*.db"))
    keys = {
        str(key)
        for ledger in ledgers
        for (key,) in sqlite3.connect(ledger).execute("SELECT key FROM reports")
    }
    assert export_key(whole, "") in keys, keys
