"""The ledger: migrations, messages, reports per tenant, dirty flags, intents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.errors import Retriable, SinkMismatch
from dirsync_bridge.ledger.lock import RunLock
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.lifecycle import Policy
from dirsync_bridge.ports import Applied, TicketFacts
from dirsync_bridge.problem import Details, Problem, Sighting

T0 = datetime(2020, 1, 1, tzinfo=UTC)


def sighting(fp: str, report: str, at: datetime, tenant: str = "Contoso") -> Sighting:
    return Sighting(
        problem=Problem(
            fingerprint=fp, tenant=tenant, family="duplicate", identity=f"{fp}@x.com", object_key=fp
        ),
        report_key=report,
        at=at,
        details=Details(kinds=("AttributeValueMustBeUnique",)),
        messages=("m",),
        tracking_ids=(),
        source=f"{report}.eml",
        subject=None,
    )


POLICY = Policy(resolve_after_reports=3, reopen_within=timedelta(days=30), never_reopen=frozenset())


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    opened = Ledger.open(tmp_path / "state.db")
    opened.use_rules(POLICY)
    return opened


def test_migrations_are_recorded_by_name_and_run_once(tmp_path: Path) -> None:
    Ledger.open(tmp_path / "state.db").close()
    again = Ledger.open(tmp_path / "state.db")
    names = [r[0] for r in again.conn.execute("SELECT name FROM migrations ORDER BY rowid")]
    assert names == [
        "0001-ledger",
        "0002-resolutions",
        "0003-mailbox",
        "0004-store-pairing",
        "0005-intent-reach-by",
        "0006-ticket-sink",
        "0007-incremental-lifecycle",
        "0008-report-coverage",
        "0008-jira-links",
        "0008-identity-pairs",
        "0008-scale",
        "0008-f13",
        "0008-ticket-audit",
        "0008-t13",
        "0009-row-digests",
        "0010-listings",
        "0011-listed-in",
        "0012-tenant-joins",
        "0013-rejoin-strays",
        "0014-merged-index",
        "0015-merge-chains",
        "0016-moved-keys",
        "0017-local-store",
        "0018-imported-revision",
        "0019-recheck-verified",
        "0020-rejections-named",
        "0021-unlinks",
    ]
    assert again.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_report_is_pending_until_marked_processed(ledger: Ledger) -> None:
    assert ledger.record_report("<m1>", "<r1>", "Contoso", T0, "a.eml", [sighting("a", "<r1>", T0)])
    assert ledger.message_status("<m1>") == "pending"
    assert ledger.mark_processed() == 1
    assert ledger.message_status("<m1>") == "processed"
    assert ledger.message_status("<unknown>") is None


def test_the_same_report_through_another_message_is_recorded_once(ledger: Ledger) -> None:
    assert ledger.record_report("<m1>", "<r1>", "Contoso", T0, "a.eml", [sighting("a", "<r1>", T0)])
    assert not ledger.record_report(
        "<m2>", "<r1>", "Contoso", T0, "b.eml", [sighting("a", "<r1>", T0)]
    )
    assert len(ledger.timeline("Contoso")) == 1


def test_rejections_are_kept_with_their_reason(ledger: Ledger) -> None:
    ledger.record_rejected("sha256:x", "x.eml", "untrusted-sender: nope")
    assert ledger.message_status("sha256:x") == "rejected"
    assert ledger.counts() == {"rejected": 1}


def test_timeline_is_per_tenant_in_report_time_order_whatever_the_spelling(ledger: Ledger) -> None:
    later, earlier = T0 + timedelta(hours=3), T0
    ledger.record_report("<m2>", "<r2>", "Contoso", later, "b.eml", [])
    ledger.record_report("<m1>", "<r1>", " contoso ", earlier, "a.eml", [])
    ledger.record_report("<m3>", "<r3>", "Fabrikam", earlier, "c.eml", [])
    assert [key for _at, key in ledger.timeline("CONTOSO")] == ["<r1>", "<r2>"]


def test_a_report_flags_only_the_problems_it_changes(ledger: Ledger) -> None:
    both = [sighting("a", "<r1>", T0, "T"), sighting("b", "<r1>", T0, "T")]
    ledger.record_report("<m1>", "<r1>", "T", T0, "a.eml", both)
    assert sorted(ledger.dirty()) == ["a", "b"]  # new: tickets to create
    for fp in ("a", "b"):
        ledger.finish_problem(fp, "open", {})
    # A later report listing b unchanged, a absent once (of the three that resolve it).
    later = T0 + timedelta(hours=1)
    ledger.record_report("<m2>", "<r2>", "T", later, "b.eml", [sighting("b", "<r2>", later, "T")])
    assert ledger.dirty() == []
    # An archive report slotted between them, listing neither: both spans hold it.
    between = T0 + timedelta(minutes=30)
    ledger.record_report("<m0>", "<r0>", "T", between, "c.eml", [])
    assert sorted(ledger.dirty()) == ["a", "b"]


def test_absent_from_enough_later_reports_a_problem_is_resolved_by_its_state(
    ledger: Ledger,
) -> None:
    ledger.record_report("<m1>", "<r1>", "T", T0, "a.eml", [sighting("a", "<r1>", T0, "T")])
    ledger.finish_problem("a", "open", {})
    for hour in (1, 2):
        at = T0 + timedelta(hours=hour)
        ledger.record_report(f"<m{hour}x>", f"<r{hour}x>", "T", at, "b.eml", [])
        assert ledger.dirty() == [] and ledger.episodes("a")[0].status == "open"
    at = T0 + timedelta(hours=3)
    ledger.record_report("<m3x>", "<r3x>", "T", at, "b.eml", [])
    assert ledger.dirty() == ["a"]
    (episode,) = ledger.episodes("a")
    assert episode.status == "resolved"
    assert [c.key for c in episode.comments] == ["0:resolved:0"]


def test_an_unfinished_write_is_settled_from_what_the_sink_holds(ledger: Ledger) -> None:
    ledger.record_report("<m1>", "<r1>", "T", T0, "a.eml", [sighting("a", "<r1>", T0, "T")])
    ledger.finish_problem("a", "open", {})
    intent = ledger.begin("a", 0, "a:0", "create")
    [pending] = ledger.pending_intents()
    assert (pending.id, pending.operation) == (intent, "create")
    found = Applied(key="LOCAL-1", idempotency_key="a:0", status="open", content_digest="d")
    ledger.settle(pending, found)
    assert ledger.pending_intents() == []
    assert ledger.applied("a")[0].key == "LOCAL-1"
    assert ledger.dirty() == ["a"]


def test_an_intent_records_the_latest_moment_its_write_may_reach_the_sink_at_once(
    ledger: Ledger, tmp_path: Path
) -> None:
    intent = ledger.begin("a", 0, "a:0", "create")
    [pending] = ledger.pending_intents()
    assert pending.reach_by is None and pending.written_at == pending.created_at
    later = pending.created_at + timedelta(seconds=38)  # an attempt after 429s, + its timeout
    ledger.reach_by(intent, later)
    other = Ledger.open(tmp_path / "state.db")  # another connection: committed already
    [sent] = other.pending_intents()
    other.close()
    assert sent.reach_by == later and sent.written_at == later
    answered = pending.created_at + timedelta(seconds=8)  # answered: it reached the sink
    ledger.reach_by(intent, answered)
    [done] = ledger.pending_intents()
    assert done.written_at == answered


def test_a_ledger_keeps_the_sink_its_tickets_were_written_to(ledger: Ledger) -> None:
    ledger.keep_with_sink("local")
    ledger.keep_with_sink("jira")  # no ticket yet: any sink will do, the last one is kept
    ledger.record_report("<m1>", "<r1>", "T", T0, "a.eml", [sighting("a", "<r1>", T0, "T")])
    ledger.begin("a", 0, "a:0", "create")  # a create in flight counts as a ticket
    with pytest.raises(SinkMismatch) as caught:
        ledger.keep_with_sink("local")
    assert "tickets are in Jira, not in the local ticket store" in str(caught.value)
    assert "--sink jira" in str(caught.value)
    ledger.keep_with_sink("jira")


@pytest.mark.parametrize(("keys", "kept"), [(["LOCAL-1", "LOCAL-2"], "local"), (["OPS-1"], "jira")])
def test_a_ledger_from_before_the_sink_record_tells_its_sink_by_its_keys(
    ledger: Ledger, keys: list[str], kept: str
) -> None:
    ledger.record_report("<m1>", "<r1>", "T", T0, "a.eml", [sighting("a", "<r1>", T0, "T")])
    for episode, key in enumerate(keys):
        applied = Applied(
            key=key, idempotency_key=f"a:{episode}", status="open", content_digest="d"
        )
        ledger.done(None, "a", episode, applied)
    other = "jira" if kept == "local" else "local"
    with pytest.raises(SinkMismatch):
        ledger.keep_with_sink(other)
    ledger.keep_with_sink(kept)


def test_tickets_listing_carries_the_ledger_facts(ledger: Ledger) -> None:
    ledger.record_report("<m1>", "<r1>", "T", T0, "a.eml", [sighting("a", "<r1>", T0, "T")])
    applied = Applied(
        key="LOCAL-1",
        idempotency_key="a:0",
        status="open",
        content_digest="d",
        comments={"0:changed:0": "h"},
    )
    facts = TicketFacts("summary", "AttributeValueMustBeUnique", "a@x.com", "T", T0, T0, 1)
    ledger.done(None, "a", 0, applied, facts)
    [row] = ledger.tickets("open")
    assert (row.key, row.summary, row.comments, row.occurrences, row.first_seen) == (
        "LOCAL-1",
        "summary",
        1,
        1,
        T0,
    )
    assert list(ledger.tickets("resolved")) == []


def test_a_second_run_cannot_take_the_lock(tmp_path: Path) -> None:
    with (
        RunLock(tmp_path / "run.lock"),
        pytest.raises(Retriable, match="another dirsync-bridge run holds"),
        RunLock(tmp_path / "run.lock"),
    ):
        pass
    with RunLock(tmp_path / "run.lock"):  # released: free again
        pass


def test_writes_recorded_as_done_are_counted_for_the_paired_store(ledger: Ledger) -> None:
    ledger.record_report("<m1>", "<r1>", "T", T0, "a.eml", [sighting("a", "<r1>", T0, "T")])
    applied = Applied(key="LOCAL-1", idempotency_key="a:0", status="open", content_digest="d")
    ledger.done(None, "a", 0, applied)
    assert ledger.store_pairing() is None  # not kept with a local store: nothing to count
    ledger.pair_store("s1", 5)
    intent = ledger.begin("a", 0, "a:0", "update")
    ledger.done(intent, "a", 0, applied)
    assert ledger.store_pairing() == ("s1", 6)
    ledger.begin("a", 0, "a:0", "update")  # a write begun, not done: not counted
    assert ledger.store_pairing() == ("s1", 6)
    assert ledger.pending_tickets() == {("a", 0)}
