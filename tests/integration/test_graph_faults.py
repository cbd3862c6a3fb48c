"""`GraphClient` against answers that are broken, not what was asked for, or untrusted.

Every fault is a switch of the Graph simulator (real HTTPS, real msal, real requests); the
waits are recorded by an injected `sleep`, never timed.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import certifi
import pytest

from dirsync_bridge.config.settings import Config, GraphSettings, MailboxSettings
from dirsync_bridge.enrich.cloud import CloudDirectory
from dirsync_bridge.errors import ConfigError, Retriable, Skippable
from dirsync_bridge.graph.client import GraphClient
from dirsync_bridge.pipeline import run
from dirsync_bridge.sources.mail_folder import MailFolder

from ..conftest import REPORTS
from ..simulators.graph.faults import HTML, TRUNCATE
from ..simulators.graph.fixtures import mime_message, tool_settings
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_SECRET, MAILBOX

pytestmark = pytest.mark.usefixtures("ca_bundle_env")
SINCE = datetime.now(UTC) - timedelta(days=1)


class Waits:
    """An injected ``sleep`` that only records what it was asked to wait."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def client(sim: GraphSimulator, waits: Waits, **settings: Any) -> GraphClient:
    merged = {**tool_settings(sim, retry_for="20s"), **settings}
    return GraphClient(GraphSettings.model_validate(merged), CLIENT_SECRET, sleep=waits)


def source(graph: GraphClient) -> MailFolder:
    return MailFolder(graph, MailboxSettings(mailbox=MAILBOX))


def deliver(sim: GraphSimulator, count: int, **mime: Any) -> list[str]:
    return [
        sim.add_message(MAILBOX, "inbox", mime_message(**mime), received=SINCE).immutable_id
        for _ in range(count)
    ]


@pytest.mark.parametrize("fault", [TRUNCATE, HTML], ids=["cut-off-body", "html-page"])
def test_a_broken_listing_answer_is_retried_like_a_503(
    graph_sim: GraphSimulator, fault: int
) -> None:
    ids = deliver(graph_sim, 40)
    waits = Waits()
    graph = client(graph_sim, waits)
    graph.token()
    graph_sim.faults.path_contains = "/messages"
    graph_sim.faults.fail_next(fault)
    listed = [item.id for item in source(graph).list_since(SINCE)]
    assert sorted(listed) == sorted(ids)
    assert len(waits.slept) == 1 and waits.slept[0] >= 0.5  # backed off, then fine
    graph.close()


def test_an_html_page_instead_of_the_raw_message_is_retried_never_parsed(
    graph_sim: GraphSimulator,
) -> None:
    (message,) = deliver(graph_sim, 1)
    waits = Waits()
    graph = client(graph_sim, waits)
    graph_sim.faults.path_contains = "/$value"
    graph_sim.faults.fail_next(HTML)
    assert source(graph).raw(message) == graph_sim.message(message).raw
    assert len(waits.slept) == 1
    graph.close()


@pytest.mark.parametrize("fault", [TRUNCATE, HTML], ids=["cut-off-body", "html-page"])
def test_a_broken_batch_answer_is_retried(graph_sim: GraphSimulator, fault: int) -> None:
    graph_sim.add_user("ann.cloud@contoso.com", proxy_addresses=["SMTP:ann@contoso.com"])
    waits = Waits()
    graph = client(graph_sim, waits)
    graph_sim.faults.path_contains = "/$batch"
    graph_sim.faults.fail_next(fault)
    directory = CloudDirectory(graph)
    (ann,) = directory.holders("SMTP:ann@contoso.com")
    assert ann.user_principal_name == "ann.cloud@contoso.com"
    assert len(waits.slept) == 1
    graph.close()


def test_a_broken_batch_answer_that_never_heals_is_retriable_not_a_traceback(
    graph_sim: GraphSimulator,
) -> None:
    waits = Waits()
    graph = client(graph_sim, waits)
    graph_sim.faults.path_contains = "/$batch"
    graph_sim.faults.fail_next(HTML, times=50)
    with pytest.raises(Retriable, match=r"look up holders: .*not JSON.*the next run retries"):
        CloudDirectory(graph).prefetch(["SMTP:ann@contoso.com"])
    assert len(waits.slept) >= 3
    graph.close()


