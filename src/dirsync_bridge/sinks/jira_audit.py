"""The open-ticket audit: which of the tool's tickets Jira still has.

A person may delete a ticket, or move it to another project, when the tool has no reason to
write to it; each pass looks for a few hundred of the open tickets with ``key in (...)``
searches of up to 100 keys. A moved ticket answers under its new key (its issue property
names its idempotency key). A deleted key makes Jira refuse the whole search (400): in
English it names the key (``MISSING_KEY``), which is taken out and the search asked again;
a site in another language names none, and the keys are narrowed down by halves until one
alone is refused.

Split from ``jira``; ``JiraSink.which_exist`` delegates here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from ..errors import BadRequest
from ..sink_values import TicketsSeen
from .jira_http import JiraHttp
from .jira_wire import property_of

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
        _look_for(http, chunk, gone, found)
    return TicketsSeen(frozenset(gone), found)


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
                gone.add(chunk[0])
                return
            half = len(chunk) // 2
            _look_for(http, chunk[:half], gone, found)
            _look_for(http, chunk[half:], gone, found)
            return
        for raw in answer:
            name = str(property_of(raw).get("idempotency_key", ""))
            if name:
                found[name] = str(raw["key"])
        return
