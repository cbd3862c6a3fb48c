"""`POST /rest/api/2/issue/bulk`: up to 50 creates in one request, answered item by item.

As Jira does it (Cloud REST v2 "Bulk create issue"; Data Center `createIssues`): the items are
created in order, each validated like a single create; an item Jira refuses does not stop
the others. The answer lists the created issues (`issues`, in request order) and one error
per refused item (`errors`: `status`, `elementErrors` in Jira's error shape, and
`failedElementNumber`, the item's 0-based position). 201 when at least one issue was made,
400 when none was. Faults: `Faults.refuse_create` refuses chosen items;
`Faults.bulk_drops_properties` makes the endpoint ignore each item's `properties`, as a Jira
whose request bean lacks the field (and ignores unknown ones) would, with no error.
"""

from __future__ import annotations

from typing import Any

from .catalog import ApiError, Json
from .faults import Faults
from .model import JiraModel

MAX_ITEMS = 50
TOO_MANY = f"You can create at most {MAX_ITEMS} issues in one request."  # the simulator's words


def create_bulk(model: JiraModel, faults: Faults, body: Any) -> tuple[int, Json]:
    """Create each item of `{"issueUpdates": [...]}`; (status, answer)."""
    items = body.get("issueUpdates") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ApiError(400, "issueUpdates is required: a list of issues to create.")
    if len(items) > MAX_ITEMS:
        raise ApiError(400, TOO_MANY)
    issues: list[Json] = []
    errors: list[Json] = []
    for number, item in enumerate(items):
        if faults.bulk_drops_properties and isinstance(item, dict):
            item = {k: v for k, v in item.items() if k != "properties"}
        try:
            refuse(faults, item)
            issues.append(model.create_issue(item)[1])
        except ApiError as error:
            failed = {"status": error.status, "elementErrors": error.body()}
            errors.append(failed | {"failedElementNumber": number})
    return (201 if issues else 400), {"issues": issues, "errors": errors}


def refuse(faults: Faults, item: Any) -> None:
    """`ApiError` if `Faults.refuse_create` aims at this create (by its summary)."""
    fields = item.get("fields") if isinstance(item, dict) else None
    summary = str((fields or {}).get("summary") or "")
    status = faults.refusal(summary)
    if status is not None:
        raise ApiError(status, errors={"summary": "This summary is refused (simulated refusal)."})
