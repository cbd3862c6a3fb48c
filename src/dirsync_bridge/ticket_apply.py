"""One write to an existing ticket, sent to the sink, and what the ticket holds after it
(for the ledger); how a write counts in a run's summary. The pieces of ``ticket_writes``
that know what each kind of write is.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from .errors import Skippable
from .ports import Applied, Sink, TicketSnapshot
from .run_summary import RunSummary
from .ticket_plan import Write, content_digest, digest

log = logging.getLogger(__name__)


class PartlyWritten(Exception):
    """A refresh-with-comment refused whose refresh then went alone: what the ticket holds
    (``applied``), and the refusal of the comment (``refusal``)."""

    def __init__(self, applied: Applied, refusal: Skippable) -> None:
        super().__init__(str(refusal))
        self.applied, self.refusal = applied, refusal


def apply_write(sink: Sink, current: Applied, write: Write) -> Applied:
    """Send one write (in a worker); what the ticket holds after it, for the ledger."""
    if write.op == "update":
        assert write.content is not None
        if write.comment_key is None:
            sink.update(current.key, write.content)
            return replace(current, content_digest=content_digest(write.content))
        assert write.body is not None
        try:
            sink.update(current.key, write.content, comment=(write.comment_key, write.body))
        except Skippable as exc:
            # Refused, maybe for the comment alone (a bot that may edit but not comment, a
            # comment validator): the refresh goes alone, and the refusal is named as ever.
            sink.update(current.key, write.content)
            raise PartlyWritten(
                replace(current, content_digest=content_digest(write.content)), exc
            ) from None
        return replace(
            current,
            content_digest=content_digest(write.content),
            comments={**current.comments, write.comment_key: digest(write.body)},
        )
    if write.op == "put-comment":
        assert write.comment_key is not None and write.body is not None
        sink.put_comment(current.key, write.comment_key, write.body)
        return replace(
            current, comments={**current.comments, write.comment_key: digest(write.body)}
        )
    if write.op == "link":
        assert write.link_to is not None
        sink.link(current.key, write.link_to)
        return replace(current, linked=(*current.linked, write.link_to))
    if write.op == "unlink":
        assert write.link_to is not None
        sink.unlink(current.key, write.link_to)
        return replace(current, linked=tuple(k for k in current.linked if k != write.link_to))
    if write.op == "remove-comment":
        assert write.comment_key is not None
        sink.remove_comment(current.key, write.comment_key)
        left = {k: v for k, v in current.comments.items() if k != write.comment_key}
        return replace(current, comments=left)
    assert write.status is not None
    sink.set_status(current.key, write.status)
    return replace(current, status=write.status)


def count_write(write: Write, summary: RunSummary) -> None:
    # Lifecycle events are counted by the comment that records them: a first replay of an
    # archive creates a ticket already reopened (its history in comments) without ever
    # sending it through the resolved state.
    if write.op == "update":
        summary.updated += 1
    if write.op in ("put-comment", "update"):
        if write.event == "changed":
            summary.commented += 1
        elif write.event in ("resolved", "superseded", "verified"):
            summary.resolved += 1
        elif write.event in ("reopened", "unverified"):
            summary.reopened += 1


def unlink_unsettled(operation: str, found: TicketSnapshot) -> None:
    """Settling an unfinished write (``operation``, its intent's) from what the sink holds
    (``found``): an unlink whose link is still there is said, once, and left alone.

    The DELETE never arrived, or a person linked the tickets again since: nothing tells
    which. The link stays, and the unlink is not sent again (``Ledger.unlinked``): a stale
    link is a person's to remove, a person's link deleted is their work lost (review rev38).
    """
    verb, _, target = operation.partition(" ")
    if verb == "unlink" and target in found.linked:
        log.warning(
            "%s is still linked to %s after an unlink whose outcome is unknown: left alone, "
            "in case a person linked them again; remove it by hand if not",
            found.key,
            target,
            extra={"event": "unlink-unsettled", "ticket": found.key, "earlier": target},
        )
