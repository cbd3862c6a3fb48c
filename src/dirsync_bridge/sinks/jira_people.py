"""Which of the tool's tickets people have resolved, deleted or moved in Jira.

One ``key in (...) AND statusCategory = Done`` search per hundred tickets answers it, with
two things a person may have done in the way:

- deleted a ticket: Jira refuses the whole search (400) naming the key, or not naming it;
  the gone keys are set aside (each checked: 404) and the rest asked again;
- moved a ticket to another project: Jira answers for its old key under the new one (as it
  answers every request for an old key), so the answers are matched back to the keys asked
  for, by splitting the search until each new key stands alone beside its old one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from ..errors import BadRequest, TicketGone
from ..ports import Resolution
from .jira_http import JiraHttp
from .jira_wire import MISSING_KEY, gone_message, jira_time

log = logging.getLogger(__name__)

KEYS_PER_SEARCH: Final = 100
_DONE_FIELDS: Final = ["status", "resolution", "resolutiondate", "statuscategorychangedate"]


def resolved_elsewhere(
    http: JiraHttp, keys: Sequence[str], now: Callable[[], datetime]
) -> dict[str, Resolution]:
    """By the keys asked for: those Jira shows as done (with or without a resolution), and
    those deleted (``gone``)."""
    out: dict[str, Resolution] = {}
    chunks = [list(keys[n : n + KEYS_PER_SEARCH]) for n in range(0, len(keys), KEYS_PER_SEARCH)]
    while chunks:
        chunk = chunks.pop()
        jql = f"key in ({', '.join(chunk)}) AND statusCategory = Done"
        try:
            found = list(http.search(jql, _DONE_FIELDS))
        except BadRequest as exc:
            # One deleted key makes Jira refuse the whole query: set the gone keys
            # aside (Jira names them; split the list when it does not) and ask again.
            chunks.extend(_without_gone(http, chunk, exc, out, now))
            continue
        chunks.extend(_by_asked_key(chunk, found, out, now))
    return out


def _without_gone(
    http: JiraHttp,
    chunk: list[str],
    exc: BadRequest,
    out: dict[str, Resolution],
    now: Callable[[], datetime],
) -> list[list[str]]:
    """The parts of a refused key search to ask again, once its gone keys are in ``out``."""
    named = {m.group(1).upper() for text in exc.messages for m in MISSING_KEY.finditer(text)}
    suspects = [k for k in chunk if k.upper() in named] or (chunk if len(chunk) == 1 else [])
    gone = [k for k in suspects if _is_gone(http, k)]
    for key in gone:
        log.warning("%s", gone_message(key))
        out[key] = Resolution(name="deleted", at=now(), gone=True)
    rest = [k for k in chunk if k not in gone]
    if gone:
        return [rest] if rest else []
    if len(rest) > 1:
        half = len(rest) // 2
        return [rest[:half], rest[half:]]
    log.warning("could not check %s for a resolution: %s", rest[0], exc)
    return []


def _by_asked_key(
    chunk: list[str],
    found: list[dict[str, Any]],
    out: dict[str, Resolution],
    now: Callable[[], datetime],
) -> list[list[str]]:
    """Put a key search's answers in ``out`` under the keys asked for; the parts of the
    search to ask again to tell which asked key a moved ticket's new key answers for.

    A ticket moved to another project answers ``key in (OPS-1)`` under its new key (NEW-1),
    which nobody asked for. Alone in its search, it is the asked key's ticket; among others,
    the keys not answered as asked are split and searched again.
    """
    asked = {key.upper(): key for key in chunk}
    moved = []
    for raw in found:
        key = asked.pop(str(raw["key"]).upper(), None)
        if key is None:
            moved.append(raw)
        else:
            out[key] = _resolution(raw, now)
    rest = list(asked.values())
    if not moved or not rest:
        return []
    if len(rest) == 1:
        log.info("%s is now %s (moved by a person): still its ticket", rest[0], moved[0]["key"])
        out[rest[0]] = _resolution(moved[0], now)
        return []
    half = len(rest) // 2
    return [rest[:half], rest[half:]]


def _is_gone(http: JiraHttp, key: str) -> bool:
    try:
        http.read(f"read {key}", f"issue/{key}", {"fields": "status"}, ticket=key)
    except TicketGone:
        return True
    return False


def _resolution(raw: dict[str, Any], now: Callable[[], datetime]) -> Resolution:
    # A workflow may close a ticket without a resolution: done is done, and the status
    # names it (for never_reopen) when no resolution does.
    fields = raw.get("fields") or {}
    name = (fields.get("resolution") or {}).get("name") or (fields.get("status") or {}).get("name")
    at = jira_time(fields.get("resolutiondate")) or jira_time(
        fields.get("statuscategorychangedate")
    )
    return Resolution(name=str(name or "Done"), at=at or now())
