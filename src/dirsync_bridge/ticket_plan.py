"""From the lifecycle's episodes to ticket writes: what each ticket should say, and the diff.

Pure: ``target`` renders what an episode's ticket should hold; ``plan`` compares it with
what the tool last wrote (``Applied``) and lists the writes that close the gap. Comparing
against the tool's own last write, not the sink's current state, leaves a human's edits
alone until the lifecycle itself has something new to say.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from .lifecycle import CommentKind, Episode, PlannedComment
from .ports import Applied, TicketContent, TicketFacts, TicketSnapshot, TicketStatus
from .problem import Problem

Event = CommentKind | Literal["superseded"]
"""What a comment this tool writes records: a lifecycle event, or a merge of two tickets."""


class TicketTexts(Protocol):
    """Renders what a ticket and its comments say (``ticket_text.render.Renderer``)."""

    fingerprint: str
    """Changes when the texts would (other templates, other markup)."""

    def ticket_text(
        self, problem: Problem, episode: Episode, previous_ticket: str | None
    ) -> TicketContent:
        """The summary, description and links of an episode's ticket."""
        ...

    def comment_text(self, comment: PlannedComment) -> str:
        """The body of one planned comment."""
        ...


def digest(text: str) -> str:
    """sha256 of a text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_digest(content: TicketContent) -> str:
    """A digest of everything the tool owns on a ticket."""
    return digest(content.model_dump_json())


def applied_from(snapshot: TicketSnapshot) -> Applied:
    """What a sink holds, in the ledger's terms (used to settle a crashed write)."""
    return Applied(
        key=snapshot.key,
        idempotency_key=snapshot.idempotency_key,
        status=snapshot.status,
        content_digest=content_digest(snapshot.content),
        comments={key: digest(body) for key, body in snapshot.comments.items()},
        linked=snapshot.linked,
    )


def idempotency_key(fingerprint: str, episode: int) -> str:
    """The name of a problem's n-th ticket, the same in every run."""
    return f"{fingerprint}:{episode}"


@dataclass(frozen=True, slots=True)
class Target:
    """What one ticket should hold once the history so far is applied."""

    episode: int
    idempotency_key: str
    content: TicketContent
    status: TicketStatus
    comments: dict[str, str]
    """Comment key -> body, in the order they happened."""
    events: dict[str, Event]
    """Comment key -> what the comment records."""
    facts: TicketFacts
    notes: dict[str, str] = field(default_factory=dict)
    """Comment key -> what it says, in a few words (for the dry-run listing)."""


def target(
    problem: Problem, episode: Episode, previous_ticket: str | None, texts: TicketTexts
) -> Target:
    """Render the ticket an episode calls for."""
    content = texts.ticket_text(problem, episode, previous_ticket)
    # The kinds the problem shows now, like its summary (refreshed when they change); an
    # episode not yet seen (never so in a fold) has only its opening sighting's.
    details = episode.details if episode.occurrences else episode.opened_by.details
    kinds = details.kinds
    return Target(
        episode=episode.number,
        idempotency_key=idempotency_key(problem.fingerprint, episode.number),
        content=content,
        status=episode.status,
        comments={c.key: texts.comment_text(c) for c in episode.comments},
        events={c.key: c.kind for c in episode.comments},
        notes={c.key: comment_note(c) for c in episode.comments},
        facts=TicketFacts(
            summary=content.summary,
            kind=kinds[0] if kinds else None,
            identity=problem.identity,
            tenant=problem.tenant,
            first_seen=episode.first_seen,
            last_seen=episode.last_seen,
            occurrences=episode.occurrences,
        ),
    )


@dataclass(frozen=True, slots=True)
class Write:
    """One write to an existing ticket."""

    op: Literal["update", "put-comment", "remove-comment", "set-status", "link", "unlink"]
    content: TicketContent | None = None
    comment_key: str | None = None
    body: str | None = None
    status: TicketStatus | None = None
    event: Event | None = None
    """For a comment: what it records (counted in the run's summary)."""
    note: str | None = None
    """For a comment: what it says, in a few words (``comment_note``)."""
    link_to: str | None = None
    """For a link: the key of the earlier ticket; for an unlink, of the one no longer it."""

    def describe(self) -> str:
        """For the intent row and the log: the operation and its internal key."""
        if self.op == "set-status":
            return f"set-status {self.status}"
        if self.op in ("link", "unlink"):
            return f"{self.op} {self.link_to}"
        if self.comment_key is not None:
            return f"{self.op} {self.comment_key}"
        return self.op

    def sentence(self, key: str) -> str:
        """For the run's list of writes (the dry run's "would ..."), as a person says it:
        ``comment on LOCAL-1: resolved (absent from 3 reports)``."""
        if self.op == "update":
            said = f", with a comment: {self.note or self.event}" if self.comment_key else ""
            return f"update the summary and description of {key}{said}"
        if self.op == "put-comment":
            return f"comment on {key}: {self.note or self.event or 'a note'}"
        if self.op == "remove-comment":
            kind = (self.comment_key or "").split(":")[1:2] or ["earlier"]
            return f"withdraw the {kind[0]} comment from {key} (later reports contradict it)"
        if self.op == "link":
            return f"link {key} to {self.link_to}, the earlier ticket for this problem"
        if self.op == "unlink":
            return f"unlink {key} from {self.link_to}, resolved as merged into another"
        return f"{'resolve' if self.status == 'resolved' else 'reopen'} {key}"


