"""What a Jira answer must look like before the sink reads it: the lists of transitions and
comments read before a write, and an issue's fields read to settle one.

Why: Jira always sends these shapes, but a proxy, a cache or a Jira bug may not (a list
holding ``null``, a transition without its name, a status that is a string). Read blindly,
such an answer was a ``TypeError`` or a ``KeyError`` deep in the sink: an internal error
(exit 70, "please report it") for what is an upstream answering garbage, which README's exit
codes call temporary (75). Each is checked here and ends the write with one line instead;
nothing was written on its strength, and the next run reads Jira again (review rev31).
"""

from __future__ import annotations

from typing import Any

from ..errors import NotWritten, Retriable

_OBJECTS = ("status", "resolution", "priority")
"""Fields read as objects (``.get``) when an issue is read: each an object or null."""


def transitions_of(answer: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """``GET issue/{key}/transitions``: each transition an object with a name and an id."""
    found = _objects(answer, "transitions", what)
    for item in found:
        if not isinstance(item.get("name"), str) or not isinstance(item.get("id"), str | int):
            raise _unreadable(what, "a transition without its name or id")
    return found


def comments_of(answer: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """``GET issue/{key}/comment``: each comment an object with an id and a text body."""
    found = _objects(answer, "comments", what)
    for item in found:
        if not isinstance(item.get("id"), str | int) or not isinstance(
            item.get("body"), str | None
        ):
            raise _unreadable(what, "a comment without its id or a text body")
    return found


def issue_problem(raw: dict[str, Any]) -> str | None:
    """What is wrong with an issue's JSON for reading its snapshot (None: nothing)."""
    fields, properties = raw.get("fields"), raw.get("properties")
    if not isinstance(fields, dict | None) or not isinstance(properties, dict | None):
        return "fields or properties that are not an object"
    fields = fields or {}
    for name in _OBJECTS:
        if not isinstance(fields.get(name), dict | None):
            return f"a {name} that is not an object"
    category = (fields.get("status") or {}).get("statusCategory")
    if not isinstance(category, dict | None):
        return "a status category that is not an object"
    links = fields.get("issuelinks")
    if not isinstance(links, list | None) or not all(
        isinstance(link, dict) and isinstance(link.get("type"), dict | None) for link in links or []
    ):
        return "issue links that are not a list of links"
    if not all(isinstance(fields.get(name), str | None) for name in ("summary", "description")):
        return "a summary or description that is not text"
    return None


def readable_issue(raw: dict[str, Any], what: str) -> dict[str, Any]:
    """``raw`` if ``issue_problem`` finds nothing wrong, else ``Retriable``."""
    problem = issue_problem(raw)
    if problem is not None:
        raise Retriable(
            f"Jira: {what}: an answer that cannot be read ({problem}); the next run retries"
        )
    return raw


def _objects(answer: dict[str, Any], part: str, what: str) -> list[dict[str, Any]]:
    found = answer.get(part)
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise _unreadable(what, f"{part} that are not a list of objects")
    return found


def _unreadable(what: str, problem: str) -> NotWritten:
    # Read before any write of its call: nothing was sent on the strength of it.
    return NotWritten(
        f"Jira: {what}: an answer that cannot be read ({problem}); nothing was written, the "
        "next run retries"
    )
