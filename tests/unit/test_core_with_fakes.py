"""The core and the pass loop against in-memory fakes of the ports (``tests/fakes.py``).

No server, no template engine: the enricher over two ``Directory`` fakes, and one
``run_pass`` from a ``Source`` fake to a ``Sink`` fake through the real ledger.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge import bootstrap
from dirsync_bridge.config.settings import Config
from dirsync_bridge.enrich.enricher import Enricher
from dirsync_bridge.errors import Retriable
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.models import Conflict, DuplicateError, Report
from dirsync_bridge.pipeline import run_pass
from dirsync_bridge.ports import RawMessage
from dirsync_bridge.run_summary import RunSummary
from dirsync_bridge.sources.chain import SourceChain

from ..fakes import ListSource, MemoryDirectory, MemorySink, PlainTexts, cloud_user
from ..reportgen import duplicate, quarantine, report_email

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
ANN = "SMTP:ann@contoso.com"
BOB = "SMTP:bob@contoso.com"


def conflicts(*values: str) -> tuple[Conflict, ...]:
    return (Conflict(attribute="ProxyAddresses", values=values),)


def test_the_enricher_asks_every_directory_and_names_the_one_that_failed() -> None:
    cloud = MemoryDirectory("cloud", {ANN: [cloud_user(ANN, "ann.cloud@contoso.com")]})
    onprem = MemoryDirectory("onprem", failing={ANN})
    enricher = Enricher([cloud, onprem])

    facts = enricher.enrich("duplicate", "ann@contoso.com", conflicts(ANN))

    assert [h.value for h in facts.holders] == [ANN]
    assert facts.looked_up == ("cloud",)
    assert facts.unavailable == ("onprem: onprem is down",)
    assert facts.advice.code == "cloud-only-holder"


def test_a_directory_that_failed_is_not_asked_again_in_the_run() -> None:
    onprem = MemoryDirectory("onprem", failing={ANN})
    enricher = Enricher([onprem])
    enricher.enrich("duplicate", "ann@contoso.com", conflicts(ANN))
    facts = enricher.enrich("duplicate", "bob@contoso.com", conflicts(BOB))
    assert onprem.asked == [ANN]
    assert facts.unavailable == ("onprem: onprem is down",) and facts.looked_up == ()


def test_without_directories_nothing_is_looked_up_and_closing_closes_them_all() -> None:
    assert Enricher().enrich("duplicate", "a@b.com", conflicts(ANN)).looked_up == ()
    directories = [MemoryDirectory("cloud"), MemoryDirectory("onprem")]
    Enricher(directories).close()
    assert all(d.closed for d in directories)


def parts(tmp_path: Path, ledger: Ledger, sink: MemorySink) -> bootstrap.Parts:
    config = Config.model_validate({"state": {"path": str(tmp_path / "state.db")}})
    ledger.use_rules(bootstrap.policy(config))
    return bootstrap.Parts(
        config=config,
        ledger=ledger,
        book=ledger,
        sink=sink,
        texts=PlainTexts(),
        policy=bootstrap.policy(config),
        enricher=None,
        verify=None,
        graph=None,
        progress=None,
        dry_run=False,
    )


def message(day: int, *rows: tuple[str, str]) -> RawMessage:
    raw = report_email("Contoso", T0 + timedelta(days=day), rows, f"<r{day}@contoso.com>")
    return RawMessage(f"report-{day}.eml", raw)


def test_one_pass_from_a_source_to_a_sink_and_a_second_pass_writes_nothing(
    tmp_path: Path,
) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    sink = MemorySink()
    messages = [
        message(0, ("ann@contoso.com", duplicate("ProxyAddresses", ANN))),
        message(1, ("ann@contoso.com", duplicate("ProxyAddresses", ANN, BOB))),
    ]
    try:
        source = ListSource(messages)
        summary = run_pass(source, parts(tmp_path, ledger, sink))
        assert (summary.parsed, summary.created, summary.commented) == (2, 1, 1)
        assert [op for op, _ in sink.writes] == ["create", "comment 0:changed:0"]
        assert source.outcomes == [("report-0.eml", "processed"), ("report-1.eml", "processed")]
        assert source.finished

        again = ListSource(messages)
        summary = run_pass(again, parts(tmp_path, ledger, sink))
        assert (summary.already_seen, summary.created, summary.commented) == (2, 0, 0)
        assert len(sink.writes) == 2
    finally:
        ledger.close()


def test_absent_from_enough_reports_the_ticket_is_resolved_through_the_sink(
    tmp_path: Path,
) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    sink = MemorySink()
    other = ("bob@contoso.com", duplicate("ProxyAddresses", BOB))
    first = message(0, ("ann@contoso.com", duplicate("ProxyAddresses", ANN)), other)
    later = [message(day, other) for day in (1, 2, 3)]
    try:
        run_pass(ListSource([first, *later]), parts(tmp_path, ledger, sink))
        ann = next(
            t for t in sink.tickets.values() if t.content.summary.endswith("ann@contoso.com")
        )
        assert ann.status == "resolved"
        assert list(ann.comments) == ["0:resolved:0"]
    finally:
        ledger.close()


def graph_report(day: int, *users: str, complete: bool = True) -> Report:
    """A report as the Graph provisioning source builds it: a proxy address quarantined on
    each user."""
    errors = [
        DuplicateError(
            kind="QuarantinedAttributeValueMustBeUnique",
            kind_stated=True,
            identity=user,
            conflicts=conflicts(f"SMTP:{user}"),
            message="quarantined",
        )
        for user in users
    ]
    return Report(
        source="graph:provisioning-errors",
        sent_at=T0 + timedelta(days=day),
        tenant="Contoso",
        source_kind="graph-provisioning",
        complete=complete,
        errors=tuple(errors),
    )


def test_a_report_a_source_built_is_recorded_as_it_is_and_an_unchanged_one_writes_nothing(
    tmp_path: Path,
) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    sink = MemorySink()
    try:
        first = ListSource([graph_report(0, "ann@contoso.com", "bob@contoso.com")])
        summary = run_pass(first, parts(tmp_path, ledger, sink))
        assert (summary.parsed, summary.created) == (0, 2)  # no message was parsed
        assert first.outcomes == [("graph:provisioning-errors", "processed")]
        assert first.finished
        summaries = sorted(t.content.summary for t in sink.tickets.values())
        assert summaries == ["duplicate: ann@contoso.com", "duplicate: bob@contoso.com"]

        again = ListSource([graph_report(1, "ann@contoso.com", "bob@contoso.com")])
        summary = run_pass(again, parts(tmp_path, ledger, sink))
        assert (summary.created, summary.commented, summary.resolved) == (0, 0, 0)
        assert len(sink.writes) == 2
        assert again.outcomes == [("graph:provisioning-errors", "processed")]
    finally:
        ledger.close()


def test_a_built_reports_holders_are_looked_up_only_for_problems_without_an_open_ticket(
    tmp_path: Path,
) -> None:
    # A scan repeats every pass: looking every value up again each time would cost three
    # look-ups per quarantined value per pass.
    ledger = Ledger.open(tmp_path / "state.db")
    sink = MemorySink()
    cloud = MemoryDirectory("cloud", {"SMTP:ann@contoso.com": [cloud_user(ANN, "x@c.com")]})
    try:
        with_lookups = parts(tmp_path, ledger, sink)
        with_lookups = dataclasses.replace(with_lookups, enricher=Enricher([cloud]))
        run_pass(ListSource([graph_report(0, "ann@contoso.com")]), with_lookups)
        assert cloud.asked == ["SMTP:ann@contoso.com"]
        run_pass(ListSource([graph_report(1, "ann@contoso.com", "bob@contoso.com")]), with_lookups)
        assert cloud.asked == ["SMTP:ann@contoso.com", "SMTP:bob@contoso.com"]
        assert [op for op, _ in sink.writes] == ["create", "create"]
    finally:
        ledger.close()


class FailingToFinish(ListSource):
    """A source whose ``finish`` fails (a scan that stopped at a page), once it has noted it."""

    def finish(self, summary: RunSummary) -> None:
        super().finish(summary)
        raise Retriable("a page failed")


def test_a_chain_of_sources_routes_each_outcome_and_finishes_every_source_after_a_failure(
    tmp_path: Path,
) -> None:
    ledger = Ledger.open(tmp_path / "state.db")
    sink = MemorySink()
    scan = FailingToFinish([graph_report(0, "ann@contoso.com")], name="graph")
    mail = ListSource([message(0, ("bob@contoso.com", duplicate("ProxyAddresses", BOB)))])
    try:
        chain = SourceChain([scan, mail])
        assert chain.name == "graph + list"
        with pytest.raises(Retriable, match="a page failed"):
            run_pass(chain, parts(tmp_path, ledger, sink))
        assert scan.outcomes == [("graph:provisioning-errors", "processed")]
        assert mail.outcomes == [("report-0.eml", "processed")]
        assert scan.finished and mail.finished  # the mail is marked though the scan failed
        assert len(sink.tickets) == 2  # what both read is ticketed before finishing
    finally:
        ledger.close()


def test_an_object_an_email_reported_quarantined_and_graph_lists_is_one_ticket(
    tmp_path: Path,
) -> None:
    # Same tenant name, same identity: the same problem, whichever source saw it first.
    ledger = Ledger.open(tmp_path / "state.db")
    sink = MemorySink()
    email = message(0, ("Ann@Contoso.com", quarantine("ProxyAddresses", "SMTP:ann@contoso.com")))
    try:
        run_pass(
            ListSource([email, graph_report(1, "ann@contoso.com")]), parts(tmp_path, ledger, sink)
        )
        assert [t.content.summary for t in sink.tickets.values()] == ["duplicate: Ann@Contoso.com"]
        assert [op for op, _ in sink.writes] == ["create"]
    finally:
        ledger.close()
