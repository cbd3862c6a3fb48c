"""History rows are keyed by report, then problem (migration 0008-scale): a report's rows are
written together at the table's end, and a problem's rows are still found, through its
tenant's reports, without reading the whole table."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

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


def _as_0007(path: Path) -> None:
    """The ledger at ``path`` as 0007 left it: history keyed by problem, states in their rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(
        """BEGIN;
        CREATE TABLE old (problem INTEGER NOT NULL, report INTEGER NOT NULL,
            details INTEGER NOT NULL, texts INTEGER NOT NULL,
            PRIMARY KEY (problem, report)) WITHOUT ROWID;
        INSERT INTO old SELECT problem, report, details, texts FROM history;
        DROP TABLE history; ALTER TABLE old RENAME TO history;
        UPDATE problems SET state = (SELECT s.state FROM problem_states s
            WHERE s.problem = problems.rowid);
        DROP TABLE problem_states;
        DELETE FROM migrations WHERE name = '0008-scale';
        COMMIT;"""
    )
    conn.close()


def test_a_ledger_of_the_old_layout_keeps_its_history(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    new = Ledger.open(path)
    new.use_rules(POLICY)
    _record(new, days=3, problems=2)
    before = {fp: sorted(s.model_dump_json() for s in new.sightings(fp)) for fp in ("fp0", "fp1")}
    episodes = {fp: new.episodes(fp) for fp in ("fp0", "fp1")}
    new.close()
    _as_0007(path)
    again = Ledger.open(path)  # runs 0008-scale
    after = {fp: sorted(s.model_dump_json() for s in again.sightings(fp)) for fp in ("fp0", "fp1")}
    assert after == before and len(after["fp0"]) == 3
    again.use_rules(POLICY)
    assert {fp: again.episodes(fp) for fp in ("fp0", "fp1")} == episodes  # states moved too
    sql = again.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'history'").fetchone()[0]
    assert "PRIMARY KEY (report, problem)" in sql
    again.close()
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_problems_row_stays_small_its_state_kept_apart(tmp_path: Path) -> None:
    # Every report that lists a problem rewrites its row (last seen): kilobytes of state in
    # it made a daily report of 50,000 problems write 185 MB of log.
    ledger = Ledger.open(tmp_path / "state.db")
    ledger.use_rules(POLICY)
    _record(ledger, days=3, problems=2)
    widest = ledger.conn.execute("SELECT max(length(state)) FROM problems").fetchone()[0]
    assert widest == 0
    kept = ledger.conn.execute("SELECT count(*), min(length(state)) FROM problem_states")
    assert tuple(kept.fetchone()) >= (2, 100)
    assert ledger.episodes("fp1")[0].occurrences == 3
    ledger.close()
