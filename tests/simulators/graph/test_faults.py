"""The Graph simulator's fault switches and request log (apis.md 1.4), through real msal and
requests over HTTPS: what the tool's retry policy and concurrency have to survive."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import requests

from .faults import HTML, TRUNCATE
from .fixtures import GraphClient, PinnedSession, mime_message
from .server import GRAPH_SCOPE, GraphSimulator

pytestmark = pytest.mark.usefixtures("ca_bundle_env")
Connect = Callable[..., GraphClient]
INBOX = "/users/dirsync@contoso.com/mailFolders/inbox/messages"


def test_injected_429_carries_retry_after_and_the_next_request_passes(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    client.token()
    graph_sim.faults.fail_next(429)
    throttled = client.get(INBOX)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert client.get(INBOX).status_code == 200


@pytest.mark.parametrize(("status", "code"), [(503, "serviceNotAvailable"), (504, "UnknownError")])
def test_injected_5xx_have_graph_error_bodies(
    status: int, code: str, graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    client.token()
    graph_sim.faults.retry_after = "7"
    graph_sim.faults.fail_next(status)
    answer = client.get(INBOX)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert answer.headers.get("Retry-After") == ("7" if status == 503 else None)


def test_rate_faults_are_deterministic_for_a_seed(graph_client: Connect) -> None:
    def statuses() -> list[int]:
        with GraphSimulator(seed=7) as sim:
            client = graph_client(sim)
            client.token()
            sim.faults.rate_429 = sim.faults.rate_503 = 0.3
            for _ in range(12):
                client.get(INBOX)
            return sim.log.statuses("users")

    first = statuses()
    assert first == statuses() and {200, 429, 503} <= set(first)


def test_login_is_not_faulted_unless_asked(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    graph_sim.faults.rate_429 = 1.0
    client = graph_client(graph_sim)
    assert client.token() and client.get(INBOX).status_code == 429
    second = graph_client(graph_sim)  # its discovery request is not faulted...
    graph_sim.faults.include_login = True
    graph_sim.faults.rate_429 = 0.0
    graph_sim.faults.fail_next(429)
    result = second.app.acquire_token_for_client(scopes=[GRAPH_SCOPE])  # ...its token one is
    assert "access_token" not in result and graph_sim.log.statuses()[-1] == 429


def test_a_dropped_connection_gets_no_answer_at_all(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    client.token()
    graph_sim.faults.fail_next(0)
    with pytest.raises(requests.ConnectionError):
        client.get(INBOX)
    assert graph_sim.log.statuses("users") == [0]
    assert client.get(INBOX).status_code == 200


def test_big_full_pages_time_out_but_selected_ones_do_not(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    graph_sim.faults.gateway_timeout_top = 100
    assert client.get(INBOX, params={"$top": "1000"}).status_code == 504
    assert client.get(INBOX, params={"$top": "1000", "$select": "id"}).status_code == 200


def test_latency_is_added_to_every_request(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    client.token()
    graph_sim.faults.latency = 0.05
    started = time.monotonic()
    client.get(INBOX)
    client.get(INBOX)
    assert time.monotonic() - started >= 0.1


def burst(client: GraphClient, paths: list[str], latency: float = 0.3) -> list[requests.Response]:
    """GET all paths at once, one warm connection each, with `latency` switched on just before
    they go, so that they overlap on the server."""
    token, sim = client.token(), client.sim
    headers = {"Authorization": f"Bearer {token}"}
    answers: list[requests.Response] = []
    gate = threading.Barrier(len(paths), action=lambda: setattr(sim.faults, "latency", latency))

    def one(path: str) -> None:
        with PinnedSession(sim.ca_path) as session:
            session.get(sim.graph_url + "/users", headers=headers)  # TLS handshake done
            gate.wait()
            answers.append(session.get(sim.graph_url + path, headers=headers))

    threads = [threading.Thread(target=one, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    return answers


def test_a_fifth_request_in_flight_for_a_mailbox_is_application_throttled(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    graph_sim.add_mailbox("other@contoso.com")
    client = graph_client(graph_sim)
    other = "/users/other@contoso.com/messages"
    answers = burst(client, [INBOX] * 6 + [other] * 2 + ["/users"] * 3)
    by_status = sorted(a.status_code for a in answers)
    assert by_status == [200] * 9 + [429] * 2
    throttled = [a.json()["error"] for a in answers if a.status_code == 429]
    assert {(e["code"], e["message"]) for e in throttled} == {
        ("ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
    }
    assert graph_sim.max_in_flight_mailbox == 6 and graph_sim.max_in_flight >= 9


def test_app_scope_counts_every_mailbox_together(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    graph_sim.add_mailbox("other@contoso.com")
    graph_sim.faults.concurrency_scope = "app"
    answers = burst(
        graph_client(graph_sim), [INBOX] * 3 + ["/users/other@contoso.com/messages"] * 2
    )
    assert sorted(a.status_code for a in answers) == [200] * 4 + [429]


def test_the_log_keeps_headers_of_interest_but_no_secret(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    msg = graph_sim.add_message("dirsync@contoso.com", "inbox", mime_message())
    client = graph_client(graph_sim)
    client.token()
    graph_sim.reset_log()
    client.patch(
        f"/users/dirsync@contoso.com/messages/{msg.id}",
        json={"isRead": True},
        headers={"Prefer": 'IdType="ImmutableId"'},
    )
    (record,) = graph_sim.log
    assert record.headers["authorization"] == "Bearer" and record.mailbox == "dirsync@contoso.com"
    assert record.headers["prefer"] == 'IdType="ImmutableId"' and record.body == {"isRead": True}
    assert [r.method for r in graph_sim.log.writes()] == ["PATCH"] and not graph_sim.log.deletes()
    assert graph_sim.token_requests == 0  # the PATCH's token came from msal's cache


# -- answers that are not what was asked for, and mail that changes under the client ------


def test_an_html_page_with_200_replaces_the_answer_on_the_path_asked_only(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    msg = graph_sim.add_message("dirsync@contoso.com", "inbox", mime_message())
    client = graph_client(graph_sim)
    client.token()
    graph_sim.faults.path_contains = "/$value"
    graph_sim.faults.fail_next(HTML)
    assert client.get(INBOX).status_code == 200  # not the path asked: untouched, still queued
    page = client.get(f"/users/dirsync@contoso.com/messages/{msg.id}/$value")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.text.startswith("<!DOCTYPE html>")
    raw = client.get(f"/users/dirsync@contoso.com/messages/{msg.id}/$value")
    assert raw.content == msg.raw


def test_a_truncated_chunked_body_breaks_off_mid_answer(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    for _ in range(30):
        graph_sim.add_message("dirsync@contoso.com", "inbox", mime_message())
    client = graph_client(graph_sim)
    client.token()
    graph_sim.faults.fail_next(TRUNCATE)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        client.get(INBOX, params={"$top": "30"})
    assert graph_sim.log.statuses("users") == [200]
    whole = client.get(INBOX, params={"$top": "30"})
    assert len(whole.json()["value"]) == 30 and "Content-Length" in whole.headers


def test_chunked_bodies_carry_no_content_length(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    msg = graph_sim.add_message("dirsync@contoso.com", "inbox", mime_message(body="x" * 200_000))
    client = graph_client(graph_sim)
    client.token()
    graph_sim.faults.chunked = True
    raw = client.get(f"/users/dirsync@contoso.com/messages/{msg.id}/$value")
    assert raw.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in raw.headers
    assert raw.content == msg.raw


def test_the_token_endpoint_can_answer_an_html_page(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)  # discovery done
    graph_sim.faults.include_login = True
    graph_sim.faults.path_contains = "/oauth2/v2.0/token"
    graph_sim.faults.fail_next(HTML)
    with pytest.raises(ValueError):  # msal parses the body as JSON
        client.app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert client.token()


def test_a_message_can_vanish_between_the_listing_and_its_value(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    keep = graph_sim.add_message("dirsync@contoso.com", "inbox", mime_message())
    gone = graph_sim.add_message("dirsync@contoso.com", "inbox", mime_message())
    client = graph_client(graph_sim)
    graph_sim.faults.vanish_after_listing = {gone.immutable_id}
    listed = client.get(INBOX).json()["value"]
    assert {m["id"] for m in listed} == {keep.id, gone.id}  # listed while still there...
    value = client.get(f"/users/dirsync@contoso.com/messages/{gone.id}/$value")
    assert value.status_code == 404  # ...and gone by the time it is fetched
    assert value.json()["error"]["code"] == "ErrorItemNotFound"
    assert [m["id"] for m in client.get(INBOX).json()["value"]] == [keep.id]


def test_a_message_moved_in_keeps_its_old_received_time_but_is_modified_now(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    old = datetime(2024, 1, 5, tzinfo=UTC)
    junk = graph_sim.add_message("dirsync@contoso.com", "junkemail", mime_message(), received=old)
    graph_sim.move_message(junk.immutable_id, "inbox")
    client = graph_client(graph_sim)
    since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    by_received = client.get(INBOX, params={"$filter": f"receivedDateTime ge {since}"})
    assert by_received.json()["value"] == []
    by_modified = client.get(
        INBOX,
        params={
            "$filter": f"lastModifiedDateTime ge {since}",
            "$orderby": "lastModifiedDateTime asc",
            "$select": "receivedDateTime,lastModifiedDateTime",
        },
    ).json()["value"]
    assert [m["receivedDateTime"] for m in by_modified] == ["2024-01-05T00:00:00Z"]
    assert by_modified[0]["lastModifiedDateTime"] >= since


def test_a_500_is_graphs_general_exception_without_retry_after(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    client.token()
    graph_sim.faults.fail_next(500)
    answer = client.get(INBOX)
    assert (answer.status_code, answer.json()["error"]["code"]) == (500, "generalException")
    assert "Retry-After" not in answer.headers
    assert client.get(INBOX).status_code == 200


def test_faults_can_be_narrowed_to_the_mailbox_writes(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    msg = graph_sim.add_message("dirsync@contoso.com", "inbox", mime_message())
    client = graph_client(graph_sim)
    client.token()
    graph_sim.faults.path_contains = "/messages/"
    graph_sim.faults.methods = frozenset({"PATCH", "POST"})
    graph_sim.faults.fail_next(HTML)
    path = f"/users/dirsync@contoso.com/messages/{msg.id}"
    assert client.get(path).json()["id"] == msg.id  # a read: not faulted, still queued
    page = client.patch(path, json={"isRead": True})
    assert page.status_code == 200 and page.text.startswith("<!DOCTYPE html>")
    assert not graph_sim.message(msg.id).is_read  # the proxy's page: Graph never saw it
    assert client.patch(path, json={"isRead": True}).json()["isRead"] is True


def test_a_person_can_open_or_delete_mail_right_after_a_listing(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    old = datetime(2024, 9, 1, tzinfo=UTC)
    opened, trashed = (
        graph_sim.add_message("dirsync@contoso.com", "inbox", mime_message(), received=old)
        for _ in range(2)
    )
    client = graph_client(graph_sim)
    graph_sim.faults.read_after_listing = {opened.immutable_id}
    graph_sim.faults.trash_after_listing = {trashed.immutable_id}
    assert len(client.get(INBOX).json()["value"]) == 2  # listed while both were there
    assert opened.is_read and opened.modified > old  # read: modified now
    assert trashed.folder_id == graph_sim.folder_id("dirsync@contoso.com", "deleteditems")
    still = client.get(
        f"/users/dirsync@contoso.com/messages/{trashed.immutable_id}",
        headers={"Prefer": 'IdType="ImmutableId"'},
    )
    assert still.status_code == 200  # the immutable id follows it into Deleted Items
    assert [m["id"] for m in client.get(INBOX).json()["value"]] == [opened.id]


def test_tokens_can_expire_right_after_a_listing(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    graph_sim.faults.expire_tokens_after_listing = True
    assert client.get(INBOX).status_code == 200
    assert client.get(INBOX).status_code == 401  # msal still holds it as valid
    assert not graph_sim.faults.expire_tokens_after_listing  # once
