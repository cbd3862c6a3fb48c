"""``tickets show`` against the Jira simulator: a ticket read in full, and Jira's faults."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from dirsync_bridge.config.settings import JiraSettings
from dirsync_bridge.errors import Retriable, TicketGone
from dirsync_bridge.ports import TicketContent
from dirsync_bridge.sinks.jira import JiraSink

from ..simulators.jira import JiraSimulator


def _sink(sim: JiraSimulator) -> JiraSink:
    settings = JiraSettings.model_validate(
        {"url": sim.url, "project": "OPS", "email": sim.email, "retry_for": "20s"}
    )
    now = [0.0]  # the retries' waits pass on this clock, not the wall's

    def sleep(seconds: float) -> None:
        now[0] += max(seconds, 1.0)

    return JiraSink(settings, sim.api_token, sleep=sleep, clock=lambda: now[0])


def _issue_with_comments(sim: JiraSimulator, sink: JiraSink, count: int) -> str:
    made = sink.create(
        "f" * 64 + ":0", "f" * 64, TicketContent(summary="s", description="the text")
    )
    for n in range(count):
        if n % 2:  # the tool's own, with its marker
            sink.put_comment(made.key, f"k{n}", f"comment {n}")
        else:  # a person's
            answer = requests.post(
                f"{sim.url}/rest/api/2/issue/{made.key}/comment",
                json={"body": f"comment {n}"},
                auth=(sim.email, sim.api_token),
                timeout=10,
            )
            assert answer.status_code == 201
    return made.key


def test_every_comment_is_read_past_the_page_jira_embeds(jira_cloud: JiraSimulator) -> None:
    sink = _sink(jira_cloud)
    try:
        key = _issue_with_comments(jira_cloud, sink, 7)
        jira_cloud.model.issue_comment_page = 3
        jira_cloud.reset_log()
        description, comments = sink.read_in_full(key)
    finally:
        sink.close()
    assert description == "the text"
    assert comments == [f"comment {n}" for n in range(7)]  # oldest first, markers taken off
    assert jira_cloud.log.count("GET", f"issue/{key}/comment") == 1  # the 4 left, one page
    assert jira_cloud.log.count("GET", f"issue/{key}") == 2


def test_one_request_when_jira_embeds_every_comment(jira_cloud: JiraSimulator) -> None:
    sink = _sink(jira_cloud)
    try:
        key = _issue_with_comments(jira_cloud, sink, 4)
        jira_cloud.reset_log()
        _, comments = sink.read_in_full(key)
    finally:
        sink.close()
    assert len(comments) == 4
    assert [r.path.rsplit("/", 2)[-1] for r in jira_cloud.log.records] == [key]


def test_a_throttled_read_is_retried(jira_cloud: JiraSimulator) -> None:
    sink = _sink(jira_cloud)
    try:
        key = _issue_with_comments(jira_cloud, sink, 1)
        jira_cloud.faults.break_next("read", 503, times=2)
        _, comments = sink.read_in_full(key)
    finally:
        sink.close()
    assert comments == ["comment 0"]


def test_jira_down_past_retry_for_is_retriable(jira_cloud: JiraSimulator) -> None:
    sink = _sink(jira_cloud)
    try:
        key = _issue_with_comments(jira_cloud, sink, 1)
        jira_cloud.faults.rate_503 = 1.0
        with pytest.raises(Retriable):
            sink.read_in_full(key)
    finally:
        sink.close()


def test_a_deleted_ticket_is_gone(jira_cloud: JiraSimulator) -> None:
    sink = _sink(jira_cloud)
    try:
        key = _issue_with_comments(jira_cloud, sink, 0)
        jira_cloud.delete_by_hand(key)
        with pytest.raises(TicketGone):
            sink.read_in_full(key)
    finally:
        sink.close()


def test_comment_pages_that_never_move_on_end_the_read(jira_cloud: JiraSimulator) -> None:
    """``tickets show`` of a ticket whose comment pages ignore ``startAt`` and claim a
    billion comments (a proxy's cache, review rev34): the read ends, one line (75), as the
    sink's own paging does; it paged for ever, holding every repeated page in memory."""
    sim = jira_cloud
    sink = _sink(sim)
    try:
        key = _issue_with_comments(sim, sink, 2)
        sim.model.issue_comment_page = 1  # the issue embeds one of its two comments
        issue = sim.issues[key]
        real = sim._route
        reads = {"n": 0}

        def stuck(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
            if method == "GET" and path == f"issue/{key}/comment":
                reads["n"] += 1
                if reads["n"] > 50:  # the test's own bound: the read before would never end
                    return 200, {"comments": [], "total": 0}, {}
                return 200, sim.model.comments_json(issue, 0, 1) | {"total": 10**9}, {}
            return real(method, path, query, body)

        sim._route = stuck  # type: ignore[method-assign]
        with pytest.raises(Retriable, match="repeats comments already read"):
            sink.read_in_full(key)
    finally:
        sink.close()
    assert reads["n"] <= 2


@pytest.mark.parametrize("status", [300, 304, 305])
def test_a_3xx_with_a_location_that_is_no_redirect_is_retried_and_said_as_it_is(
    jira_cloud: JiraSimulator, status: int
) -> None:
    """300, 304 and 305 are no redirect to ``requests`` even with a Location: no answer,
    retried, then 75; the message said "without a Location" of one that had it (left by
    reviews, on the Graph side; Jira's said the same)."""
    sim = jira_cloud
    sink = _sink(sim)
    try:
        key = _issue_with_comments(sim, sink, 1)
        real = sim._route

        def proxied(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
            if method == "GET" and path == f"issue/{key}":
                return status, {"key": key}, {"Location": f"{sim.url}/elsewhere"}
            return real(method, path, query, body)

        sim._route = proxied  # type: ignore[method-assign]
        with pytest.raises(Retriable) as raised:
            sink.read_in_full(key)
    finally:
        sink.close()
    said = str(raised.value)
    assert f"HTTP {status} with a Location" in said and "without a Location" not in said, said


@pytest.mark.parametrize("back", [1, 3], ids=["one-again", "three-again"])
def test_a_comment_page_that_partly_repeats_the_one_before_lists_each_comment_once(
    jira_cloud: JiraSimulator, back: int
) -> None:
    """A proxy that follows ``startAt`` only in part: the next page starts ``back`` comments
    early, those already read come again before the new ones. Every comment once, oldest
    first (left by reviews: ``tickets show`` listed the repeated ones twice)."""
    sim = jira_cloud
    sink = _sink(sim)
    try:
        key = _issue_with_comments(sim, sink, 7)
        sim.model.issue_comment_page = 3  # the issue embeds three of its seven comments
        issue = sim.issues[key]
        real = sim._route

        def early(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
            if method == "GET" and path == f"issue/{key}/comment":
                start = int((query.get("startAt") or ["0"])[0])
                page = sim.model.comments_json(issue, max(start - back, 0), back + 2)
                return 200, page, {}
            return real(method, path, query, body)

        sim._route = early  # type: ignore[method-assign]
        _, comments = sink.read_in_full(key)
    finally:
        sink.close()
    assert comments == [f"comment {n}" for n in range(7)]


@pytest.mark.parametrize(
    "page",
    [
        {"comments": ["not an object"], "total": 1},
        {"comments": {"id": "1"}, "total": 1},
    ],
)
def test_an_embedded_comment_page_of_the_wrong_shape_is_one_line(
    jira_cloud: JiraSimulator, page: dict[str, Any]
) -> None:
    """The issue's embedded ``comment`` page of the wrong shape (review rev34): a temporary
    failure in one line, not ``internal error (ValueError...)`` or an AttributeError."""
    sim = jira_cloud
    sink = _sink(sim)
    try:
        key = _issue_with_comments(sim, sink, 0)
        real = sim._route

        def odd(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
            status, answer, headers = real(method, path, query, body)
            if method == "GET" and path == f"issue/{key}" and isinstance(answer, dict):
                answer = {**answer, "fields": {**answer["fields"], "comment": page}}
            return status, answer, headers

        sim._route = odd  # type: ignore[method-assign]
        with pytest.raises(Retriable, match="an answer that cannot be read"):
            sink.read_in_full(key)
    finally:
        sink.close()


def test_an_embedded_page_whose_total_is_not_a_number_is_all_there_is(
    jira_cloud: JiraSimulator,
) -> None:
    """A ``total`` that is not a number (review rev34): the comments sent are all there is,
    as for the sink's own pages (was ``internal error (ValueError: invalid literal...)``)."""
    sim = jira_cloud
    sink = _sink(sim)
    try:
        key = _issue_with_comments(sim, sink, 0)
        real = sim._route
        page = {"comments": [{"id": "1", "body": "by hand"}], "total": "lots"}

        def odd(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
            status, answer, headers = real(method, path, query, body)
            if method == "GET" and path == f"issue/{key}" and isinstance(answer, dict):
                answer = {**answer, "fields": {**answer["fields"], "comment": page}}
            return status, answer, headers

        sim._route = odd  # type: ignore[method-assign]
        assert sink.read_in_full(key) == ("the text", ["by hand"])
    finally:
        sink.close()