@pytest.mark.parametrize("fault", [TRUNCATE, HTML], ids=["cut-off-body", "html-page"])
def test_a_broken_token_answer_is_retried_not_a_configuration_error(
    graph_sim: GraphSimulator, fault: int
) -> None:
    deliver(graph_sim, 1)
    waits = Waits()
    graph = client(graph_sim, waits)
    graph_sim.faults.include_login = True
    graph_sim.faults.path_contains = "/oauth2/v2.0/token"
    graph_sim.faults.fail_next(fault)
    assert len(list(source(graph).list_since(SINCE))) == 1
    assert len(waits.slept) == 1
    graph.close()


def test_a_token_endpoint_that_keeps_answering_html_is_retriable(
    graph_sim: GraphSimulator,
) -> None:
    waits = Waits()
    graph = client(graph_sim, waits)
    graph_sim.faults.include_login = True
    graph_sim.faults.path_contains = "/oauth2/v2.0/token"
    graph_sim.faults.fail_next(HTML, times=50)
    with pytest.raises(Retriable, match=r"Graph sign-in: .*not JSON.*the next run retries"):
        list(source(graph).list_since(SINCE))
    graph.close()


def test_an_html_page_from_the_discovery_endpoint_is_retriable_not_a_config_error(
    graph_sim: GraphSimulator,
) -> None:
    waits = Waits()
    graph = client(graph_sim, waits)
    graph_sim.faults.include_login = True
    graph_sim.faults.path_contains = "/.well-known/openid-configuration"
    graph_sim.faults.fail_next(HTML, times=50)
    with pytest.raises(Retriable, match="Graph sign-in"):
        graph.get_json("/users", what="look")
    graph.close()


def test_a_login_certificate_that_does_not_verify_is_a_config_error_at_once(
    graph_sim: GraphSimulator,
) -> None:
    waits = Waits()
    graph = client(graph_sim, waits, ca_bundle=certifi.where())  # lacks the simulator's CA
    with pytest.raises(ConfigError) as caught:
        list(source(graph).list_since(SINCE))
    assert caught.value.key == "[graph] ca_bundle"
    assert graph_sim.url in str(caught.value) and "certificate" in str(caught.value)
    assert waits.slept == []  # not retried for a minute: nothing will change by itself
    graph.close()


