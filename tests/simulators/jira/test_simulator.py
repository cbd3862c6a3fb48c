"""The Jira simulator, driven only through the real `jira` library (apis.md section 3).

Each test proves one behaviour the Jira sink relies on or must survive, in the mode where it
matters: Cloud (Basic email + token, /search/jql) or Data Center (Bearer PAT, /search).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from jira import JIRA, JIRAError
from jira.resources import Issue

from .server import JiraSimulator

Connect = Callable[..., JIRA]
TASK = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}}


def create(jira: JIRA, summary: str = "Duplicate proxyAddress", **fields: Any) -> Issue:
    """Create an OPS task without the library's extra lookups."""
    return jira.create_issue(fields={**TASK, "summary": summary, **fields}, prefetch=False)


def post(jira: JIRA, path: str, body: dict[str, Any]) -> Any:
    """POST raw JSON through the library's session (its retries and error parsing included)."""
    return jira._session.post(jira._get_url(path), data=json.dumps(body))


# -- construction and auth ----------------------------------------------------------------


@pytest.mark.parametrize(("mode", "deployment"), [("cloud", "Cloud"), ("server", "Server")])
def test_server_info_sets_deployment_type_and_is_cloud(
    mode: str, deployment: str, jira_cloud: JiraSimulator, jira_server: JiraSimulator,
    jira_connect: Connect,
) -> None:  # fmt: skip
    sim = jira_cloud if mode == "cloud" else jira_server
    jira = jira_connect(sim)
    info = jira.server_info()
    assert info["deploymentType"] == deployment
    assert info["baseUrl"] == sim.url and isinstance(info["versionNumbers"], list)
    assert jira._is_cloud is (mode == "cloud")


def test_cloud_rejects_a_wrong_api_token_with_401(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud, basic_auth=(jira_cloud.email, "wrong"))
    with pytest.raises(JIRAError) as error:
        jira.myself()
    assert error.value.status_code == 401
    assert "You are not authenticated" in error.value.text


def test_cloud_refuses_a_bearer_token_and_server_accepts_it(
    jira_cloud: JiraSimulator, jira_server: JiraSimulator, jira_connect: Connect
) -> None:
    with pytest.raises(JIRAError) as error:
        jira_connect(jira_cloud, token_auth=jira_cloud.pat, basic_auth=None).myself()
    assert error.value.status_code == 401
    assert jira_connect(jira_server).myself()["name"] == "dirsync-bot"
    basic = jira_connect(jira_server, basic_auth=("dirsync-bot", "secret"))
    assert basic.myself()["emailAddress"] == "bot@contoso.com"


# -- create and validation ----------------------------------------------------------------


