"""A bulk create's answer, item by item (``sinks/jira_bulk.outcomes``): no guessing.

Pure: Jira's answer in, one outcome per ticket out. The simulator shows the same answers
end to end (``tests/integration/test_jira_bulk.py``).
"""

from __future__ import annotations

from typing import Any

from dirsync_bridge.config.settings import Config
from dirsync_bridge.errors import Fatal, Skippable, WriteUnconfirmed
from dirsync_bridge.ports import TicketContent, TicketSnapshot
from dirsync_bridge.sink_values import NewTicket
from dirsync_bridge.sinks.jira_bulk import not_theirs, outcomes

SETTINGS = Config.model_validate(
    {"sink": {"kind": "jira"}, "jira": {"url": "https://x.atlassian.net", "project": "OPS"}}
).jira
TICKETS = [
    NewTicket(f"{c * 64}:0", c * 64, TicketContent(summary=c, description=c)) for c in "abcd"
]


def refused(number: int, status: int = 400, **errors: str) -> dict[str, Any]:
    body = {"errorMessages": [], "errors": errors or {"summary": "too long"}}
    return {"status": status, "elementErrors": body, "failedElementNumber": number}


def keys(answer: list[object]) -> list[str | None]:
    return [m.key if isinstance(m, TicketSnapshot) else None for m in answer]


def test_the_issues_made_are_matched_to_the_items_not_refused_in_order() -> None:
    answer = {
        "issues": [{"key": "OPS-1"}, {"key": "OPS-2"}],
        "errors": [refused(1), refused(3)],
    }
    made = outcomes(SETTINGS, answer, TICKETS)
    assert keys(made) == ["OPS-1", None, "OPS-2", None]
    assert isinstance(made[1], Skippable) and str(made[1]).startswith("dirsync-bbbb")
    assert "summary: too long" in str(made[1])
    assert made[0].idempotency_key == TICKETS[0].idempotency_key  # type: ignore[union-attr]


def test_an_answer_whose_counts_do_not_add_up_leaves_the_items_unknown_never_guessed() -> None:
    answer = {"issues": [{"key": "OPS-1"}], "errors": [refused(0)]}  # 3 not refused, 1 made
    made = outcomes(SETTINGS, answer, TICKETS)
    # Not even the refusal is believed: an answer that does not add up says nothing sure.
    assert all(isinstance(m, WriteUnconfirmed) for m in made)


def test_an_item_failing_with_a_server_error_is_unknown_and_a_configured_field_is_fatal() -> None:
    answer = {
        "issues": [{"key": "OPS-1"}, {"key": "OPS-2"}],
        "errors": [refused(0, 500), refused(2, customfield_99999="cannot be set")],
    }
    made = outcomes(SETTINGS, answer, TICKETS)
    assert isinstance(made[0], WriteUnconfirmed) and isinstance(made[2], Fatal)
    assert keys(made) == [None, "OPS-1", None, "OPS-2"]


def test_an_answer_naming_a_key_the_ledger_holds_leaves_every_item_unknown() -> None:
    answer = {
        "issues": [{"key": "OPS-7"}, {"key": "OPS-1"}, {"key": "OPS-8"}],
        "errors": [refused(3)],
    }
    made = not_theirs(outcomes(SETTINGS, answer, TICKETS), TICKETS, {"OPS-1"}.__contains__)
    # One key another problem's: the answer is not this request's, refusal and all.
    assert all(isinstance(m, WriteUnconfirmed) for m in made)
    assert "OPS-1, already the ledger's for another problem" in str(made[0])


def test_an_answer_naming_only_new_keys_is_believed() -> None:
    answer = {"issues": [{"key": f"OPS-{n}"} for n in range(4)]}
    made = not_theirs(outcomes(SETTINGS, answer, TICKETS), TICKETS, {"OPS-9"}.__contains__)
    assert keys(made) == ["OPS-0", "OPS-1", "OPS-2", "OPS-3"]