def test_a_graph_certificate_that_does_not_verify_is_a_config_error_at_once(
    graph_sim: GraphSimulator,
) -> None:
    # Sign-in trusted (the login host's CA is in the bundle), Graph itself signed by another CA.
    with GraphSimulator(seed=2) as other:
        graph_sim.login.extra_resources.add(other.url)  # a token for it, from the trusted host
        waits = Waits()
        graph = client(graph_sim, waits, graph_url=other.url)
        with pytest.raises(ConfigError) as caught:
            graph.get_json("/users", what="look")
        assert caught.value.key == "[graph] ca_bundle" and other.url in str(caught.value)
        assert waits.slept == []
        graph.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_message_over_the_limit_is_refused_without_reading_it_whole(
    graph_sim: GraphSimulator, chunked: bool
) -> None:
    (big,) = deliver(graph_sim, 1, body="x" * 6_000_000)
    waits = Waits()
    graph = client(graph_sim, waits)
    graph.token()
    graph_sim.faults.chunked = chunked
    tracemalloc.start()
    try:
        with pytest.raises(Skippable, match=r"over \[parse\] max_message_bytes \(100000\)"):
            source(graph).raw(big, limit=100_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # a third of the message: it was never held whole
    assert waits.slept == []  # too large is not a fault: not retried
    (small,) = deliver(graph_sim, 1)
    assert source(graph).raw(small, limit=100_000) == graph_sim.message(small).raw
    graph.close()


def test_a_message_deleted_after_the_listing_is_skippable_by_name(
    graph_sim: GraphSimulator,
) -> None:
    (gone,) = deliver(graph_sim, 1)
    graph = client(graph_sim, Waits())
    mailbox = source(graph)
    graph_sim.faults.vanish_after_listing = {gone}
    (item,) = mailbox.list_since(SINCE)
    with pytest.raises(Skippable, match=r"gone from the mailbox \(HTTP 404 ErrorItemNotFound\)"):
        mailbox.raw(item.id)
    graph.close()


@pytest.mark.parametrize("endpoint", ["/oauth2/v2.0/token", "/.well-known/openid-configuration"])
def test_a_busy_login_host_is_waited_for_as_its_retry_after_says(
    graph_sim: GraphSimulator, endpoint: str
) -> None:
    deliver(graph_sim, 1)
    waits = Waits()
    graph = client(graph_sim, waits)
    graph_sim.faults.include_login = True
    graph_sim.faults.path_contains = endpoint
    graph_sim.faults.retry_after = "7"
    graph_sim.faults.fail_next(429)
    assert len(list(source(graph).list_since(SINCE))) == 1
    assert waits.slept == [7.0]
    graph.close()


def test_a_token_refused_by_two_threads_at_once_is_replaced_once(
    graph_sim: GraphSimulator,
) -> None:
    graph = client(graph_sim, Waits())
    stale = graph.token()
    graph_sim.expire_tokens()
    fresh = graph.token(refused=stale)
    assert fresh != stale and graph.token(refused=stale) == fresh  # the second: no new sign-in
    assert graph_sim.token_requests == 2
    graph.close()


@pytest.mark.parametrize("after", ["move:Processed", "read", "category:done"])
@pytest.mark.parametrize("fault", [HTML, TRUNCATE, 500], ids=["html-page", "cut-off-body", "500"])
def test_a_broken_answer_to_a_mailbox_action_is_retried_not_taken_for_done(
    tmp_path: Path, graph_sim: GraphSimulator, after: str, fault: int
) -> None:
    raw = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    msg = graph_sim.add_message(MAILBOX, "inbox", raw, received=SINCE)
    config = Config.model_validate(
        {
            "state": {"path": str(tmp_path / "state.db")},
            "graph": tool_settings(graph_sim, retry_for="20s"),
            "source": {"mailbox": {"mailbox": MAILBOX, "after": after}},
        }
    )
    graph_sim.faults.path_contains = "/messages/"
    graph_sim.faults.methods = frozenset({"PATCH", "POST"})  # the write, not its reads
    graph_sim.faults.retry_after = "0"
    graph_sim.faults.fail_next(fault)
    summary = run(config, env={"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET})
    assert summary.mailbox_actions == 1 and not graph_sim.faults.queue
    if after == "read":
        assert msg.is_read
    elif after == "category:done":
        assert msg.categories == ["done"]
    else:
        left = {graph_sim.folder_id(MAILBOX, name) for name in ("inbox", "deleteditems")}
        assert msg.folder_id not in left


@pytest.mark.parametrize("where", ["/messages", "/$value", "/move"])
def test_a_single_graph_500_is_retried_not_a_configuration_error(
    tmp_path: Path, graph_sim: GraphSimulator, where: str
) -> None:
    raw = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    graph_sim.add_message(MAILBOX, "inbox", raw, received=SINCE)
    config = Config.model_validate(
        {
            "state": {"path": str(tmp_path / "state.db")},
            "graph": tool_settings(graph_sim, retry_for="20s"),
            "source": {"mailbox": {"mailbox": MAILBOX}},
        }
    )
    graph_sim.faults.path_contains = where  # the listing is the first path with /messages
    graph_sim.faults.fail_next(500)
    summary = run(config, env={"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET})
    assert summary.created >= 1 and summary.mailbox_actions == 1
    assert 500 in graph_sim.log.statuses() and graph_sim.folder_messages(MAILBOX, "inbox") == []
