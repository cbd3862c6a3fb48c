"""A mailbox that changes while a pass works on it: what a person (or Entra) does between
the listing, the fetch and the actions, and mail forged to look already seen.

Every change is a switch of the Graph simulator, made at the exact moment the attack needs
(right after a listing page is answered); the simulator pages as Outlook does, by an offset
into the live result, so a message leaving the listing shifts the pages after it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import DirsyncBridgeError
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import run

from ..reportgen import duplicate, report_email
from ..simulators.graph.fixtures import tool_settings
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_SECRET, MAILBOX

NOW = datetime.now(UTC)
ENV = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}


def run_config(sim: GraphSimulator, state: Path, **mailbox: Any) -> Config:
    return Config.model_validate(
        {
            "state": {"path": str(state / "state.db")},
            "graph": tool_settings(sim, retry_for="20s"),
            "source": {"mailbox": {"mailbox": MAILBOX, **mailbox}},
        }
    )


def report(n: int, at: datetime) -> bytes:
    """A genuine report naming one problem of its own (tenant ``Tenant<n>``)."""
    ident = f"user{n}@contoso.com"
    rows = [(ident, duplicate("ProxyAddresses", f"SMTP:{ident}"))]
    return report_email(f"Tenant{n}", at, rows, f"r{n}@reports.test")


def ticket_count(config: Config) -> int:
    ledger = Ledger.open(config.state.path)
    try:
        return len(list(ledger.tickets()))
    finally:
        ledger.close()


@pytest.mark.parametrize("person", ["deletes", "reads"])
def test_a_message_leaving_the_listing_while_it_pages_costs_no_other_report_its_ticket(
    tmp_path: Path, graph_sim: GraphSimulator, person: str
) -> None:
    # 150 reports over five days, listed 100 a page; right after the first page is answered
    # a person deletes report 3 for good, or opens it (its lastModifiedDateTime becomes now):
    # an offset-based second page would start one report late and never list report 100.
    ids = []
    for n in range(150):
        at = NOW - timedelta(days=5) + timedelta(minutes=20 * n)
        ids.append(graph_sim.add_message(MAILBOX, "inbox", report(n, at), received=at).immutable_id)
    if person == "deletes":
        graph_sim.faults.vanish_after_listing = {ids[3]}
    else:
        graph_sim.faults.read_after_listing = {ids[3]}
    config = run_config(graph_sim, tmp_path / "state")
    first = run(config, env=ENV)
    assert first.fatal == []
    for _ in range(2):  # cron goes on
        run(config, env=ENV)
    left = {m.immutable_id for m in graph_sim.folder_messages(MAILBOX, "inbox")}
    assert left == set(), f"left in the inbox for good: {sorted(ids.index(i) for i in left)}"
    assert ticket_count(config) == (149 if person == "deletes" else 150)
    # Fetched once each (the deleted one too: 404): the pages overlap, the fetches do not.
    fetched = [r.path for r in graph_sim.log.graph() if r.path.endswith("/$value")]
    assert len(fetched) == len(set(fetched)) == 150


def test_a_page_that_cannot_move_past_one_second_keeps_the_watermark_there(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    # 250 reports changed in the same second (a bulk move into the folder), then ten newer
    # ones: within that second only the offset link goes on, and a report deleted while it
    # pages shifts another past a page boundary. The watermark must stay at that second (not
    # move on to the newer reports, a day later) so that the next pass finds the one missed.
    tie = NOW.replace(microsecond=0) - timedelta(days=3)
    config = run_config(graph_sim, tmp_path / "state")
    first = tie + timedelta(hours=1)  # the watermark, less the hour's overlap: the tie
    graph_sim.add_message(MAILBOX, "inbox", report(999, first), received=first)
    run(config, env=ENV)
    ids = [
        graph_sim.add_message(MAILBOX, "inbox", report(n, tie), received=tie).immutable_id
        for n in range(250)
    ]
    for n in range(250, 260):
        at = tie + timedelta(days=1, minutes=n)
        graph_sim.add_message(MAILBOX, "inbox", report(n, at), received=at)
    graph_sim.faults.vanish_after_listing = {ids[3]}
    run(config, env=ENV)
    missed = {m.immutable_id for m in graph_sim.folder_messages(MAILBOX, "inbox")}
    assert len(missed) == 1  # the offset skipped one, as Outlook's does
    run(config, env=ENV)
    assert graph_sim.folder_messages(MAILBOX, "inbox") == []
    assert ticket_count(config) == 260


def test_a_token_graph_refuses_mid_pass_is_replaced_not_a_fatal_error(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    # msal still holds the token as valid; Graph says 401 (revoked, or expired early).
    at = NOW - timedelta(hours=2)
    graph_sim.add_message(MAILBOX, "inbox", report(1, at), received=at)
    graph_sim.faults.expire_tokens_after_listing = True
    config = run_config(graph_sim, tmp_path / "state")
    try:
        summary = run(config, env=ENV)
    except DirsyncBridgeError as exc:
        pytest.fail(f"{type(exc).__name__} (exit {exc.exit_code}): {exc}")
    assert summary.created == 1
    assert graph_sim.token_requests == 2  # the refused token replaced once
    assert graph_sim.folder_messages(MAILBOX, "inbox") == []


def test_a_report_deleted_by_a_person_after_the_listing_stays_in_deleted_items(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    # Outlook's Delete moves the message to Deleted Items, where its immutable id still
    # reaches it: the pass reads it, but must not move it back out into Processed.
    at = NOW - timedelta(hours=2)
    msg = graph_sim.add_message(MAILBOX, "inbox", report(1, at), received=at)
    kept = graph_sim.add_message(MAILBOX, "inbox", report(2, at), received=at)
    graph_sim.faults.trash_after_listing = {msg.immutable_id}
    config = run_config(graph_sim, tmp_path / "state")
    summary = run(config, env=ENV)
    assert msg.folder_id == graph_sim.folder_id(MAILBOX, "deleteditems")
    assert kept.folder_id not in {
        graph_sim.folder_id(MAILBOX, "inbox"),
        graph_sim.folder_id(MAILBOX, "deleteditems"),
    }  # the other report: moved to Processed as usual
    moves = [r for r in graph_sim.log.writes() if r.path.endswith("/move")]
    assert len(moves) == 1 and summary.mailbox_actions == 1
    again = run(config, env=ENV)  # nothing owed any more, nothing moved
    assert again.mailbox_actions == 0 and msg.folder_id == graph_sim.folder_id(
        MAILBOX, "deleteditems"
    )


@pytest.mark.parametrize("after", ["read", "category:done"])
def test_a_report_deleted_after_the_listing_is_not_marked_either(
    tmp_path: Path, graph_sim: GraphSimulator, after: str
) -> None:
    at = NOW - timedelta(hours=2)
    msg = graph_sim.add_message(MAILBOX, "inbox", report(1, at), received=at)
    graph_sim.faults.trash_after_listing = {msg.immutable_id}
    run(run_config(graph_sim, tmp_path / "state", after=after), env=ENV)
    assert not msg.is_read and msg.categories == []
    assert [r.method for r in graph_sim.log.writes()] == []


def test_a_spoof_reusing_a_processed_reports_message_id_is_parsed_and_rejected(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    at = NOW - timedelta(hours=3)
    genuine = report(1, at)
    graph_sim.add_message(MAILBOX, "inbox", genuine, received=at)
    config = run_config(graph_sim, tmp_path / "state")
    assert run(config, env=ENV).created == 1

    header = message_from_bytes(genuine)["Message-ID"]
    spoof = report(2, NOW - timedelta(hours=1)).replace(b"r2@reports.test", b"r1@reports.test")
    spoof = spoof.replace(
        b"MSOnlineServicesTeam@MicrosoftOnline.com", b"msonlineservicesteam@evil.example"
    )
    assert message_from_bytes(spoof)["Message-ID"] == header
    forged = graph_sim.add_message(MAILBOX, "inbox", spoof, received=NOW - timedelta(hours=1))
    summary = run(config, env=ENV)
    assert (summary.rejected, summary.already_seen, summary.created) == (1, 0, 0)
    (problem,) = summary.problems
    assert problem.source.endswith(forged.immutable_id[-16:])
    assert forged.categories == ["dirsync-bridge-rejected"]
    assert forged.folder_id == graph_sim.folder_id(MAILBOX, "inbox")


def test_the_same_report_delivered_again_in_other_bytes_is_already_seen(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    at = NOW - timedelta(hours=3)
    genuine = report(1, at)
    graph_sim.add_message(MAILBOX, "inbox", genuine, received=at)
    config = run_config(graph_sim, tmp_path / "state")
    assert run(config, env=ENV).created == 1
    # Delivered again through another hop: one more Received line, the same report.
    again = b"Received: from relay.contoso.com by mx.contoso.com\n" + genuine
    graph_sim.add_message(MAILBOX, "inbox", again, received=NOW - timedelta(hours=1))
    summary = run(config, env=ENV)
    assert (summary.parsed, summary.already_seen, summary.created) == (0, 1, 0)
    assert graph_sim.folder_messages(MAILBOX, "inbox") == []
