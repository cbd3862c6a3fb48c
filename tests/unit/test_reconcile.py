"""The diff between what a ticket should hold and what the tool last wrote."""

from __future__ import annotations

from dirsync_bridge.ports import Applied, TicketContent, TicketFacts
from dirsync_bridge.ticket_plan import Target, content_digest, digest, plan, plan_superseded

CONTENT = TicketContent(summary="s", description="d")
FACTS = TicketFacts("s", None, None, None, None, None, 0)


def wanted(status: str = "open", **comments: str) -> Target:
    events = dict.fromkeys(comments, "changed")
    return Target(0, "f:0", CONTENT, status, dict(comments), events, FACTS)  # type: ignore[arg-type]


def applied(status: str = "open", content: TicketContent = CONTENT, **comments: str) -> Applied:
    return Applied(
        "LOCAL-1",
        "f:0",
        status,
        content_digest(content),
        {k: digest(v) for k, v in comments.items()},
    )  # type: ignore[arg-type]


def test_nothing_to_do_when_the_ticket_holds_what_it_should() -> None:
    assert plan(wanted(a="x"), applied(a="x")) == []


def test_new_comment_then_status() -> None:
    writes = plan(wanted("resolved", a="x", b="y"), applied(a="x"))
    assert [(w.op, w.comment_key, w.status, w.event) for w in writes] == [
        ("put-comment", "b", None, "changed"),
        ("set-status", None, "resolved", None),
    ]


def test_changed_content_and_comment_body_are_rewritten() -> None:
    old = TicketContent(summary="old", description="d")
    writes = plan(wanted(a="new"), applied(content=old, a="old"))
    assert [(w.op, w.comment_key) for w in writes] == [("update", None), ("put-comment", "a")]
    assert writes[0].content == CONTENT


def test_a_comment_no_longer_called_for_is_removed() -> None:
    writes = plan(wanted(), applied(a="x"))
    assert [(w.op, w.comment_key) for w in writes] == [("remove-comment", "a")]


def test_a_superseded_ticket_says_why_and_is_resolved_once() -> None:
    writes = plan_superseded(applied(), 1, "LOCAL-9")
    assert [(w.op, w.event) for w in writes] == [
        ("put-comment", "superseded"),
        ("set-status", None),
    ]
    assert writes[0].body is not None and "LOCAL-9" in writes[0].body
    done = applied("resolved", **{"1:superseded:0": writes[0].body})
    assert plan_superseded(done, 1, "LOCAL-9") == []
