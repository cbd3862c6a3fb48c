"""The views a template sees: ``t`` (a ticket) and ``c`` (a comment), and sample data.

Frozen models built from the pipeline's objects, so a template (user-supplied, sandboxed)
never touches those objects. The samples hold every field and branch the built-in templates
use; ``Renderer`` renders them once at start-up, so a broken template fails before any write.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from ..enrich.advice import commands
from ..fingerprint import label
from ..lifecycle import CommentKind, Episode, PlannedComment
from ..models import Conflict, Family, Kind
from ..models.enrichment import Enrichment
from ..problem import Details, Problem, Sighting

_STDIN = "<stdin>"
"""``sources.files.STDIN_SOURCE``, spelled here so that rendering loads no source module."""


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TicketView(_View):
    """What a ticket template sees as ``t``: one problem as it was when the ticket opened."""

    fingerprint: str
    label: str
    """``dirsync-<first 16 hex of the fingerprint>``, the Jira label."""
    tenant: str | None
    family: Family
    kinds: tuple[Kind, ...]
    identity: str | None
    object_ids: tuple[str, ...]
    conflicts: tuple[Conflict, ...]
    invalid_attributes: tuple[str, ...]
    messages: tuple[str, ...]
    tracking_ids: tuple[str, ...]
    first_seen: datetime
    """Tz-aware UTC: the time of the report that opened the ticket."""
    source: str
    """File or mailbox reference of the report that opened the ticket (``report_file`` is
    what a ticket shows: never a local path or a Graph id)."""
    subject: str | None
    reported_at: datetime | None = None
    """Tz-aware UTC: the time of the report ``source`` names (None: ``first_seen``'s)."""
    episode: int
    """0 for the first ticket of this problem, 1.. for tickets opened after an earlier one."""
    previous_ticket: str | None
    """Key of the earlier ticket for the same problem, if any."""
    enrichment: Enrichment | None = None
    """Who holds the values, the rules they break, the advice; None when not looked up."""

    @property
    def report_file(self) -> str | None:
        """The base name of the opening report's file; None when it came from Graph."""
        return file_name(self.source)

    @property
    def commands(self) -> tuple[str, ...]:
        """PowerShell to inspect the cloud holders and fix the on-premises ones."""
        if self.enrichment is None:
            return ()
        return tuple(commands(self.enrichment.holders, self.identity))

    @classmethod
    def from_sighting(
        cls, sighting: Sighting, *, episode: int = 0, previous_ticket: str | None = None
    ) -> TicketView:
        """The view of a ticket opened for this sighting."""
        problem, details = sighting.problem, sighting.details
        return cls(
            fingerprint=problem.fingerprint,
            label=label(problem.fingerprint),
            tenant=problem.tenant,
            family=problem.family,
            kinds=details.kinds,
            identity=problem.identity,
            object_ids=details.object_ids,
            conflicts=details.conflicts,
            invalid_attributes=details.invalid_attributes,
            messages=sighting.messages,
            tracking_ids=sighting.tracking_ids,
            first_seen=sighting.at,
            source=sighting.source,
            subject=sighting.subject,
            episode=episode,
            previous_ticket=previous_ticket,
            enrichment=sighting.enrichment,
        )


class CommentView(_View):
    """What a comment template sees as ``c``: one event in a ticket's life.

    The ``*_added`` / ``*_removed`` properties spell out a "changed" comment's difference
    between ``before`` and ``after``, because set arithmetic is clumsy to write in Jinja.
    They are empty for the other kinds.
    """

    kind: CommentKind
    at: datetime
    """The time (UTC) of the report that caused the comment."""
    source: str | None = None
    """The report that caused it; None for "resolved", which no report shows."""
    before: Details | None = None
    """"changed": the details before; else None."""
    after: Details | None = None
    """"changed" and "reopened": the details now; else None."""
    absent_reports: int = 0
    """"resolved": how many consecutive reports lacked the problem."""
    last_seen: datetime | None = None
    """"resolved": when the problem was last seen."""
    note: str | None = None
    """"verified": what was checked in Entra ID; "unverified": why an earlier verification
    was wrong; "resolved": why its absence counted
    ("Graph no longer lists it": a quarantine absent from complete Graph scans), or None."""

    @property
    def report_file(self) -> str | None:
        """The base name of the report's file; None when it came from Graph (or none did)."""
        return file_name(self.source)

    @model_validator(mode="after")
    def _has_what_its_kind_needs(self) -> CommentView:
        # Caught here, a missing fact is the caller's bug; caught in a template, it would
        # read as a broken template and send the administrator looking in the wrong place.
        needed = {
            "changed": ("source", "before", "after"),
            "resolved": ("last_seen",),
            "reopened": ("source", "after"),
            "verified": ("note",),
            "unverified": ("note",),
        }[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind!r} comment needs {', '.join(missing)}")
        return self

    @property
    def kinds_added(self) -> tuple[Kind, ...]:
        """Error kinds in ``after`` that were not in ``before``."""
        return _added(self._pair("kinds"))

    @property
    def kinds_removed(self) -> tuple[Kind, ...]:
        """Error kinds in ``before`` that are no longer in ``after``."""
        return _removed(self._pair("kinds"))

    @property
    def values_added(self) -> tuple[Conflict, ...]:
        """Per attribute, the conflicting values that are new (attributes without any left out)."""
        return _value_difference(self.before, self.after)

    @property
    def values_removed(self) -> tuple[Conflict, ...]:
        """Per attribute, the conflicting values that are gone (attributes without any left out)."""
        return _value_difference(self.after, self.before)

    @property
    def invalid_attributes_added(self) -> tuple[str, ...]:
        """Invalid attributes in ``after`` that were not in ``before``."""
        return _added(self._pair("invalid_attributes"))

    @property
    def invalid_attributes_removed(self) -> tuple[str, ...]:
        """Invalid attributes in ``before`` that are no longer in ``after``."""
        return _removed(self._pair("invalid_attributes"))

    @property
    def holders_added(self) -> tuple[str, ...]:
        """Holders found now that were not before (each a readable line)."""
        return _added(self._pair("holders"))

    @property
    def holders_first_known(self) -> bool:
        """The look-ups answered for the first time (before: unknown or failed)."""
        return (
            self.before is not None
            and self.after is not None
            and self.before.holders is None
            and self.after.holders is not None
        )

    @property
    def holders_removed(self) -> tuple[str, ...]:
        """Holders that no longer hold the value."""
        return _removed(self._pair("holders"))

    @property
    def object_ids_added(self) -> tuple[str, ...]:
        """On-premises object ids in ``after`` that were not in ``before``."""
        return _added(self._pair("object_ids"))

    @property
    def object_ids_removed(self) -> tuple[str, ...]:
        """On-premises object ids in ``before`` that are no longer in ``after``."""
        return _removed(self._pair("object_ids"))

    def _pair(self, field: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        if self.before is None or self.after is None:
            return (), ()
        return getattr(self.before, field) or (), getattr(self.after, field) or ()


def file_name(source: str | None) -> str | None:
    """A report's file by its base name (``archive.mbox#3``): a ticket never shows a local
    path. None for a Graph source, whose name is an opaque message id, and for standard
    input (``sources.files.STDIN_SOURCE``): the ticket names the report by date and subject."""
    if not source or source.startswith("graph:") or source == _STDIN:
        return None
    return PurePosixPath(source).name or source


def _added(pair: tuple[tuple[Any, ...], tuple[Any, ...]]) -> tuple[Any, ...]:
    before, after = pair
    return tuple(item for item in after if item not in before)


def _removed(pair: tuple[tuple[Any, ...], tuple[Any, ...]]) -> tuple[Any, ...]:
    before, after = pair
    return tuple(item for item in before if item not in after)


def _value_difference(old: Details | None, new: Details | None) -> tuple[Conflict, ...]:
    """Values in ``new`` and not in ``old``, per attribute, in ``new``'s order."""
    if old is None or new is None:
        return ()
    known: dict[str, set[str]] = {}
    for conflict in old.conflicts:
        known.setdefault(conflict.attribute, set()).update(conflict.values)
    out = []
    for conflict in new.conflicts:
        fresh = tuple(v for v in conflict.values if v not in known.get(conflict.attribute, ()))
        if fresh:
            out.append(Conflict(attribute=conflict.attribute, values=fresh))
    return tuple(out)


def ticket_view(problem: Problem, episode: Episode, previous_ticket: str | None) -> TicketView:
    """What the ticket template sees of an episode: the problem's details as they are now
    (its kinds, values, attributes: a change refreshes the summary and description) with
    the report, messages and enrichment of the sighting that last changed them (else of the
    one that opened it): what a fresh ticket for the problem now would say, whole."""
    opened = episode.opened_by
    # An episode not yet seen (never so in a fold) has no details of its own.
    details = episode.details if episode.occurrences else opened.details
    described = episode.changed_by or opened
    return TicketView(
        fingerprint=problem.fingerprint,
        label=label(problem.fingerprint),
        tenant=problem.tenant,
        family=problem.family,
        kinds=details.kinds,
        identity=problem.identity,
        object_ids=details.object_ids,
        conflicts=details.conflicts,
        invalid_attributes=details.invalid_attributes,
        messages=described.messages,
        tracking_ids=described.tracking_ids,
        first_seen=opened.at,
        source=described.source,
        subject=described.subject,
        reported_at=described.at,
        episode=episode.number,
        previous_ticket=previous_ticket,
        enrichment=described.enrichment,
    )


def comment_view(comment: PlannedComment) -> CommentView:
    """What a comment template sees of one planned comment."""
    return CommentView(
        kind=comment.kind,
        at=comment.at,
        source=comment.source,
        before=comment.before,
        after=comment.after,
        absent_reports=comment.absent_reports,
        last_seen=comment.last_seen,
        note=comment.note,
    )
