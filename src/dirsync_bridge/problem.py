"""Problems: one object with one family of errors in one tenant, and its sightings.

A report lists errors; the ticketing side thinks in problems. Several rows for the same
object and family (a duplicate UPN and a duplicate proxy address of one user) are one
problem, seen once in that report, with the details merged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from .fingerprint import fingerprint, object_key, tenant_normal
from .models import Conflict, Family, Kind, Report, SyncError, UtcTimestamp
from .models.enrichment import Enrichment

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
QUARANTINED: frozenset[str] = frozenset({"QuarantinedAttributeValueMustBeUnique"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Details(_Frozen):
    """What a sighting says about a problem; a change of these is worth a comment.

    Message wording, product names and tracking ids are left out on purpose: they change
    between eras and runs without the problem changing.
    """

    kinds: tuple[Kind, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    invalid_attributes: tuple[str, ...] = ()
    object_ids: tuple[str, ...] = ()
    """The on-premises object ids its rows named; none: not carried by the source (an email
    without that column), which is no news either: the lifecycle keeps the ids it knew."""
    holders: tuple[str, ...] | None = None
    """Who held the values when this report was read (enrichment); None: not looked up, or
    a look-up failed, which is no news: the lifecycle keeps the holders it knew."""

    def digest(self) -> str:
        """A stable hash of the details (sha256 of canonical JSON)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def quarantined(self) -> bool:
        """Only quarantine rows: those appear once and never repeat in later reports."""
        return bool(self.kinds) and all(kind in QUARANTINED for kind in self.kinds)


class Problem(_Frozen):
    """What stays the same across every sighting of a problem."""

    fingerprint: str
    tenant: str | None
    family: Family
    identity: str | None
    object_key: str


class Sighting(_Frozen):
    """A problem as one report shows it."""

    problem: Problem
    report_key: str
    at: UtcTimestamp
    """The report's time: its Date header, else the batch-run time in its body."""
    details: Details
    messages: tuple[str, ...]
    tracking_ids: tuple[str, ...]
    source: str
    subject: str | None
    enrichment: Enrichment | None = None
    """The facts found when this sighting was read (holders, rule hits, advice)."""


def report_time(report: Report) -> datetime:
    """The time a report speaks for: sent, else completed, else the epoch (sorts first)."""
    return report.sent_at or report.sync_completed_at or EPOCH


def report_key(
    report: Report, raw_digest: str, written: str = "", said: Iterable[bytes] | None = None
) -> str:
    """A report's identity: its Message-ID, else the sha256 of the message bytes; an export
    file's, ``export_key`` (``said``: the whole report's JSON in pieces, where ``report`` is
    only its header, its errors still rows)."""
    if report.source_kind in EXPORTS:
        return export_key(report, raw_digest, written, said)
    return report.message_id or f"sha256:{raw_digest}"


EXPORTS = frozenset({"csexport", "eventlog"})
"""The sources whose files are reports known by what they say, not by their bytes."""


def export_key(
    report: Report, raw_digest: str, written: str = "", said: Iterable[bytes] | None = None
) -> str:
    """An export file's identity: what it says, in its tenant.

    One export saved again (CRLF line ends, a BOM, UTF-16, indented otherwise, an .evtx and
    its XML rendering) is one report, not several absences: it is known by the sha256 of its
    records and time, the file's name left out. The same file under another tenant is
    another report. A file with no time of its own (an empty csexport: the same content
    every run) says nothing that tells two runs apart, so it is known by what it says (not
    its bytes), its tenant and when its file was written (``written``: ``written_at``'s
    mark). ``raw_digest`` is no longer part of it (kept for the callers' one signature).

    ``said``, where given, is that JSON (the source left out) in pieces, the same bytes: an
    export whose errors are still rows is known by them too, not by its header alone (two
    exports of one time and tenant were one report, the second never read).
    """
    digest = hashlib.sha256()
    for piece in [report.model_copy(update={"source": ""}).to_json()] if said is None else said:
        digest.update(piece)
    if report.sync_completed_at is None and report.sent_at is None:
        return f"export:{digest.hexdigest()}@{tenant_normal(report.tenant)}{written}"
    return f"export:{digest.hexdigest()}"


def written_at(mtime: datetime | None, read_at: datetime) -> tuple[datetime | None, str]:
    """When an export file was written, as a time (for one with no time of its own) and as
    the mark its keys carry (``export_key``, ``ingest.input_key``): its exact mtime, so
    that the same file read on other days is one report."""
    if mtime is None:
        return None, ""
    # Marked by its exact mtime even in the future: the same file read again on other days
    # is one report. Its time is judged with every report's (``ingest.dated_at``).
    return mtime, "@" + mtime.astimezone(UTC).isoformat()


def sightings(
    report: Report, key: str, identities: Mapping[str, str] | None = None
) -> list[Sighting]:
    """The problems a report lists, in order of first appearance, details merged.

    ``identities``: object id -> the identity the ledger knows that object by; an error that
    names its object by the id alone is the problem of that identity (design.md section 9).

    Built with ``model_construct``: every value comes from the validated ``Report`` (or is
    sorted and deduplicated from its values here), and validating them again cost more
    than parsing the report (a 50,000-row report: 2 s of a 3 s ``ingest``)."""
    grouped: dict[str, list[SyncError]] = {}
    problems: dict[str, Problem] = {}
    known = identities or {}
    for error in report.errors:
        error = _identified(error, known)
        obj = object_key(error)
        fp = fingerprint(report.tenant, error.family, obj)
        grouped.setdefault(fp, []).append(error)
        problems.setdefault(
            fp,
            Problem.model_construct(
                fingerprint=fp,
                tenant=report.tenant,
                family=error.family,
                identity=error.identity,
                object_key=obj,
            ),
        )
    at = report_time(report)
    return [
        Sighting.model_construct(
            problem=problems[fp],
            report_key=key,
            at=at,
            details=merge_details(errors),
            messages=_unique(e.message for e in errors),
            tracking_ids=_unique(e.tracking_id for e in errors if e.tracking_id),
            source=report.source,
            subject=report.subject,
            enrichment=None,
        )
        for fp, errors in grouped.items()
    ]


def _identified(error: SyncError, known: Mapping[str, str]) -> SyncError:
    """The error, naming the identity the ledger knows its object by when it names the
    object by its id alone."""
    if not error.identity and error.object_id and error.object_id.strip() in known:
        return error.model_copy(update={"identity": known[error.object_id.strip()]})
    return error


def merge_details(errors: Iterable[SyncError]) -> Details:
    """One ``Details`` for several rows of one problem: sorted, without repeats."""
    kinds: set[Kind] = set()
    values: dict[str, set[str]] = {}
    invalid: set[str] = set()
    object_ids: set[str] = set()
    for error in errors:
        kinds.add(error.kind)
        for conflict in error.conflicts:
            values.setdefault(conflict.attribute, set()).update(conflict.values)
        if error.invalid_attribute:
            invalid.add(error.invalid_attribute)
        if error.object_id:
            object_ids.add(error.object_id)
    # Constructed, not validated again: the values are the validated errors' own.
    return Details.model_construct(
        kinds=tuple(sorted(kinds)),
        conflicts=tuple(
            Conflict.model_construct(attribute=attribute, values=tuple(sorted(vals)))
            for attribute, vals in sorted(values.items())
        ),
        invalid_attributes=tuple(sorted(invalid)),
        object_ids=tuple(sorted(object_ids)),
        holders=None,
    )


def _unique(items: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))