def test_create_with_dict_refs_and_no_prefetch_is_exactly_one_request(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    jira_cloud.reset_log()
    issue = create(jira, labels=["dirsync-0123456789abcdef"], customfield_10010="IAM")
    assert [(r.method, r.path, r.status) for r in jira_cloud.log] == [
        ("POST", "/rest/api/2/issue", 201)
    ]
    stored = jira_cloud.issues[issue.key]
    assert issue.key == "OPS-1" and stored.status == "To Do"
    assert stored.fields["labels"] == ["dirsync-0123456789abcdef"]
    assert stored.fields["customfield_10010"] == "IAM"


def test_fetched_issue_has_jira_field_shapes(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    issue = jira.issue(create(jira, priority={"name": "High"}, components=[{"name": "Mail"}]).key)
    f = issue.fields
    assert (f.status.name, f.status.statusCategory.key) == ("To Do", "new")
    assert f.resolution is None and f.resolutiondate is None
    assert (f.priority.name, f.issuetype.name, f.project.key) == ("High", "Task", "OPS")
    assert [c.name for c in f.components] == ["Mail"] and f.comment.total == 0
    assert issue.self.startswith(jira_cloud.url + "/rest/api/2/issue/")


CANNOT_SET = (
    "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown."
)
TOO_LONG = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
INVALID_FIELDS = [
    ({"labels": ["Severity: high"]}, "labels",
     "The label 'Severity: high' contains spaces which is invalid."),
    ({"summary": "x" * 256}, "summary", "Summary must be less than 255 characters."),
    ({"summary": "two\nlines"}, "summary",
     "The summary is invalid because it contains newline characters."),
    ({"customfield_99999": "x"}, "customfield_99999", CANNOT_SET),
    ({"priority": {"name": "Urgent"}}, "priority", "The priority selected is invalid."),
    ({"description": "x" * 32768}, "description", TOO_LONG),
    # Jira counts Java String.length(), UTF-16 units: a character beyond U+FFFF counts two.
    ({"summary": "\U0001d52d" * 128}, "summary", "Summary must be less than 255 characters."),
    ({"description": "\U0001d52d" * 16384}, "description", TOO_LONG),
    ({"components": [{"name": "Nope"}]}, "components", "Component name 'Nope' is not valid"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "field", "message"), INVALID_FIELDS)
def test_create_rejects_invalid_fields_with_jiras_400(
    fields: dict[str, Any],
    field: str,
    message: str,
    jira_cloud: JiraSimulator,
    jira_connect: Connect,
) -> None:
    with pytest.raises(JIRAError) as error:
        create(jira_connect(jira_cloud), **fields)
    assert error.value.status_code == 400
    assert error.value.response.json() == {"errorMessages": [], "errors": {field: message}}
    assert jira_cloud.issues == {}


def test_text_limits_count_utf16_units_as_java_does(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    issue = create(jira, "\U0001d52d" * 127, description="\U0001d52d" * 16383 + "x")
    jira.add_comment(issue.key, "\U0001d52d" * 16383 + "x")  # 32,767 units: the limit
    with pytest.raises(JIRAError) as error:
        jira.add_comment(issue.key, "\U0001d52d" * 16384)  # 16,384 characters, 32,768 units
    assert error.value.response.json() == {"errorMessages": [], "errors": {"comment": TOO_LONG}}
    assert len(jira_cloud.issues[issue.key].comments) == 1


def test_get_of_a_missing_issue_is_404_with_jiras_message(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    with pytest.raises(JIRAError) as error:
        jira_connect(jira_cloud).issue("OPS-404")
    assert error.value.status_code == 404
    assert error.value.text == "Issue does not exist or you do not have permission to see it."


def test_label_updates_add_and_replace_and_are_validated(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    issue = jira.issue(create(jira, labels=["a"]).key)
    issue.add_field_value("labels", "b")
    issue.update(update={"labels": [{"remove": "a"}]}, notify=False)
    assert issue.fields.labels == ["b"]
    issue.update(fields={"labels": ["c", "d"]})
    assert jira_cloud.issues[issue.key].fields["labels"] == ["c", "d"]
    with pytest.raises(JIRAError) as error:
        issue.update(fields={"labels": ["has space"]})
    assert error.value.status_code == 400
    assert jira_cloud.issues[issue.key].fields["labels"] == ["c", "d"]


# -- search -------------------------------------------------------------------------------


def test_cloud_search_pages_over_search_jql_with_next_page_token(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    for n in range(120):
        create(jira, f"problem {n}", labels=["dirsync-many"] if n % 2 == 0 or n < 100 else [])
    jira_cloud.reset_log()
    found = jira.search_issues(
        "project = OPS AND labels = dirsync-many ORDER BY key ASC", maxResults=False
    )
    assert [i.key for i in found] == [f"OPS-{n + 1}" for n in range(120) if n % 2 == 0 or n < 100]
    searches = [r for r in jira_cloud.log.searches() if r.status == 200]
    assert [r.path for r in searches] == ["/rest/api/2/search/jql"] * 2
    assert "nextPageToken" not in searches[0].query and "nextPageToken" in searches[1].query
    assert searches[0].query["maxResults"] == ["100"]


def test_cloud_search_without_fields_returns_ids_only(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    issue = create(jira, labels=["dirsync-x"])
    raw = jira.enhanced_search_issues("labels = dirsync-x", fields=[], json_result=True)
    assert raw == {"issues": [{"id": issue.id}], "isLast": True}


def test_server_search_uses_search_with_start_at_and_total(
    jira_server: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_server)
    for n in range(5):
        create(jira, f"problem {n}", labels=["dirsync-s"])
    page = jira.search_issues("labels = dirsync-s ORDER BY key DESC", startAt=1, maxResults=2)
    assert [i.key for i in page] == ["OPS-4", "OPS-3"] and page.total == 5
    assert {r.path for r in jira_server.log.searches()} == {"/rest/api/2/search"}
    assert len(jira.search_issues("labels = dirsync-s", maxResults=False)) == 5


def test_cloud_answers_the_removed_search_api_with_410(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud, get_server_info=False)  # _is_cloud False: takes the old path
    with pytest.raises(JIRAError) as error:
        jira.search_issues("project = OPS")
    assert error.value.status_code == 410
    assert "CHANGE-2046" in error.value.text


def test_server_has_no_search_jql_endpoint(
    jira_server: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_server)
    assert jira.enhanced_search_issues("project = OPS") is None  # the library's own guard
    with pytest.raises(JIRAError) as error:
        jira._get_json("search/jql", params={"jql": "project = OPS"})
    assert error.value.status_code == 404


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("", "Unbounded JQL queries are not allowed here."),
        ("summary ~ boom", "Field 'summary' does not exist"),
        ("project = OPS labels = x", "Error in the JQL Query: Expecting either 'OR' or 'AND'"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
    ],
)
def test_cloud_search_rejects_jql_it_cannot_run_with_400(
    jql: str, message: str, jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    with pytest.raises(JIRAError) as error:
        jira_connect(jira_cloud).search_issues(jql)
    assert error.value.status_code == 400 and error.value.text.startswith(message)


def test_jql_status_changed_after_finds_issues_moved_since_not_those_only_created(
    jira_server: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_server)
    keys = [create(jira, labels=["dirsync-c"]).key for _ in range(3)]
    jira_server.resolve_by_hand(keys[0], "Done")
    jira_server.resolve_by_hand(keys[1], "Done")
    jira_server.move_by_hand(keys[1], "To Do")  # reopened by a person

    def search(jql: str) -> list[str]:
        return sorted(i.key for i in jira.search_issues(jql))

    assert search("labels = dirsync-c AND status CHANGED AFTER -5m") == sorted(keys[:2])
    assert search("labels = dirsync-c AND status CHANGED") == sorted(keys[:2])
    assert search("labels = dirsync-c AND status CHANGED AFTER 5m") == []
    assert search(
        "labels = dirsync-c AND updated >= -5m AND (statusCategory = Done OR status CHANGED "
        "AFTER -5m) AND statusCategory != Done"
    ) == [keys[1]]
    with pytest.raises(JIRAError) as error:
        jira.search_issues("labels = dirsync-c AND summary CHANGED")
    assert error.value.status_code == 400


def test_jql_filters_by_status_category_resolution_and_time(
    jira_server: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_server)
    keys = [create(jira, labels=["dirsync-q"]).key for _ in range(3)]
    jira_server.resolve_by_hand(keys[1], "Won't Do")

    def search(jql: str) -> list[str]:
        return [i.key for i in jira.search_issues(jql)]

    assert search("labels = dirsync-q AND statusCategory != Done ORDER BY key ASC") == [
        keys[0],
        keys[2],
    ]
    assert search('labels in (dirsync-q, other) AND resolution = "Won\'t Do"') == [keys[1]]
    assert search("labels = dirsync-q AND resolution is EMPTY AND created >= -5m") == [
        keys[2],
        keys[0],
    ]
    assert search(f"key in ({keys[0]}, {keys[2]}) AND status = 'To Do' ORDER BY created DESC") == [
        keys[2], keys[0]]  # fmt: skip
    assert search("labels = dirsync-q AND created < -1d") == []
    unlabelled = create(jira).key
    assert unlabelled not in search("project = OPS AND labels != other")  # != skips EMPTY
    assert search("labels is EMPTY") == [unlabelled]


# -- comments, workflow, properties, links ------------------------------------------------


def test_comments_add_list_edit_and_delete(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    issue = create(jira)
    first = jira.add_comment(issue.key, "Seen again in the 10:00 report.")
    jira.add_comment(issue.key, "And at 11:00.")
    assert [c.body for c in jira.comments(issue.key)] == [
        "Seen again in the 10:00 report.",
        "And at 11:00.",
    ]
    first.update(body="Seen again at 10:00.")
    assert jira.comment(issue.key, first.id).body == "Seen again at 10:00."
    for attempt in (lambda: first.update(body=" "), lambda: jira.add_comment(issue.key, "")):
        with pytest.raises(JIRAError) as error:
            attempt()
        assert (
            error.value.status_code == 400 and "Comment body can not be empty" in error.value.text
        )
    first.delete()
    assert [c.body for c in jira.comments(issue.key)] == ["And at 11:00."]
    assert jira.issue(issue.key).fields.comment.total == 1


def test_transition_by_name_resolves_and_reopen_clears(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    key = create(jira).key
    assert [t["name"] for t in jira.transitions(key)] == ["Start Progress", "Done"]
    jira.transition_issue(key, "done", comment="No longer reported.")
    done = jira.issue(key).fields
    assert (done.status.name, done.status.statusCategory.key, done.resolution.name) == (
        "Done",
        "done",
        "Done",
    )
    assert (
        done.resolutiondate is not None and done.comment.comments[0].body == "No longer reported."
    )
    jira.transition_issue(key, "Reopen")
    reopened = jira.issue(key).fields
    assert (reopened.status.name, reopened.resolution, reopened.resolutiondate) == (
        "To Do",
        None,
        None,
    )
    jira.transition_issue(key, "Done", fields={"resolution": {"name": "Duplicate"}})
    assert jira_cloud.issues[key].resolution == "Duplicate"


def test_transition_not_available_from_the_status_is_400(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    key = create(jira).key
    reopen = "51"  # "Reopen" from Done, in the default workflow's numbering
    with pytest.raises(JIRAError) as error:
        jira.transition_issue(key, reopen)
    assert error.value.status_code == 400
    assert error.value.text == f"Transition id '{reopen}' is not valid for this issue."
    jira_cloud.move_by_hand(key, "In Progress")
    assert [t["name"] for t in jira.transitions(key)] == ["Stop Progress", "Done"]


def test_a_workflow_without_reopen_offers_no_way_back(jira_connect: Connect) -> None:
    workflow = {"To Do": [("Done", "Done")], "Done": []}
    with JiraSimulator("cloud", workflow=workflow) as sim:
        jira = jira_connect(sim)
        key = create(jira).key
        sim.resolve_by_hand(key, "Won't Do")
        assert jira.issue(key).fields.resolution.name == "Won't Do"
        assert jira.transitions(key) == []
        with pytest.raises(JIRAError, match="Invalid transition name"):
            jira.transition_issue(key, "Reopen")


def test_properties_put_get_and_set_in_the_create_request(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    state = {"fingerprint": "ab" * 32, "episode": 1}
    fields = {**TASK, "summary": "With state"}
    created = post(
        jira, "issue", {"fields": fields, "properties": [{"key": "dirsync-bridge", "value": state}]}
    )
    key = created.json()["key"]
    assert jira.issue(key, properties="dirsync-bridge").raw["properties"] == {
        "dirsync-bridge": state
    }
    jira.add_issue_property(key, "dirsync-bridge", state | {"episode": 2})
    assert jira.issue_property(key, "dirsync-bridge").raw["value"]["episode"] == 2
    assert [p.key for p in jira.issue_properties(key)] == ["dirsync-bridge"]
    found = jira.search_issues(f"key = {key}", properties="dirsync-bridge")
    assert found[0].raw["properties"]["dirsync-bridge"]["episode"] == 2


@pytest.mark.parametrize("value", [["not", "an", "object"], {"blob": "x" * 33000}])
def test_property_values_must_be_small_json_objects(
    value: Any, jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    key = create(jira).key
    with pytest.raises(JIRAError) as error:
        jira.add_issue_property(key, "dirsync-bridge", value)
    assert error.value.status_code == 400 and jira_cloud.issues[key].properties == {}


def test_a_link_shows_on_both_issues(jira_cloud: JiraSimulator, jira_connect: Connect) -> None:
    jira = jira_connect(jira_cloud)
    old, new = create(jira, "old").key, create(jira, "new").key
    response = jira.create_issue_link("Relates", new, old)
    assert response.status_code == 201
    (on_new,) = jira.issue(new).fields.issuelinks
    (on_old,) = jira.issue(old).fields.issuelinks
    assert (on_new.type.name, on_new.outwardIssue.key) == ("Relates", old)
    assert (on_old.type.name, on_old.inwardIssue.key) == ("Relates", new)


# -- faults -------------------------------------------------------------------------------


def test_429_with_retry_after_is_retried_once_then_succeeds(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    jira_cloud.reset_log()
    jira_cloud.faults.fail_next(429)
    assert jira.myself()["emailAddress"] == jira_cloud.email
    assert [r.status for r in jira_cloud.log] == [429, 200]


def test_without_retries_a_429_surfaces_with_its_headers(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud, max_retries=0)
    jira_cloud.faults.retry_after = "7"
    jira_cloud.faults.rate_429 = 1.0
    with pytest.raises(JIRAError) as error:
        jira.myself()
    headers = error.value.response.headers
    assert error.value.status_code == 429
    assert (headers["Retry-After"], headers["X-RateLimit-Remaining"]) == ("7", "0")


def test_rate_faults_are_deterministic_for_a_seed(jira_connect: Connect) -> None:
    def statuses() -> list[int]:
        with JiraSimulator("cloud", seed=7) as sim:
            jira = jira_connect(sim, max_retries=0)
            sim.faults.rate_503 = 0.5
            for _ in range(12):
                with contextlib.suppress(JIRAError):
                    jira.myself()
            return [r.status for r in sim.log if r.path.endswith("/myself")]

    first = statuses()
    assert first == statuses() and {200, 503} <= set(first)


def test_create_then_503_creates_the_issue_and_a_retry_duplicates_it(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira_cloud.faults.create_then_503 = 1.0
    with pytest.raises(JIRAError) as error:
        create(jira_connect(jira_cloud, max_retries=0))
    assert error.value.status_code == 503 and list(jira_cloud.issues) == ["OPS-1"]
    with pytest.raises(JIRAError):
        create(jira_connect(jira_cloud, max_retries=1))  # the library retries the POST...
    assert list(jira_cloud.issues) == ["OPS-1", "OPS-2", "OPS-3"]  # ...making a duplicate


def test_search_lag_hides_a_fresh_issue_unless_reconciled(
    jira_cloud: JiraSimulator, jira_server: JiraSimulator, jira_connect: Connect
) -> None:
    jira_cloud.faults.search_lag = jira_server.faults.search_lag = 60.0
    cloud = jira_connect(jira_cloud)
    issue = create(cloud, labels=["dirsync-fresh"])
    assert cloud.search_issues("labels = dirsync-fresh") == []
    seen = cloud.enhanced_search_issues("labels = dirsync-fresh", reconcileIssues=[int(issue.id)])
    assert [i.key for i in seen] == [issue.key]
    server = jira_connect(jira_server)
    create(server, labels=["dirsync-fresh"])
    assert len(server.search_issues("labels = dirsync-fresh")) == 1  # Data Center is consistent


def test_latency_is_added_to_every_request(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    jira_cloud.faults.latency = 0.05
    started = time.monotonic()
    jira.myself()
    jira.myself()
    assert time.monotonic() - started >= 0.1


def test_the_log_tells_writes_from_searches(
    jira_cloud: JiraSimulator, jira_connect: Connect
) -> None:
    jira = jira_connect(jira_cloud)
    jira_cloud.reset_log()
    key = create(jira, labels=["dirsync-w"]).key
    jira.search_issues("labels = dirsync-w", use_post=True)
    jira.add_comment(key, "one")
    assert [(r.method, r.path) for r in jira_cloud.log.writes()] == [
        ("POST", "/rest/api/2/issue"), ("POST", f"/rest/api/2/issue/{key}/comment")]  # fmt: skip
    assert [r.method for r in jira_cloud.log.searches()] == ["POST"]
    assert jira_cloud.log.count("GET", "field") == 1  # the library's field-name cache
