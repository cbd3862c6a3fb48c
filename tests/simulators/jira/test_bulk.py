"""The simulator's bulk create (`POST /issue/bulk`): item by item, as Jira answers it.

Driven through the real `jira` library's session, as the sink drives it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from jira import JIRA, JIRAError

from .bulk import MAX_ITEMS
from .server import JiraSimulator

Connect = Callable[..., JIRA]
TASK = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}}


def item(summary: str, **fields: Any) -> dict[str, Any]:
    return {"fields": {**TASK, "summary": summary, **fields}}


def bulk(jira: JIRA, items: list[dict[str, Any]]) -> Any:
    url = jira._get_url("issue/bulk")
    return jira._session.post(url, data=json.dumps({"issueUpdates": items}))


def test_a_bulk_create_makes_every_item_in_order_in_one_request(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    jira_cloud.reset_log()
    prop = {"key": "dirsync-bridge", "value": {"fingerprint": "ab" * 32}}
    first = item(
        "ann", labels=["dirsync"], priority={"name": "High"}, components=[{"name": "Mail"}]
    )
    answer = bulk(jira, [first | {"properties": [prop]}, item("bob", customfield_10010="IAM")])
    assert answer.status_code == 201
    assert [i["key"] for i in answer.json()["issues"]] == ["OPS-1", "OPS-2"]
    assert answer.json()["errors"] == []
    assert [(r.method, r.path) for r in jira_cloud.log] == [("POST", "/rest/api/2/issue/bulk")]
    ann, bob = jira_cloud.issues["OPS-1"], jira_cloud.issues["OPS-2"]
    assert ann.fields["summary"] == "ann" and ann.fields["priority"] == "High"
    assert ann.fields["labels"] == ["dirsync"] and ann.fields["components"] == ["Mail"]
    assert ann.properties == {"dirsync-bridge": prop["value"]}
    assert bob.fields["customfield_10010"] == "IAM"


def test_refused_items_are_answered_by_their_position_and_the_others_are_made(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    jira_cloud.faults.refuse_create("bob")
    answer = bulk(jira, [item("ann"), item("bob"), item("x" * 256), item("dan")])
    assert answer.status_code == 201
    body = answer.json()
    assert [i["key"] for i in body["issues"]] == ["OPS-1", "OPS-2"]
    assert [(e["failedElementNumber"], e["status"]) for e in body["errors"]] == [(1, 400), (2, 400)]
    assert set(body["errors"][1]["elementErrors"]["errors"]) == {"summary"}
    assert [i.fields["summary"] for i in jira_cloud.issues.values()] == ["ann", "dan"]


def test_a_bulk_create_of_which_nothing_is_made_is_a_400_with_the_same_answer(
    jira_server: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_server, max_retries=0)
    jira_server.faults.refuse_create("")  # every summary contains ""
    with pytest.raises(JIRAError) as error:
        bulk(jira, [item("ann"), item("bob")])
    assert error.value.status_code == 400
    body = error.value.response.json()
    assert body["issues"] == [] and [e["failedElementNumber"] for e in body["errors"]] == [0, 1]
    assert jira_server.issues == {}


def test_more_than_fifty_items_are_refused_whole(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud, max_retries=0)
    with pytest.raises(JIRAError) as error:
        bulk(jira, [item(f"u{n}") for n in range(MAX_ITEMS + 1)])
    assert error.value.status_code == 400 and jira_cloud.issues == {}
    assert bulk(jira, [item(f"u{n}") for n in range(MAX_ITEMS)]).status_code == 201


def test_a_jira_that_drops_properties_in_bulk_makes_the_issues_without_them(
    jira_server: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_server)
    jira_server.faults.bulk_drops_properties = True
    prop = {"key": "dirsync-bridge", "value": {"fingerprint": "ab" * 32}}
    assert bulk(jira, [item("ann") | {"properties": [prop]}]).status_code == 201
    assert jira_server.issues["OPS-1"].properties == {}  # no error said so
    jira.add_issue_property("OPS-1", "dirsync-bridge", prop["value"])  # set afterwards
    assert jira_server.issues["OPS-1"].properties == {"dirsync-bridge": prop["value"]}


def test_a_bulk_create_whose_answer_is_lost_made_every_item(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud, max_retries=0)
    jira_cloud.faults.break_next("create", 503)
    with pytest.raises(JIRAError) as error:
        bulk(jira, [item("ann"), item("bob")])
    assert error.value.status_code == 503 and list(jira_cloud.issues) == ["OPS-1", "OPS-2"]


def test_a_property_write_can_be_aimed_at(jira_cloud: JiraSimulator, jira_connect: Connect) -> None:
    jira = jira_connect(jira_cloud, max_retries=0)
    bulk(jira, [item("ann")])
    jira_cloud.faults.break_next("property", 503)
    with pytest.raises(JIRAError):
        jira.add_issue_property("OPS-1", "dirsync-bridge", {"v": 1})
    assert jira_cloud.issues["OPS-1"].properties == {"dirsync-bridge": {"v": 1}}  # it was set