def comment_note(comment: PlannedComment) -> str:
    """A comment in a few words: ``resolved (absent from 3 reports)``."""
    if comment.kind == "resolved":
        n = comment.absent_reports
        return f"resolved (absent from {n} report{'' if n == 1 else 's'})"
    day = comment.at.strftime("%Y-%m-%d")
    if comment.kind == "reopened":
        return f"reopened (seen again in the report of {day})"
    if comment.kind == "verified":
        return "resolved (Entra ID shows the conflict cleared)"
    if comment.kind == "unverified":
        return "reopened (an earlier verification was wrong)"
    changed = _changed_parts(comment)
    return f"changed ({', '.join(changed) or 'details'}, in the report of {day})"


def _changed_parts(comment: PlannedComment) -> list[str]:
    before, after = comment.before, comment.after
    if before is None or after is None:
        return []
    names = {
        "kinds": "error kind",
        "conflicts": "conflicting values",
        "invalid_attributes": "invalid attributes",
        "object_ids": "object ids",
        "holders": "holders",
    }
    return [name for part, name in names.items() if getattr(before, part) != getattr(after, part)]


def plan(wanted: Target, applied: Applied, merged_away: Collection[str] = ()) -> list[Write]:
    """The writes that bring a ticket from ``applied`` to ``wanted``: content, links,
    comments, status.

    Comments come before a status change, so that a resolved ticket already says why.
    ``merged_away``: keys of earlier tickets a merge's trade displaced, now resolved as
    merged into another ticket of this problem (``Ledger.merged_away``); a link this ticket
    has to one of them, no longer its earlier ticket, is removed.
    """
    writes: list[Write] = []
    comments = [
        Write(
            "put-comment",
            comment_key=key,
            body=body,
            event=wanted.events[key],
            note=wanted.notes.get(key),
        )
        for key, body in wanted.comments.items()
        if applied.comments.get(key) != digest(body)
    ]
    if content_digest(wanted.content) != applied.content_digest:
        # A refresh comes with the comment that says why (the details changed): one write,
        # which Jira takes in one request (an edit that adds a comment).
        new = next((w for w in comments if w.comment_key not in applied.comments), None)
        if new is None:
            writes.append(Write("update", content=wanted.content))
        else:
            comments.remove(new)
            writes.append(replace(new, op="update", content=wanted.content))
    # A link once made stays: a person may have added others, and the tool removes none...
    writes += [Write("link", link_to=to) for to in wanted.content.links if to not in applied.linked]
    # ...except a link to a ticket a merge displaced: the earlier ticket this one linked is
    # now another problem's, resolved as merged into the one kept, which is linked instead
    # (after it: the ticket is never left without its earlier one).
    writes += [
        Write("unlink", link_to=to)
        for to in dict.fromkeys(applied.linked)
        if to in merged_away and to not in wanted.content.links
    ]
    writes += comments
    for key in applied.comments:
        if key not in wanted.comments:
            # Only an archive replayed out of order retracts a comment: a later-arriving
            # older report showed that, say, a resolution never happened.
            writes.append(Write("remove-comment", comment_key=key))
    if wanted.status != applied.status:
        writes.append(Write("set-status", status=wanted.status))
    return writes


def plan_superseded(applied: Applied, episode: int, merged_into: str | None) -> list[Write]:
    """Writes for a ticket whose episode no longer exists: say why, then resolve it.

    This happens when an archive replayed out of order fills the gap between two episodes
    of a problem: what looked like two problems in time is one.
    """
    key = f"{episode}:superseded:0"
    note = (
        f"Merged into {merged_into}: reports read later show this was one problem all along."
        if merged_into
        else "No longer supported by the reports; resolved."
    )
    writes = []
    if applied.comments.get(key) != digest(note):
        said = f"merged into {merged_into}" if merged_into else "resolved (no longer reported)"
        writes.append(
            Write("put-comment", comment_key=key, body=note, event="superseded", note=said)
        )
    if applied.status != "resolved":
        writes.append(Write("set-status", status="resolved"))
    return writes
