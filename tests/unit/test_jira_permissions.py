"""A Jira 403 names the project permission the refused request needs (from the rev25 review).

Every 403 said "the account needs Browse, Create, Edit, Add Comments and Transition
Issues", whatever was refused: after the lifecycle v3 upgrade withdrew comments (DELETE),
a 403 named five permissions the account had and not the one it lacked, Delete Own
Comments. Pure: a request (method, path, body) in, Jira's permission name out
(``sinks/jira_wire.permission_needed``), and the 403's line built with it. The sink's end to
end case: ``tests/integration/test_jira_upgrade_refold.py``.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import Fatal
from dirsync_bridge.ports import TicketContent
from dirsync_bridge.sink_values import NewTicket
from dirsync_bridge.sinks.jira_bulk import outcomes
from dirsync_bridge.sinks.jira_wire import EVERY_PERMISSION, permission_needed, refusal

SETTINGS = Config.model_validate(
    {"sink": {"kind": "jira"}, "jira": {"url": "https://x.atlassian.net", "project": "OPS"}}
).jira


@pytest.mark.parametrize(
    ("method", "path", "body", "permission"),
    [
        ("POST", "issue", {"fields": {}}, "Create Issues"),
        ("POST", "issue/bulk", {"issueUpdates": []}, "Create Issues"),
        ("PUT", "issue/OPS-1", {"fields": {"summary": "s"}}, "Edit Issues"),
        (
            "PUT",
            "issue/OPS-1",
            {"fields": {}, "update": {"comment": [{"add": {"body": "b"}}]}},
            "Edit Issues and Add Comments",
        ),
        ("PUT", "issue/OPS-1/properties/dirsync-bridge", {"v": 1}, "Edit Issues"),
        ("POST", "issue/OPS-1/comment", {"body": "b"}, "Add Comments"),
        ("PUT", "issue/OPS-1/comment/10001", {"body": "b"}, "Edit Own Comments"),
        ("DELETE", "issue/OPS-1/comment/10001", None, "Delete Own Comments"),
        ("POST", "issue/OPS-1/transitions", {"transition": {"id": "31"}}, "Transition Issues"),
        ("POST", "issueLink", {"type": {"name": "Relates"}}, "Link Issues"),
        ("GET", "issue/OPS-1/comment", None, "Browse Projects"),
        ("GET", "search/jql", None, "Browse Projects"),
    ],
    ids=[
        "create", "bulk-create", "edit", "edit-adding-a-comment", "property", "comment",
        "edit-comment", "delete-comment", "transition", "link", "read-comments", "search",
    ],
)  # fmt: skip
def test_each_request_needs_its_own_permission(
    method: str, path: str, body: object, permission: str
) -> None:
    needed = permission_needed(method, path, body)
    assert needed.startswith(permission), needed
    if method != "GET":
        assert needed != EVERY_PERMISSION


def test_a_resolving_transition_names_resolve_issues_too() -> None:
    assert "Resolve Issues" in permission_needed("POST", "issue/OPS-1/transitions", {})


def test_a_request_not_known_names_every_permission_the_sink_needs() -> None:
    needed = permission_needed("PATCH", "something/new", None)
    assert needed == EVERY_PERMISSION
    for name in ("Delete Own Comments", "Edit Own Comments", "Link Issues", "Resolve Issues"):
        assert name in needed


def test_the_403_line_names_the_permission_it_was_given() -> None:
    error = refusal(
        SETTINGS, "withdraw a comment on OPS-1", 403, {}, "no", "OPS-1",
        needs="Delete Own Comments",
    )  # fmt: skip
    assert isinstance(error, Fatal)
    assert str(error).endswith("the account needs Delete Own Comments in the project")


def test_a_bulk_item_refused_403_names_create_issues() -> None:
    ticket = NewTicket("a" * 64 + ":0", "a" * 64, TicketContent(summary="a", description="a"))
    body = {"errorMessages": ["You may not create issues"], "errors": {}}
    answer = {
        "issues": [],
        "errors": [{"status": 403, "elementErrors": body, "failedElementNumber": 0}],
    }
    (made,) = outcomes(SETTINGS, answer, [ticket])
    assert isinstance(made, Fatal)
    assert "the account needs Create Issues in the project" in str(made)
