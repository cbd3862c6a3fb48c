"""The open-ticket audit: which of the tool's tickets Jira still has.

A person may delete a ticket, or move it to another project, when the tool has no reason to
write to it; each pass looks for a few hundred of the open tickets with ``key in (...)``
searches of up to 100 keys. A moved ticket answers under its new key (its issue property
names its idempotency key). A deleted key makes Jira refuse the whole search (400): in
English it names the key (``MISSING_KEY``), which is taken out and the search asked again;
a site in another language names none, and the keys are narrowed down by halves until one
alone is refused: that one is then asked for directly, and it is gone only if Jira answers
404. A 400 about anything else (a proxy's, a JQL limit) deletes nothing: the narrowing of
that search stops at the first key found alive, and its other keys wait for a later pass.

Split from ``jira``; ``JiraSink.which_exist`` delegates here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from ..errors import BadRequest, TicketGone
from ..sink_values import TicketsSeen
from .jira_http import JiraHttp
from .jira_wire import PROPERTY, property_of

MISSING_KEY: Final = re.compile(r"An issue with key '([^']+)' does not exist")
"""How Jira names a key of ``key in (...)`` that does not exist (HTTP 400)."""
CHUNK: Final = 100
"""Keys to one search."""


def which_exist(http: JiraHttp, keys: Sequence[str]) -> TicketsSeen:
    """Which of these tickets Jira still has: ``key in (...)`` searches of up to 100 keys.
    A deleted key makes Jira refuse the whole search (400, naming it): it is taken out and
    the search asked again. A moved ticket answers under its new key."""
    gone: set[str] = set()
    found: dict[str, str] = {}
    left = list(dict.fromkeys(keys))
    while left:
        chunk, left = left[:CHUNK], left[CHUNK:]
        try:
            _look_for(http, chunk, gone, found)
        except _NotAboutKeys:
            continue  # the rest of this search: looked for again in a later pass
    return TicketsSeen(frozenset(gone), found)


class _NotAboutKeys(Exception):
    """A search refused (400) though its keys exist: no refusal of it proves a deletion."""


def _look_for(http: JiraHttp, chunk: list[str], gone: set[str], found: dict[str, str]) -> None:
    """One ``key in (...)`` search; on a 400, the keys it names (Jira's English) are gone,
    and a 400 that names none (a site in another language) is narrowed down by halves
    until one key alone is refused: that one is gone."""
    while chunk:
        try:
            answer = list(http.search(f"key in ({', '.join(chunk)})", ["key"]))
        except BadRequest as exc:
            named = {m.group(1) for t in exc.messages if (m := MISSING_KEY.search(t))}
            missing = {k for k in chunk if k in named}
            if missing:
                gone |= missing
                chunk = [k for k in chunk if k not in missing]
                continue
            if len(chunk) == 1:
                if not _alive(http, chunk[0], found):
                    gone.add(chunk[0])
                    return
                raise _NotAboutKeys(chunk[0]) from exc
            half = len(chunk) // 2
            _look_for(http, chunk[:half], gone, found)
            _look_for(http, chunk[half:], gone, found)
            return
        for raw in answer:
            name = str(property_of(raw).get("idempotency_key", ""))
            if name:
                found[name] = str(raw["key"])
        return


def _alive(http: JiraHttp, key: str, found: dict[str, str]) -> bool:
    """A key a search refused alone, in words that name no key, asked for directly: False
    only if Jira answers 404 (deleted); else it is there (under a new key, if moved)."""
    try:
        raw = http.read(
            f"look for {key}", f"issue/{key}", {"fields": "key", "properties": PROPERTY},
            ticket=key, need=("key",),
        )  # fmt: skip
    except TicketGone:
        return False
    name = str(property_of(raw).get("idempotency_key", ""))
    if name:
        found[name] = str(raw["key"])
    return True
