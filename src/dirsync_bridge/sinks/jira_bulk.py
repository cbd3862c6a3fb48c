"""Jira's bulk create (``POST /rest/api/2/issue/bulk``): its answer, item by item.

Up to 50 issues to a request (Cloud's documented limit; Data Center is given the same). Each
item carries all a single create carries: fields, labels, priority, components and the issue
property. Jira makes the items in order and may refuse some alone: the answer lists the
issues made (``issues``, in request order) and one error per item refused (``errors``, each
naming its item by ``failedElementNumber``, counted from 0, with a ``status`` and Jira's
error JSON as ``elementErrors``): 201 when any was made, 400 with the same JSON when none
was. An answer that cannot be matched to its items (the counts do not add up) leaves every
item it does not refuse with an unknown outcome, settled later by a search, never guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Final

from .. import interrupt
from ..config.settings import JiraSettings
from ..errors import DirsyncBridgeError, Skippable, WriteUnconfirmed
from ..fingerprint import label
from ..ports import TicketSnapshot
from ..sink_values import Made, NewTicket
from .jira_http import JiraHttp
from .jira_wire import (
    PROPERTY,
    OutcomeUnknown,
    issue_fields,
    message_of,
    property_of,
    property_value,
    refusal,
)

log = logging.getLogger(__name__)

MAX_ITEMS: Final = 50
IN_FLIGHT: Final = 4
"""Writes to existing tickets at once (comments, transitions, properties)."""


def issue_update(settings: JiraSettings, ticket: NewTicket) -> dict[str, Any]:
    """One item of a bulk create: all a single create sends (fields, property)."""
    value = property_value(
        ticket.idempotency_key, ticket.fingerprint, ticket.family, ticket.content
    )
    return {
        "fields": issue_fields(settings, ticket.fingerprint, ticket.content, ticket.family),
        "properties": [{"key": PROPERTY, "value": value}],
    }


def made_properties(
    made: Sequence[Made], updates: Sequence[dict[str, Any]]
) -> list[tuple[str, dict[str, Any]]]:
    """(issue key, property value) of each issue a bulk create made."""
    return [
        (outcome.key, update["properties"][0]["value"])
        for outcome, update in zip(made, updates, strict=True)
        if isinstance(outcome, TicketSnapshot)
    ]


def label_list(fingerprints: Sequence[str]) -> str:
    """The labels of a batch, for a message: the first few, and how many more."""
    shown = [label(fp) for fp in fingerprints[:3]]
    more = len(fingerprints) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def outcomes(
    settings: JiraSettings, answer: dict[str, Any], tickets: Sequence[NewTicket]
) -> list[Made]:
    """What became of each ticket of a bulk create, in order, from Jira's answer.

    Only an answer that adds up exactly is believed: ``issues`` and ``errors`` lists, each
    refusal numbering a distinct item of the request (an int, from 0), one issue with a
    distinct key for every item not refused. Anything else (an item both made and refused,
    refusals numbered from 1, a number twice, ``issues`` not a list) leaves every item
    unknown, settled by a label search, since no item's fate can be read from it.
    """
    errors, issues = answer.get("errors"), answer.get("issues")
    refused = _refusals([] if errors is None else errors, len(tickets))
    made = [n for n in range(len(tickets)) if n not in (refused or {})]
    keys = [issue.get("key") if isinstance(issue, dict) else None for issue in _list(issues)]
    if (
        refused is None
        or not isinstance(issues, list)
        or len(keys) != len(made)
        or not all(isinstance(key, str) and key for key in keys)
        or len(set(keys)) != len(keys)
    ):
        return [_unknown(ticket, "an answer that does not add up") for ticket in tickets]
    by_number = dict(zip(made, keys, strict=True))
    out: list[Made] = []
    for number, ticket in enumerate(tickets):
        if number in refused:
            out.append(_refused(settings, ticket, refused[number]))
            continue
        out.append(
            TicketSnapshot(
                key=str(by_number[number]),
                idempotency_key=ticket.idempotency_key,
                fingerprint=ticket.fingerprint,
                content=ticket.content,
                status="open",
            )
        )
    return out


def not_theirs(
    made: list[Made], tickets: Sequence[NewTicket], known: Callable[[str], bool]
) -> list[Made]:
    """An answer naming an issue the ledger already holds for another ticket (a proxy
    replaying an earlier 201, a stale cache, a Jira bug) is not this request's: every item
    unknown, its issues and refusals alike (none of it can be read from such an answer),
    settled by the label search, which matches each create by its issue property. Believed,
    two problems would share one ticket and the issues really made would go untracked (and
    on Data Center the other problem's issue would be given this item's property)."""
    # (Jira reads a key in any case: ``ops-1`` is OPS-1.)
    taken = [
        o.key
        for o in made
        if isinstance(o, TicketSnapshot) and (known(o.key) or known(o.key.upper()))
    ]
    if not taken:
        return made
    named = ", ".join(taken[:3]) + (f" and {len(taken) - 3} more" if len(taken) > 3 else "")
    why = f"an answer naming {named}, already the ledger's for another problem"
    return [_unknown(ticket, why) for ticket in tickets]


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _refusals(errors: object, count: int) -> dict[int, dict[str, Any]] | None:
    """Item number -> its refusal; None unless each names a distinct item in range."""
    if not isinstance(errors, list):
        return None
    refused: dict[int, dict[str, Any]] = {}
    for error in errors:
        number = error.get("failedElementNumber") if isinstance(error, dict) else None
        if type(number) is not int or not 0 <= number < count or number in refused:
            return None  # JSON true is a bool, not a number
        refused[number] = error
    return refused


def _unknown(ticket: NewTicket, why: str) -> WriteUnconfirmed:
    return WriteUnconfirmed(
        f"Jira: creating the ticket for {label(ticket.fingerprint)} got {why}; it is "
        "looked for by label before any new attempt"
    )


def checked(
    made: list[Made], tickets: Sequence[NewTicket], labels: dict[str, set[str]]
) -> list[Made]:
    """A bulk answer with refusals, checked against the labels of the issues it names
    made (``labels``: issue key -> its labels, from one search): the numbering of the
    refusals is trusted only if each issue carries its own item's label; otherwise every
    item is unknown (an issue may be another item's, a "refused" item may be made)."""
    for outcome, ticket in zip(made, tickets, strict=True):
        if isinstance(outcome, TicketSnapshot) and label(ticket.fingerprint) not in labels.get(
            outcome.key, set()
        ):
            why = "an answer whose issues do not carry their items' labels"
            return [_unknown(t, why) for t in tickets]
    return made


def labels_of(http: JiraHttp, keys: Sequence[str]) -> dict[str, set[str]]:
    """Issue key -> its labels, by one search (``key in (...)``); {} if it fails."""
    try:
        found = http.search(f"key in ({', '.join(keys)})", ["labels"])
        return {
            str(raw["key"]): set((raw.get("fields") or {}).get("labels") or []) for raw in found
        }
    except DirsyncBridgeError as exc:
        log.warning("the issues of a bulk create could not be checked (%s)", exc)
        return {}


def unsettled(outcome: Made, lacking: dict[str, Exception]) -> Made:
    """A made issue that may lack its property (``Properties.keep``): left for a label
    search to settle (``jira_settle.adopt`` gives it the property), never recorded without it."""
    if not isinstance(outcome, TicketSnapshot) or outcome.key not in lacking:
        return outcome
    return WriteUnconfirmed(
        f"Jira made {outcome.key} for {label(outcome.fingerprint)} but could not set its "
        f"issue property ({lacking[outcome.key]}); it is settled by a label search"
    )


def split(
    create_many: Callable[[Sequence[NewTicket]], list[Made]],
    tickets: Sequence[NewTicket],
    exc: Exception,
) -> list[Made]:
    """A bulk create refused as too large (413: a proxy's body limit; nothing was written):
    each half sent on its own, down to single creates; a single ticket too large is that
    problem's alone (``Skippable``, named), never the whole run's."""
    if len(tickets) == 1:
        return [
            Skippable(
                f"Jira: the ticket for {label(tickets[0].fingerprint)} is too large to create "
                f"({exc}: a proxy's body limit?); skipped until fixed, the other tickets go on"
            )
        ]
    log.info("Jira refused %d creates in one request as too large (%s): halved", len(tickets), exc)
    half = (len(tickets) + 1) // 2
    made: list[Made] = []
    for part in (tickets[:half], tickets[half:]):
        try:
            made += create_many(part)
        except Exception as error:  # that half's request as a whole: each item's fate
            made += [error] * len(part)
    return made


def _refused(settings: JiraSettings, ticket: NewTicket, error: dict[str, Any]) -> Exception:
    """One item's refusal, as a single create's refusal would be told."""
    name = label(ticket.fingerprint)
    status = error.get("status")
    body = error.get("elementErrors")
    body = body if isinstance(body, dict) else {}
    if not isinstance(status, int) or status >= 500 or status == 429:
        # Not a refusal of the item: whether it was made is unknown.
        return WriteUnconfirmed(
            f"Jira: creating the ticket for {name} failed with no clear answer (HTTP "
            f"{status} for the item); it is looked for by label before any new attempt"
        )
    detail = message_of(body) or "no details"
    return refusal(
        settings, "create the ticket", status, body, detail, name, creating=True,
        needs="Create Issues",
    )  # fmt: skip


class Properties:
    """Data Center: the issue property set afterwards where a bulk create dropped it.

    Jira Cloud documents that a bulk create sets each item's properties. Data Center's
    documentation does not say so for every release, and a Jira whose request bean lacks
    the field ignores it without an error (README, "Data Center and issue properties in
    bulk"). So on Data Center the
    first bulk create of a run is checked with one search (``key in (...)``, the property
    asked for): if every issue has it, this site keeps properties and later batches are
    trusted; otherwise each issue made without it gets it by one PUT, a few at a time.
    """

    def __init__(self, http: JiraHttp) -> None:
        self._http = http
        self._kept: bool | None = None
        """Whether this site's bulk create keeps properties (None: not checked yet)."""

    def keep(self, made: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Exception]:
        """Make sure each (issue key, property value) made by a bulk create has it; the
        issues that may still lack it, each with what went wrong.

        Never raises for a refusal or a lost answer: the issues exist whatever happens
        here. The caller leaves an issue that may lack its property unsettled, so that a
        label search finds it (``jira_settle.adopt``) and gives it the property, instead of
        the ledger recording an issue that a later settle could not tell from another's.
        """
        if not made or self._kept:
            return {}
        missing = list(made)
        if self._kept is None:
            jql = f"key in ({', '.join(key for key, _ in made)})"
            try:
                have = {
                    str(raw["key"])
                    for raw in self._http.search(jql, ["summary"])
                    if property_of(raw)
                }
            except DirsyncBridgeError as exc:
                # Unchecked: PUT each one (a PUT says the whole value, so it is safe).
                log.warning("the issue properties of %s could not be checked (%s)", jql, exc)
            else:
                missing = [(key, value) for key, value in made if key not in have]
                self._kept = not missing
                if missing:
                    log.info("this Jira's bulk create drops issue properties: each is set after it")
        with interrupt.workers(IN_FLIGHT) as pool:
            failed = zip(missing, pool.map(self.put, missing), strict=True)
            return {key: error for (key, _), error in failed if error is not None}

    def put(self, item: tuple[str, dict[str, Any]]) -> Exception | None:
        """Set one issue's property (a PUT says the whole value: sending it twice is safe);
        the error if it could not be (logged), else None."""
        key, value = item
        try:
            self._http.write(
                f"set the property of {key}", "PUT", f"issue/{key}/properties/{PROPERTY}",
                value, ticket=key,
            )  # fmt: skip
        except (OutcomeUnknown, DirsyncBridgeError) as exc:
            log.warning("%s: its issue property could not be set (%s)", key, exc)
            return exc
        return None
