"""The ledger's identity pairs: which identity an on-premises object id belongs to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge import sqlite
from dirsync_bridge.fingerprint import fingerprint
from dirsync_bridge.ledger.schema import MIGRATIONS
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.lifecycle import Policy
from dirsync_bridge.models import Report
from dirsync_bridge.problem import sightings

POLICY = Policy(resolve_after_reports=3, reopen_within=timedelta(days=30), never_reopen=frozenset())
AT = datetime(2026, 7, 1, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    opened = Ledger.open(tmp_path / "state.db")
    opened.use_rules(POLICY)
    return opened


def test_pairs_are_per_tenant_and_an_object_renamed_belongs_to_its_least_identity(
    ledger: Ledger,
) -> None:
    assert ledger.learn_identities("Contoso", [("OID==", "zed@contoso.com")]) == 0
    assert ledger.identities("contoso ", ["OID=="]) == {"OID==": "zed@contoso.com"}
    ledger.learn_identities("Contoso", [("OID==", "Amy@contoso.com"), ("OID==", "zed@contoso.com")])
    assert ledger.identities("Contoso", ["OID==", "other"]) == {"OID==": "Amy@contoso.com"}
    assert ledger.identities("Fabrikam", ["OID=="]) == {}
    assert ledger.learn_identities("Contoso", [("  ", "x@y"), ("OID2==", "  ")]) == 0
    assert ledger.identities("Contoso", ["OID2=="]) == {}


def test_an_object_id_problem_is_merged_when_its_pair_is_learned(ledger: Ledger) -> None:
    report = Report.model_validate(
        {
            "source": "ev.xml",
            "source_kind": "eventlog",
            "complete": False,
            "tenant": "Contoso",
            "sync_completed_at": AT,
            "errors": [{"kind": "LargeObject", "object_id": "OID==", "message": "too large"}],
        }
    )
    (found,) = sightings(report, "r1")
    by_id = fingerprint("Contoso", "large-object", "object-id:OID==")
    assert found.problem.fingerprint == by_id
    ledger.record_report("m1", "r1", "Contoso", AT, "ev.xml", [found])
    assert ledger.learn_identities("Contoso", [("OID==", "ann@contoso.com")]) == 1
    survivor = fingerprint("Contoso", "large-object", "identity:ann@contoso.com")
    assert ledger.merged_into(by_id) == survivor and ledger.merged_into(survivor) is None
    assert ledger.episodes(by_id) == [] and ledger.sightings(by_id) == []
    assert [s.report_key for s in ledger.sightings(survivor)] == ["r1"]
    assert ledger.problem(survivor).identity == "ann@contoso.com"
    assert len(ledger.episodes(survivor)) == 1
    assert {by_id, survivor} <= set(ledger.dirty())
    # Known now: the same event read again is the identity's problem.
    (again,) = sightings(report, "r2", ledger.identities("Contoso", ["OID=="]))
    assert again.problem.fingerprint == survivor


def test_several_object_id_problems_are_merged_by_one_lesson(ledger: Ledger) -> None:
    errors = [
        {"kind": kind, "object_id": object_id, "message": "m"}
        for object_id in ("A==", "B==")
        for kind in ("LargeObject", "InvalidHardMatch")
    ]
    report = Report.model_validate(
        {"source": "ev.xml", "tenant": "Contoso", "sync_completed_at": AT, "errors": errors}
    )
    ledger.record_report("m1", "r1", "Contoso", AT, "ev.xml", sightings(report, "r1"))
    pairs = [("A==", "ann@contoso.com"), ("B==", "bob@contoso.com")]
    assert ledger.learn_identities("Contoso", pairs) == 4


def test_a_ledger_from_before_identity_pairs_can_still_be_read(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    older = sqlite.connect(path, MIGRATIONS[:-1], sqlite.LEDGER)  # an older release's
    older.close()
    reader = Ledger.open_readonly(path)  # ``tickets`` before the next run migrates it
    try:
        assert list(reader.tickets()) == []
    finally:
        reader.close()
    Ledger.open(path).close()  # the next writer adds the table
    assert Ledger.open_readonly(path).identities("Contoso", ["A=="]) == {}


def test_a_reports_thousand_pairs_are_looked_up_a_few_hundred_at_a_time_and_merged_in_order(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = [
        {"kind": "LargeObject", "object_id": f"OID{n:04}==", "message": "m"} for n in (700, 5)
    ]
    report = Report.model_validate(
        {"source": "ev.xml", "tenant": "Contoso", "sync_completed_at": AT, "errors": errors}
    )
    ledger.record_report("m1", "r1", "Contoso", AT, "ev.xml", sightings(report, "r1"))
    looked_up: list[int] = []
    merged: list[str] = []
    live, merge = Ledger._live, Ledger._merge
    monkeypatch.setattr(
        Ledger, "_live", lambda self, fps: looked_up.append(len(fps)) or live(self, fps)
    )
    monkeypatch.setattr(Ledger, "_merge", lambda self, *a: merged.append(a[2]) or merge(self, *a))
    pairs = [(f"OID{n:04}==", f"u{n}@contoso.com") for n in range(1000)]
    assert ledger.learn_identities("Contoso", pairs) == 2
    # A fingerprint of each object id in every family, never all the report's at once.
    assert 0 < max(looked_up) <= 500 * 8
    assert merged == ["OID0700==", "OID0005=="]  # in the problems' order, as all at once
    by_id = fingerprint("Contoso", "large-object", "object-id:OID0700==")
    assert ledger.merged_into(by_id) == fingerprint(
        "Contoso", "large-object", "identity:u700@contoso.com"
    )


def test_an_object_renamed_belongs_to_its_newest_pair_whatever_the_reading_order(
    ledger: Ledger,
) -> None:
    """O was ann@, then zed@, then ann@ again (renamed back): the pair of the latest report
    wins, learned in any order; a pair seen again takes the later of its times."""
    day = timedelta(days=1)
    ledger.learn_identities("Contoso", [("OID==", "zed@contoso.com")], AT + day)
    ledger.learn_identities("Contoso", [("OID==", "ann@contoso.com")], AT)
    assert ledger.identities("Contoso", ["OID=="]) == {"OID==": "zed@contoso.com"}
    ledger.learn_identities("Contoso", [("OID==", "ann@contoso.com")], AT + 2 * day)
    assert ledger.identities("Contoso", ["OID=="]) == {"OID==": "ann@contoso.com"}
    ledger.learn_identities("Contoso", [("OID==", "zed@contoso.com")], AT)  # older: no say
    assert ledger.identities("Contoso", ["OID=="]) == {"OID==": "ann@contoso.com"}


def test_a_merge_reads_the_history_by_its_key_never_the_whole_table(ledger: Ledger) -> None:
    """History is keyed by report, then problem: a year of a large tenant's is millions of
    rows, and a merge (each id-only problem a lesson or a tenant join retires) read it whole
    (from the third review of the listings: a join of 10,000 objects took 83 s)."""
    report = Report.model_validate(
        {
            "source": "ev.xml",
            "tenant": "Contoso",
            "sync_completed_at": AT,
            "errors": [{"kind": "LargeObject", "object_id": "OID==", "message": "too large"}],
        }
    )
    ledger.record_report("m1", "r1", "Contoso", AT, "ev.xml", sightings(report, "r1"))
    ran: list[str] = []
    ledger.conn.set_trace_callback(ran.append)
    assert ledger.learn_identities("Contoso", [("OID==", "ann@contoso.com")]) == 1
    ledger.conn.set_trace_callback(None)
    writes = [s for s in ran if s.lstrip().upper().startswith(("UPDATE", "DELETE"))]
    on_history = [s for s in writes if " history " in f" {s} "]
    assert len(on_history) >= 2  # the sighting moved, the rest dropped
    for statement in on_history:
        plan = [str(row[-1]) for row in ledger.conn.execute(f"EXPLAIN QUERY PLAN {statement}")]
        assert not any(step.startswith("SCAN history") for step in plan), (statement, plan)
