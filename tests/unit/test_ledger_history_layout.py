"""History rows are keyed by report, then problem (migration 0008-scale): a report's rows are
written together at the table's end, and a problem's rows are still found, through its
tenant's reports, without reading the whole table."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from dirsync_bridge import sqlite
from dirsync_bridge.ledger.schema import MIGRATIONS
from dirsync_bridge.ledger.store import Ledger
from tests.unit.test_state import POLICY, T0, sighting


def _record(ledger: Ledger, days: int, problems: int) -> None:
    for day in range(days):
        at, report = T0 + timedelta(days=day), f"<r{day}>"
        found = [sighting(f"fp{n}", report, at) for n in range(problems)]
        ledger.record_report(f"<m{day}>", report, "Contoso", at, f"{day}.eml", found)


def test_history_is_keyed_by_report_then_problem(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    (index,) = ledger.conn.execute("PRAGMA index_list(history)").fetchall()
    columns = [row[2] for row in ledger.conn.execute(f"PRAGMA index_info({index[1]})")]
    assert columns == ["report", "problem"]
    ledger.close()


def test_a_problems_rows_are_read_by_key_not_by_scanning_the_history(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    ledger.use_rules(POLICY)
    _record(ledger, days=4, problems=3)
    queries: list[str] = []
    ledger.conn.set_trace_callback(queries.append)
    assert len(ledger.sightings("fp1")) == 4
    ledger.conn.set_trace_callback(None)
    (query,) = [q for q in queries if "history h" in q]
    plan = " | ".join(
        str(row[3]) for row in ledger.conn.execute(f"EXPLAIN QUERY PLAN {query}").fetchall()
    )
    assert "SCAN h" not in plan, plan
    assert "SEARCH h USING PRIMARY KEY (report=? AND problem=?)" in plan, plan
    ledger.close()


def test_a_ledger_of_the_old_layout_keeps_its_history(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    old = Ledger(sqlite.connect(path, MIGRATIONS[:7], sqlite.LEDGER))  # up to 0007
    old.use_rules(POLICY)
    _record(old, days=3, problems=2)
    before = {fp: sorted(s.model_dump_json() for s in old.sightings(fp)) for fp in ("fp0", "fp1")}
    old.close()
    again = Ledger.open(path)  # runs 0008-scale
    after = {fp: sorted(s.model_dump_json() for s in again.sightings(fp)) for fp in ("fp0", "fp1")}
    assert after == before and len(after["fp0"]) == 3
    sql = again.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'history'").fetchone()[0]
    assert "PRIMARY KEY (report, problem)" in sql
    again.close()
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
