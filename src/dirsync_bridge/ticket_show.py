"""``tickets show KEY``: one ticket in full, as text for people or one JSON object.

The facts come from the ledger (whatever the sink: status, dates, sightings, enrichment,
earlier tickets); the ticket's own text from the sink that keeps it: the local store's file,
or Jira (one read). Every value from outside is ``shown`` in the text form: a report can
carry escape sequences, and so can a comment a person typed into Jira.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import Fatal
from .output import ticket_json
from .terminal import shown

if TYPE_CHECKING:
    from .config.settings import Config
    from .ledger.showing import TicketHistory
    from .models.enrichment import Enrichment


@dataclass(frozen=True, slots=True)
class ShownTicket:
    """A ticket in full: the ledger's history of it and the sink's text of it."""

    history: TicketHistory
    url: str | None
    """Jira's browse URL; None for a ticket in the local store."""
    description: str | None
    """None when the sink no longer has the ticket (``missing`` says why)."""
    comments: tuple[str, ...]
    missing: str | None = None
    """Why the sink's text is not here, and what to do: one line for stderr."""


def gather(config: Config, env: Mapping[str, str], key: str) -> ShownTicket:
    """Ticket ``key`` from the ledger and its sink; ``Fatal`` (exit 2) for an unknown key."""
    from .ledger.showing import ticket_history
    from .ledger.store import Ledger

    unknown = Fatal(f"{key}: no such ticket in the ledger ({config.state.path})")
    if not config.state.path.exists():
        raise unknown
    ledger = Ledger.open_readonly(config.state.path)
    try:
        history = ticket_history(ledger, key)
    finally:
        ledger.close()
    if history is None:
        raise unknown
    if history.sink == "jira":
        return _from_jira(config, env, history)
    return _from_local(config, history)


def _from_local(config: Config, history: TicketHistory) -> ShownTicket:
    from .ledger.store import Ledger
    from .sinks.local_import import store_to_be_used
    from .store_rebuild import mismatch

    key = history.row.key
    found, why = None, None
    ledger = Ledger.open_readonly(config.state.path)
    try:
        with store_to_be_used(
            ledger.conn, ledger.path, config.state.local_tickets_path, ledger.store_pairing()
        ) as store:
            # A store the next run would refuse shows nothing: its ticket of this key may be
            # another problem's.
            why = mismatch(ledger, store)
            found = None if why is not None else store.get(key)
    finally:
        ledger.close()
    if found is None:
        if why is not None:
            what = f"{key}: the local ticket store cannot be used: {why}"
        else:
            what = f"{key}: not in the local ticket store (in {config.state.path})"
        fix = "`dirsync-bridge tickets rebuild` puts it back from the ledger"
        return ShownTicket(history, None, None, (), missing=f"{what}; {fix}")
    return ShownTicket(history, None, found.content.description, tuple(found.comments.values()))


def _from_jira(config: Config, env: Mapping[str, str], history: TicketHistory) -> ShownTicket:
    from . import bootstrap
    from .errors import TicketGone

    key = history.row.key
    url = f"{str(config.jira.url).rstrip('/')}/browse/{key}" if config.jira.url else None
    sink = bootstrap.jira_sink(config, env)
    try:
        description, comments = sink.read_in_full(key)
    except TicketGone:
        gone = f"{key}: Jira no longer has this ticket (deleted); the next run opens a new one"
        return ShownTicket(history, url, None, (), missing=gone)
    finally:
        sink.close()
    return ShownTicket(history, url, description, tuple(comments))


def show_json(ticket: ShownTicket) -> dict[str, Any]:
    """The JSON object of design.md section 5: the listing's fields and the ticket in full."""
    history = ticket.history
    return {
        **ticket_json(history.row),
        "url": ticket.url,
        "description": ticket.description,
        "comment_texts": list(ticket.comments),
        "sightings": [
            {"time": _iso(s.at), "source": s.source, "kind": s.kind} for s in history.sightings
        ],
        "enrichment": (
            history.enrichment.model_dump(mode="json") if history.enrichment is not None else None
        ),
        "links": list(history.links),
        "merged_into": history.merged_into,
    }


def show_lines(ticket: ShownTicket) -> Iterator[str]:
    """The ticket as text: its facts, description, comments, sightings and enrichment."""
    history = ticket.history
    row = history.row
    yield f"{shown(row.key)}  {row.status}"
    yield shown(row.summary)
    yield ""
    facts = [
        ("URL", ticket.url),
        ("Kind", row.kind),
        ("Identity", row.identity),
        ("Tenant", row.tenant),
        ("First seen", _when(row.first_seen)),
        ("Last seen", _when(row.last_seen)),
        ("Sightings", str(row.occurrences)),
        ("Earlier", ", ".join(history.links) or None),
        ("Merged into", history.merged_into),
        ("Fingerprint", row.fingerprint),
    ]
    yield from (f"{name + ':':<13}{shown(value)}" for name, value in facts if value)
    yield ""
    yield "Description:"
    if ticket.description is None:
        yield "  (not in the ticket store: see the line on stderr)"
    else:
        yield from _indented(ticket.description)
    for number, comment in enumerate(ticket.comments, 1):
        yield ""
        yield f"Comment {number}:"
        yield from _indented(comment)
    yield ""
    yield f"Seen in {len(history.sightings)} report(s):"
    kinds = [shown(s.kind or "-") for s in history.sightings]
    column = max(map(len, kinds), default=0)
    for sighting, kind in zip(history.sightings, kinds, strict=True):
        yield f"  {_when(sighting.at)}  {kind:<{column}}  {shown(sighting.source)}"
    if history.enrichment is not None:
        yield ""
        yield "Latest enrichment:"
        yield from _enrichment_lines(history.enrichment)


def _enrichment_lines(found: Enrichment) -> Iterator[str]:
    yield f"  advice: {shown(found.advice.summary)} ({found.advice.code})"
    for holder in found.holders:
        name = getattr(holder, "display_name", None) or getattr(holder, "dn", None) or "?"
        yield f"  held by ({holder.where}, {holder.object_type}): {shown(str(name))}"
        yield f"      value: {shown(holder.value)}"
    for hit in found.rule_hits:
        fix = f"; IdFix proposes {shown(hit.proposed)}" if hit.proposed else ""
        yield (f"  {shown(hit.attribute)} {shown(hit.value)} breaks {', '.join(hit.errors)}{fix}")
    for missing in found.unavailable:
        yield f"  not looked up: {shown(missing)}"


def _indented(text: str) -> Iterator[str]:
    # Line by line, so that a line break stays one and other controls are shown escaped.
    for line in text.rstrip().splitlines() or [""]:
        yield f"  {shown(line)}".rstrip()


def _when(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else None


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
