"""`run`: one cron pass over a mailbox, through real msal and HTTPS, against the simulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.crashpoints import ENV_VAR
from dirsync_bridge.errors import ConfigError, Fatal, Retriable
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay, run
from dirsync_bridge.run_summary import RunSummary
from dirsync_bridge.sources.mail_folder import MailItem
from dirsync_bridge.sources.mailbox import worth_reading

from ..conftest import REPORTS
from ..simulators.graph.fixtures import client_certificate, mime_message, tool_settings
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_ID, CLIENT_SECRET, MAILBOX, TENANT_ID
from .conftest import local_store, make_config, outcome

NOW = datetime.now(UTC)
TRUSTED_FORWARDER = "it-admin@contoso.com"


def run_config(sim: GraphSimulator, state: Path, **mailbox: Any) -> Config:
    return Config.model_validate(
        {
            "state": {"path": str(state / "state.db")},
            "trust": {"forwarders": [TRUSTED_FORWARDER]},
            "graph": tool_settings(sim, retry_for="20s"),
            "source": {"mailbox": {"mailbox": MAILBOX, **mailbox}},
        }
    )


ENV = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}


def deliver_corpus(sim: GraphSimulator) -> dict[str, str]:
    """Every fixture report into the inbox, received over the last hours; name -> id."""
    ids = {}
    for n, path in enumerate(sorted(REPORTS.glob("*.eml"))):
        received = NOW - timedelta(hours=6) + timedelta(minutes=n)
        ids[path.name] = sim.add_message(MAILBOX, "inbox", path.read_bytes(), received=received).id
    newsletter = mime_message("Your weekly digest", "News <news@example.com>", "Hello")
    ids["newsletter"] = sim.add_message(MAILBOX, "inbox", newsletter, received=NOW).id
    return ids


def reference(tmp_path: Path) -> dict[str, Any]:
    config = make_config(tmp_path / "reference")
    replay([REPORTS], config)
    return outcome(config)["tickets"]


def tickets_of(config: Config) -> dict[str, Any]:
    result = outcome(make_config(config.state.path.parent))
    assert result["leftovers"] == {"intents": 0, "dirty": 0, "pending": 0}
    return result["tickets"]


def folder_of(sim: GraphSimulator, message_id: str) -> str:
    message = sim.message(message_id)
    return "inbox" if message.folder_id == sim.folder_id(MAILBOX, "inbox") else "elsewhere"


def test_genuine_reports_become_tickets_and_are_moved_spoofs_are_marked_nothing_deleted(
    tmp_path: Path, graph_sim: GraphSimulator, ca_bundle_env: str
) -> None:
    ids = deliver_corpus(graph_sim)
    config = run_config(graph_sim, tmp_path / "state")
    summary = run(config, env=ENV)

    expected = reference(tmp_path)
    found = tickets_of(config)
    assert sorted(found) == sorted(expected)
    for key, ticket in found.items():
        assert ticket["summary"] == expected[key]["summary"]
        assert ticket["status"] == expected[key]["status"]
    rejected = {p.source for p in summary.problems}
    assert summary.rejected == len(rejected) >= 6
    # Left in the inbox: rejected mail, categorised, and mail that is plainly not a report
    # (the newsletter, junk without a report subject or sender), untouched and unread.
    inbox = graph_sim.folder_messages(MAILBOX, "inbox")
    tagged = [m for m in inbox if m.categories]
    untouched = [m for m in inbox if not m.categories]
    assert all(m.categories == ["dirsync-bridge-rejected"] for m in tagged)
    assert len(tagged) == summary.rejected
    assert len(untouched) == summary.ignored >= 1
    assert all(not m.is_read for m in untouched)
    assert ids["newsletter"] in {m.id for m in untouched}
    moved = graph_sim.folder_messages(MAILBOX, graph_sim.folder_id(MAILBOX, _processed(graph_sim)))
    assert len(moved) == summary.parsed
    assert summary.mailbox_actions == summary.parsed + summary.rejected
    assert graph_sim.log.deletes() == []
    # The newsletter was never fetched: only listed.
    fetched = [r for r in graph_sim.log.graph() if r.path.endswith("/$value")]
    assert len(fetched) == summary.parsed + summary.rejected


def _processed(sim: GraphSimulator) -> str:
    box = sim._mailbox(MAILBOX)
    return next(f.id for f in box.folders.values() if f.name == "Processed")


def test_a_second_pass_changes_nothing_and_costs_one_graph_request(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    deliver_corpus(graph_sim)
    config = run_config(graph_sim, tmp_path / "state")
    run(config, env=ENV)
    before = tickets_of(config)

    graph_sim.reset_log()
    again = run(config, env=ENV)
    assert tickets_of(config) == before
    assert (again.created, again.commented, again.resolved, again.mailbox_actions) == (0, 0, 0, 0)
    assert len(graph_sim.log.graph()) == 1  # the listing; the token is msal's business
    assert graph_sim.log.writes() == []


@pytest.mark.parametrize(
    ("after", "check"),
    [
        ("read", lambda m: m.is_read and not m.categories),
        ("category:dirsync-done", lambda m: m.categories == ["dirsync-done"] and not m.is_read),
        ("none", lambda m: not m.is_read and not m.categories),
    ],
)
def test_processed_mail_is_marked_as_configured(
    tmp_path: Path, graph_sim: GraphSimulator, after: str, check: Any
) -> None:
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    message = graph_sim.add_message(MAILBOX, "inbox", report, received=NOW, categories=[])
    config = run_config(graph_sim, tmp_path / "state", after=after)
    summary = run(config, env=ENV)
    assert summary.created == 3
    stored = graph_sim.message(message.id)
    assert folder_of(graph_sim, message.id) == "inbox"
    assert check(stored)


def test_throttled_graph_still_ends_with_every_report_ticketed_once_and_moved(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    deliver_corpus(graph_sim)
    graph_sim.faults.rate_429 = 0.3
    graph_sim.faults.rate_503 = 0.05
    graph_sim.faults.retry_after = "0"
    config = run_config(graph_sim, tmp_path / "state")
    passes: list[RunSummary | str] = []
    for _ in range(6):
        try:
            passes.append(run(config, env=ENV))
        except Retriable as exc:  # exit 75: cron runs the next pass
            passes.append(str(exc))
            continue
        break
    assert isinstance(passes[-1], RunSummary), passes
    statuses = graph_sim.log.statuses()
    assert statuses.count(429) > 20
    expected = reference(tmp_path)
    assert sorted(tickets_of(config)) == sorted(expected)
    inbox = graph_sim.folder_messages(MAILBOX, "inbox")
    # Whatever could be a report and stayed in the inbox was rejected, and is marked so.
    for m in inbox:
        item = MailItem(m.immutable_id, None, m.received, m.subject, m.sender[1])
        assert m.categories == (
            ["dirsync-bridge-rejected"]
            if worth_reading(item, (*config.trust.senders, *config.trust.forwarders))
            else []
        )
    assert graph_sim.log.deletes() == []


@pytest.mark.slow
def test_sigkill_between_the_ticket_write_and_the_move_then_a_rerun(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    message = graph_sim.add_message(MAILBOX, "inbox", report, received=NOW)
    state = tmp_path / "state"
    config_file = tmp_path / "run.toml"
    config_file.write_text(
        f'[state]\npath = "{state / "state.db"}"\n'
        f'[graph]\ntenant_id = "{TENANT_ID}"\nclient_id = "{CLIENT_ID}"\n'
        f'authority_url = "{graph_sim.url}"\ngraph_url = "{graph_sim.url}"\n'
        f'ca_bundle = "{graph_sim.ca_path}"\n'
        f'[source.mailbox]\nmailbox = "{MAILBOX}"\n'
    )
    env = {**{k: v for k, v in os.environ.items() if k != ENV_VAR}, **ENV}
    command = [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file), "run"]

    # Killed right after its ticket write (the three new tickets: one batch of creates).
    done = subprocess.run(
        command, env={**env, ENV_VAR: "after-sink-write:1"}, capture_output=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert folder_of(graph_sim, message.id) == "inbox"  # not moved before its tickets
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "mailbox: 1 marked" in done.stdout

    ledger = Ledger.open(state / "state.db")
    try:
        assert len(list(ledger.tickets())) == 3
        assert ledger.pending_intents() == [] and ledger.dirty() == []
    finally:
        ledger.close()
    store = outcome(make_config(state))["tickets"]
    assert len(store) == 3  # one ticket per problem, none twice
    assert folder_of(graph_sim, message.id) == "elsewhere"


def test_certificate_sign_in(tmp_path: Path, graph_sim: GraphSimulator) -> None:
    key_pem, cert_pem, thumbprint = client_certificate()
    graph_sim.register_app(TENANT_ID, "cert-app", certificate=cert_pem)
    pem = tmp_path / "app.pem"
    pem.write_text(key_pem)
    config = run_config(graph_sim, tmp_path / "state")
    graph = config.graph.model_copy(
        update={
            "client_id": "cert-app",
            "certificate_path": pem,
            "certificate_thumbprint": thumbprint,
        }
    )
    config = config.model_copy(update={"graph": graph})
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    graph_sim.add_message(MAILBOX, "inbox", report, received=NOW)
    assert run(config, env={}).created == 3


def test_wrong_secret_is_a_configuration_error_that_never_shows_it(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    config = run_config(graph_sim, tmp_path / "state")
    with pytest.raises(ConfigError) as caught:
        run(config, env={"DIRSYNC_GRAPH_SECRET": "not-the-secret"})
    assert "sign-in refused" in str(caught.value) and "AADSTS7000215" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)


def test_missing_mailbox_and_denied_mailbox_say_what_to_fix(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    config = run_config(graph_sim, tmp_path / "a")
    missing = config.model_copy(
        update={
            "source": config.source.model_copy(
                update={
                    "mailbox": config.source.mailbox.model_copy(
                        update={"mailbox": "nobody@contoso.com"}
                    )
                }
            )
        }  # type: ignore[union-attr]
    )
    with pytest.raises(Fatal, match=r"check \[source.mailbox\] mailbox"):
        run(missing, env=ENV)
    graph_sim.deny_mailbox(MAILBOX)
    with pytest.raises(Fatal, match=r"HTTP 403 ErrorAccessDenied.*Mail\.Read.*access policy"):
        run(run_config(graph_sim, tmp_path / "b"), env=ENV)


def test_verified_resolution_closes_a_quarantine_ticket_once_graph_shows_it_cleared(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    from ..reportgen import id_report_email, quarantine

    value = "SMTP:bob@contoso.com"
    conflict = {"category": "PropertyConflict", "propertyCausingError": "ProxyAddress"}
    bob = graph_sim.add_user(
        "bob@contoso.com",
        on_premises_sync_enabled=True,
        on_premises_immutable_id="Qm9iSW1tdXRhYmxlSWQ=",
        provisioning_errors=[
            {**conflict, "value": value, "occurredDateTime": "2024-01-01T00:00:00Z"}
        ],
    )
    squatter = graph_sim.add_user("bob.cloud@contoso.com", proxy_addresses=[value])
    # The object id is what recognises bob (verify.py): a plain email is never verified.
    rows = [("bob@contoso.com", "Qm9iSW1tdXRhYmxlSWQ=", quarantine("ProxyAddresses", value))]
    raw = id_report_email("Contoso", NOW - timedelta(hours=1), rows, "q1@verify.test")
    graph_sim.add_message(MAILBOX, "inbox", raw, received=NOW - timedelta(minutes=50))
    config = run_config(graph_sim, tmp_path / "state")
    config = config.model_copy(
        update={"tickets": config.tickets.model_copy(update={"verify_with_graph": True})}
    )

    first = run(config, env=ENV)
    assert first.created == 1 and first.resolved == 0  # someone else still holds the value

    # The admin removes the value from the cloud-only object; bob syncs with it, no error.
    graph_sim.directory.objects.remove(graph_sim.directory.find("user", squatter))
    bob_object = graph_sim.directory.find("user", bob)
    assert bob_object is not None
    bob_object.props["onPremisesProvisioningErrors"] = []
    bob_object.props["proxyAddresses"] = [value]

    second = run(config, env=ENV)
    assert second.resolved == 1
    with local_store(config) as store:
        (ticket,) = store.tickets()
    assert ticket.status == "resolved"
    (note,) = [body for key, body in ticket.comments.items() if ":verified:" in key]
    assert f"only bob@contoso.com holds {value}, and it has no provisioning error" in note

    third = run(config, env=ENV)
    assert (third.created, third.resolved, third.commented, third.reopened) == (0, 0, 0, 0)


# -- one bad message or answer never stops a pass ----------------------------------------------


def other_report(name: str, at: datetime, identity: str = "zoe@contoso.com") -> bytes:
    from ..reportgen import duplicate, report_email

    rows = [(identity, duplicate("ProxyAddresses", f"SMTP:{identity}"))]
    return report_email("Contoso", at, rows, f"{name}@run.test")


def test_a_message_deleted_between_listing_and_fetch_is_named_skipped_and_recorded(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    keep = graph_sim.add_message(MAILBOX, "inbox", report, received=NOW - timedelta(hours=1))
    raw = other_report("gone", NOW - timedelta(hours=2))
    gone = graph_sim.add_message(MAILBOX, "inbox", raw, received=NOW - timedelta(hours=2))
    graph_sim.faults.vanish_after_listing = {gone.immutable_id}
    config = run_config(graph_sim, tmp_path / "state")

    summary = run(config, env=ENV)
    assert summary.created == 3 and summary.unreadable == 1
    (problem,) = summary.problems  # named on stderr, exit 1
    assert problem.code == "unreadable" and "gone from the mailbox" in problem.reason
    assert problem.source.endswith(gone.immutable_id[-16:])
    assert folder_of(graph_sim, keep.id) == "elsewhere"  # the rest of the pass went on
    ledger = Ledger.open(config.state.path)
    try:
        assert ledger.mailbox_known(gone.immutable_id)  # never fetched again
        assert ledger.mailbox_owed("dirsync@contoso.com/inbox") == []  # nothing left to do to it
    finally:
        ledger.close()
    again = run(config, env=ENV)
    assert not again.problems and again.created == 0


def test_a_report_over_the_size_limit_is_rejected_as_too_large_and_the_pass_goes_on(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    keep = graph_sim.add_message(MAILBOX, "inbox", report, received=NOW - timedelta(hours=1))
    huge = mime_message(body="x" * 300_000)  # from the report sender, with the report subject
    big = graph_sim.add_message(MAILBOX, "inbox", huge, received=NOW - timedelta(hours=2))
    config = run_config(graph_sim, tmp_path / "state")
    config = config.model_copy(
        update={"parse": config.parse.model_copy(update={"max_message_bytes": 100_000})}
    )

    summary = run(config, env=ENV)
    assert summary.created == 3
    (problem,) = summary.problems
    assert problem.code == "too-large" and "max_message_bytes (100000)" in problem.reason
    assert (summary.rejected, summary.unreadable) == (1, 0)  # counted as stderr names it
    assert graph_sim.message(big.id).categories == ["dirsync-bridge-rejected"]
    assert folder_of(graph_sim, keep.id) == "elsewhere"


def test_a_report_moved_in_with_an_old_received_time_is_still_read(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    graph_sim.add_message(MAILBOX, "inbox", report, received=NOW - timedelta(hours=1))
    config = run_config(graph_sim, tmp_path / "state")
    assert run(config, env=ENV).created == 3  # the watermark is now about an hour ago

    # A report from ten days ago, found in Junk Email and moved to the inbox by a person.
    old = NOW - timedelta(days=10)
    junk = graph_sim.add_message(MAILBOX, "junkemail", other_report("junk", old), received=old)
    graph_sim.move_message(junk.immutable_id, "inbox")
    graph_sim.reset_log()
    rescued = run(config, env=ENV)
    assert (rescued.parsed, rescued.created) == (1, 1)
    assert folder_of(graph_sim, junk.immutable_id) == "elsewhere"
    assert len([r for r in graph_sim.log.graph() if r.path.endswith("/messages")]) == 1

    quiet = run(config, env=ENV)
    assert (quiet.parsed, quiet.created, quiet.already_seen) == (0, 0, 0)


def test_a_message_graph_keeps_failing_ends_the_pass_75_after_the_earlier_ones_are_done(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    at = [NOW - timedelta(hours=h) for h in (3, 2, 1)]
    first, stuck, last = (
        graph_sim.add_message(MAILBOX, "inbox", other_report(n, t, f"{n}@contoso.com"), received=t)
        for n, t in zip(("first", "stuck", "last"), at, strict=True)
    )
    graph_sim.faults.path_contains = f"{stuck.immutable_id}/$value"
    graph_sim.faults.rate_503 = 1.0
    graph_sim.faults.retry_after = "0"
    config = run_config(graph_sim, tmp_path / "state")

    with pytest.raises(Retriable, match=r"HTTP 503 .*the next run retries"):
        run(config, env=ENV)
    assert folder_of(graph_sim, first.immutable_id) == "elsewhere"  # ticketed, then moved
    assert len(tickets_of(config)) == 1
    assert folder_of(graph_sim, stuck.immutable_id) == "inbox"
    assert folder_of(graph_sim, last.immutable_id) == "inbox"

    graph_sim.faults.rate_503 = 0.0  # Graph is well again: the next pass takes up the rest
    again = run(config, env=ENV)
    assert (again.parsed, again.created) == (2, 2)
    assert len(tickets_of(config)) == 3


def test_verification_verifies_nothing_while_a_look_up_is_refused(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    from ..reportgen import quarantine, report_email

    # The app may read users but not contacts: the contact that still holds the value is
    # invisible, so the ticket must not be resolved as "only bob holds it".
    roles = ["Mail.ReadWrite", "User.Read.All", "GroupMember.Read.All"]
    graph_sim.register_app(TENANT_ID, "no-contacts", secret="s3cret", roles=roles)
    value = "SMTP:bob@contoso.com"
    graph_sim.add_user("bob@contoso.com", on_premises_sync_enabled=True, proxy_addresses=[value])
    graph_sim.add_contact("Bob (old card)", proxy_addresses=[value])
    rows = [("bob@contoso.com", quarantine("ProxyAddresses", value))]
    raw = report_email("Contoso", NOW - timedelta(hours=1), rows, "q2@verify.test")
    graph_sim.add_message(MAILBOX, "inbox", raw, received=NOW - timedelta(minutes=50))
    config = run_config(graph_sim, tmp_path / "state")
    graph = config.graph.model_copy(update={"client_id": "no-contacts"})
    tickets = config.tickets.model_copy(update={"verify_with_graph": True})
    config = config.model_copy(update={"graph": graph, "tickets": tickets})

    first = run(config, env={"DIRSYNC_GRAPH_SECRET": "s3cret"})
    assert first.created == 1 and first.resolved == 0
    again = run(config, env={"DIRSYNC_GRAPH_SECRET": "s3cret"})
    assert again.resolved == 0
