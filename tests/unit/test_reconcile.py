"""The diff between what a ticket should hold and what the tool last wrote."""

from __future__ import annotations

from datetime import UTC, datetime

from dirsync_bridge.lifecycle import PlannedComment
from dirsync_bridge.ports import Applied, TicketContent, TicketFacts
from dirsync_bridge.problem import Details
from dirsync_bridge.ticket_plan import (
    Target,
    Write,
    comment_note,
    content_digest,
    digest,
    plan,
    plan_superseded,
)

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


# -- links to an earlier ticket, and the writes as a person reads them ----------------------

LINKED = TicketContent(summary="s", description="d", links=("OPS-1",))


def test_a_ticket_with_an_earlier_one_is_linked_to_it_once() -> None:
    want = Target(1, "f:1", LINKED, "open", {}, {}, FACTS)
    current = Applied("OPS-2", "f:1", "open", content_digest(LINKED))
    (write,) = plan(want, current)
    assert (write.op, write.link_to) == ("link", "OPS-1")
    assert write.describe() == "link OPS-1"
    assert plan(want, Applied("OPS-2", "f:1", "open", content_digest(LINKED), {}, ("OPS-1",))) == []


def test_each_write_reads_as_a_sentence() -> None:
    at = datetime(2016, 9, 14, 17, 26, tzinfo=UTC)
    resolved = PlannedComment("0:resolved:0", "resolved", at, None, absent_reports=3)
    reopened = PlannedComment("0:reopened:0", "reopened", at, "x.eml")
    before = Details(kinds=("InvalidSoftMatch",))
    after = Details(kinds=("LargeObject",), invalid_attributes=("mail",))
    changed = PlannedComment("0:changed:0", "changed", at, "x.eml", before=before, after=after)
    notes = [comment_note(c) for c in (resolved, reopened, changed)]
    assert notes == [
        "resolved (absent from 3 reports)",
        "reopened (seen again in the report of 2016-09-14)",
        "changed (error kind, invalid attributes, in the report of 2016-09-14)",
    ]
    comment = Write("put-comment", comment_key="0:resolved:0", body="b", note=notes[0])
    assert comment.sentence("LOCAL-1") == "comment on LOCAL-1: resolved (absent from 3 reports)"
    assert Write("set-status", status="resolved").sentence("OPS-7") == "resolve OPS-7"
    assert Write("set-status", status="open").sentence("OPS-7") == "reopen OPS-7"
    assert Write("update", content=CONTENT).sentence("OPS-7") == (
        "update the summary and description of OPS-7"
    )
    assert Write("remove-comment", comment_key="2:resolved:0").sentence("OPS-7") == (
        "withdraw the resolved comment from OPS-7 (later reports contradict it)"
    )
    assert Write("link", link_to="OPS-1").sentence("OPS-7") == (
        "link OPS-7 to OPS-1, the earlier ticket for this problem"
    )


def test_a_planned_comment_carries_its_sentence() -> None:
    want = Target(0, "f:0", CONTENT, "open", {"0:resolved:0": "x"}, {"0:resolved:0": "resolved"},
                  FACTS, {"0:resolved:0": "resolved (absent from 1 report)"})  # fmt: skip
    (write,) = plan(want, applied())
    assert write.sentence("LOCAL-1") == "comment on LOCAL-1: resolved (absent from 1 report)"
