"""The simulator's aimed faults, what people do by hand, comment limits and HTTPS.

Each switch is shown doing what the sink's tests rely on, through the real `jira` library
(or plain `requests` where the library would hide the fault).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from jira import JIRA, JIRAError

from .server import JiraSimulator

Connect = Callable[..., JIRA]
TASK = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}}


def create(jira: JIRA, summary: str = "Duplicate proxyAddress") -> str:
    return str(jira.create_issue(fields={**TASK, "summary": summary}, prefetch=False).key)


def test_a_write_whose_answer_is_lost_after_jira_did_it(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud, max_retries=0)
    key = create(jira)
    jira_cloud.faults.break_next("comment", 503)
    with pytest.raises(JIRAError) as error:
        jira.add_comment(key, "once")
    assert error.value.status_code == 503
    assert [c.body for c in jira_cloud.issues[key].comments] == ["once"]  # it was written

    jira_cloud.faults.break_next("transition", "drop")
    with pytest.raises(requests.ConnectionError):
        jira.transition_issue(key, "Done")
    assert jira_cloud.issues[key].status == "Done"
    jira.add_comment(key, "twice")  # one fault each: the next request is answered
    assert len(jira_cloud.issues[key].comments) == 2


def test_a_body_cut_mid_chunk_and_a_portal_page_instead_of_jira(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud, max_retries=0)
    key = create(jira)
    jira_cloud.faults.break_next("search", "chunked")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        jira.enhanced_search_issues("project = OPS", json_result=True)

    jira_cloud.faults.break_next("create", "html", reaches_jira=False)
    url = jira._get_url("issue")
    answer = jira._session.post(url, data=json.dumps({"fields": {**TASK, "summary": "x"}}))
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        answer.json()
    assert list(jira_cloud.issues) == [key]  # the proxy answered; Jira never saw it

    jira_cloud.faults.break_next("read", "html")
    with pytest.raises(ValueError):  # the library lets the JSON error through
        jira._get_json(f"issue/{key}")
    assert [r.status for r in jira_cloud.log][-3:] == [200, 200, 200]  # chunked, html, html


def test_a_deleted_issue_is_404_and_makes_a_key_search_400(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    first, second = create(jira), create(jira)
    jira_cloud.delete_by_hand(first)
    with pytest.raises(JIRAError) as error:
        jira.issue(first)
    assert error.value.status_code == 404
    with pytest.raises(JIRAError) as error:
        jira.enhanced_search_issues(f"key in ({first}, {second})", json_result=True)
    assert error.value.status_code == 400
    assert f"An issue with key '{first}' does not exist for field 'key'." in error.value.text
    found = jira.enhanced_search_issues(f"key in ({second})", json_result=True)
    assert [i["id"] for i in found["issues"]] == [jira_cloud.issues[second].id]


def test_an_issue_closed_without_a_resolution(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    key = create(jira)
    jira_cloud.move_by_hand(key, "Done", resolution=False)
    fields = jira._get_json(
        f"issue/{key}", {"fields": "status,resolution,resolutiondate,statuscategorychangedate"}
    )["fields"]
    assert fields["status"]["statusCategory"]["key"] == "done"
    assert fields["resolution"] is None and fields["resolutiondate"] is None
    assert fields["statuscategorychangedate"].endswith("+0000")
    found = jira.enhanced_search_issues("statusCategory = Done", json_result=True)
    assert len(found["issues"]) == 1


def test_a_comment_over_32767_characters_is_400_with_jiras_message(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    key = create(jira)
    jira.add_comment(key, "x" * 32_767)
    with pytest.raises(JIRAError) as error:
        jira.add_comment(key, "x" * 32_768)
    assert error.value.status_code == 400
    assert "exceeds the allowed limit of 32,767 characters" in error.value.text


def test_tls_serves_https_that_only_its_ca_verifies(ca_bundle_env: str) -> None:
    with JiraSimulator("cloud", tls=True) as sim:
        assert sim.url.startswith("https://")
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{sim.url}/rest/api/2/serverInfo", timeout=5)
        answer = requests.get(f"{sim.url}/rest/api/2/serverInfo", timeout=5, verify=sim.ca_path)
        assert answer.json()["deploymentType"] == "Cloud"


def test_server_info_can_refuse_wrong_credentials_and_still_answer_anyone(
    jira_cloud: JiraSimulator,
) -> None:
    url = f"{jira_cloud.url}/rest/api/2/serverInfo"
    wrong = ("bot@contoso.com", "wrong")
    assert requests.get(url, auth=wrong, timeout=5).status_code == 200  # the default
    jira_cloud.faults.server_info_checks_credentials = True
    assert requests.get(url, auth=wrong, timeout=5).status_code == 401
    assert requests.get(url, timeout=5).json()["deploymentType"] == "Cloud"
    right = (jira_cloud.email, jira_cloud.api_token)
    assert requests.get(url, auth=right, timeout=5).status_code == 200


def test_an_issue_moved_to_another_project_answers_under_its_new_key_as_jira_does() -> None:
    with JiraSimulator("cloud", project=["OPS", "NEW"]) as sim:
        auth = (sim.email, sim.api_token)
        api = f"{sim.url}/rest/api/2"
        body = {"fields": {**TASK, "summary": "x"}}
        old = requests.post(f"{api}/issue", json=body, auth=auth, timeout=5).json()["key"]
        new = sim.move_to_project_by_hand(old, "NEW")
        assert new == "NEW-1" and list(sim.issues) == ["NEW-1"]
        # The old key still works, for reads and writes, and answers with the new key.
        assert requests.get(f"{api}/issue/{old}", auth=auth, timeout=5).json()["key"] == new
        note = {"body": "hi"}
        comment = requests.post(f"{api}/issue/{old}/comment", json=note, auth=auth, timeout=5)
        assert comment.status_code == 201 and len(sim.issues[new].comments) == 1
        found = requests.get(
            f"{api}/search/jql",
            params={"jql": f"key in ({old}) AND statusCategory = Done", "fields": "status"},
            auth=auth,
            timeout=5,
        )
        assert found.json()["issues"] == []
        sim.resolve_by_hand(old, "Done")
        found = requests.get(
            f"{api}/search/jql",
            params={"jql": f"key in ({old}) AND statusCategory = Done", "fields": "status"},
            auth=auth,
            timeout=5,
        )
        assert [issue["key"] for issue in found.json()["issues"]] == [new]
        sim.delete_by_hand(new)  # gone, under both keys
        assert requests.get(f"{api}/issue/{old}", auth=auth, timeout=5).status_code == 404


def test_a_fault_aimed_at_reading_comments_spares_the_other_reads(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud, max_retries=0)
    key = create(jira)
    jira_cloud.faults.break_next("comments", 500)
    jira.issue(key)  # another read: answered
    with pytest.raises(JIRAError) as error:
        jira.comments(key)
    assert error.value.status_code == 500
    assert len(jira.comments(key)) == 0  # one fault: the next read is answered
