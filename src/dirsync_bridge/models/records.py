"""Typed records: the contract between stages, and the JSON that ``parse`` prints.

Every sync error is one of eight family models, told apart by ``kind`` (a discriminated
union). They share the same JSON keys so that scripts see one shape whatever the kind;
the families exist so that code downstream (fingerprints, tickets) can match on them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic_core import to_json

Family = Literal[
    "duplicate",
    "hard-match",
    "validation",
    "large-object",
    "deletion",
    "user-id-not-found",
    "quota",
    "unknown",
]


def _iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


UtcTimestamp = Annotated[datetime, PlainSerializer(_iso_utc, return_type=str)]
"""A tz-aware datetime that serialises as ``2026-11-24T10:00:00Z``."""


class _Record(BaseModel):
    # Built when first used, not when imported: a command builds only the models it uses
    # (``parse`` builds ``Report``, with its errors' models inside it, not each on its own).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Conflict(_Record):
    """One attribute of a bracket list ``[Attr v1,v2;]`` and the values it names."""

    attribute: str
    values: tuple[str, ...] = ()


class ConflictData(TypedDict):
    """A ``Conflict`` as plain data, the shape the parser builds before validation."""

    attribute: str
    values: tuple[str, ...]


class _SyncErrorBase(_Record):
    # Fields in the order of the JSON contract (design.md section 2): pydantic serialises in
    # declaration order, and a subclass that narrows ``kind`` keeps it in first place.
    kind: Kind
    kind_stated: bool = False
    """True when the source named the error (a column or event field), not the text alone."""
    identity: str | None = None
    object_id: str | None = None
    conflicts: tuple[Conflict, ...] = ()
    invalid_attribute: str | None = None
    tracking_id: str | None = None
    message: str
    holder_object_id: str | None = Field(default=None, exclude=True)
    """The cloud object id of the object holding the conflicting value, when the source names
    it (csexport ``ObjectIdInConflict``). For the ticket's details; not in the JSON contract
    (design.md section 2 lists the error keys), so serialisation leaves it out."""


class DuplicateError(_SyncErrorBase):
    """A value that must be unique in the tenant is held by another object."""

    kind: Literal[
        "AttributeValueMustBeUnique",
        "InvalidSoftMatch",
        "QuarantinedAttributeValueMustBeUnique",
        "ObjectTypeMismatch",
    ]
    family: ClassVar[Family] = "duplicate"


class HardMatchError(_SyncErrorBase):
    """A cloud-created object already holds the source anchor."""

    kind: Literal["InvalidHardMatch"]
    family: ClassVar[Family] = "hard-match"


class ValidationError(_SyncErrorBase):
    """An attribute value the service refuses (``invalid_attribute`` names it)."""

    kind: Literal["DataValidationFailed", "FederatedDomainChangeError"]
    family: ClassVar[Family] = "validation"


class LargeObjectError(_SyncErrorBase):
    """The object exceeds a size, length or value-count limit."""

    kind: Literal["LargeObject"]
    family: ClassVar[Family] = "large-object"


class DeletionError(_SyncErrorBase):
    """The sync client tried to delete or change a cloud-only object."""

    kind: Literal["DeletingCloudOnlyObjectNotAllowed"]
    family: ClassVar[Family] = "deletion"


class UserIdNotFoundError(_SyncErrorBase):
    """Legacy DirSync row: "the user ID is not found"."""

    kind: Literal["UserIdNotFound"]
    family: ClassVar[Family] = "user-id-not-found"


class QuotaError(_SyncErrorBase):
    """Tenant-level: the object quota is exhausted and synchronization stopped."""

    kind: Literal["ObjectQuotaExceeded"]
    family: ClassVar[Family] = "quota"


class UnknownError(_SyncErrorBase):
    """Text no catalogue entry recognises; kept verbatim so nothing is dropped."""

    kind: Literal["Unknown"]
    family: ClassVar[Family] = "unknown"


SyncError = Annotated[
    DuplicateError
    | HardMatchError
    | ValidationError
    | LargeObjectError
    | DeletionError
    | UserIdNotFoundError
    | QuotaError
    | UnknownError,
    Field(discriminator="kind"),
]

Kind = Literal[
    "AttributeValueMustBeUnique",
    "InvalidSoftMatch",
    "QuarantinedAttributeValueMustBeUnique",
    "ObjectTypeMismatch",
    "InvalidHardMatch",
    "DataValidationFailed",
    "FederatedDomainChangeError",
    "LargeObject",
    "DeletingCloudOnlyObjectNotAllowed",
    "UserIdNotFound",
    "ObjectQuotaExceeded",
    "Unknown",
]

KINDS: tuple[Kind, ...] = Kind.__args__  # type: ignore[attr-defined]

FAMILY_OF: dict[str, Family] = {
    kind: model.family
    for model in (
        DuplicateError,
        HardMatchError,
        ValidationError,
        LargeObjectError,
        DeletionError,
        UserIdNotFoundError,
        QuotaError,
        UnknownError,
    )
    for kind in model.model_fields["kind"].annotation.__args__  # type: ignore[union-attr]
}
"""Each kind's family, as the model of that kind names it."""

SourceKind = Literal["email", "csexport", "eventlog", "graph-provisioning"]
"""Where a report came from (design.md section 9)."""


class _Envelope(_Record):
    source: str
    """Where the bytes came from: a path, ``path#n`` inside an mbox, or a mailbox id."""
    message_id: str | None = None
    subject: str | None = None
    sender: str | None = None
    sent_at: UtcTimestamp | None = None


class Report(_Record):
    """A trusted report (an email, an export file) and the errors it lists, in source order."""

    # The envelope's fields, but in the order of the JSON contract (design.md section 2):
    # pydantic serialises in declaration order, so the JSON needs no reordering pass.
    source: str
    """Where the bytes came from: a path, ``path#n`` inside an mbox, or a mailbox id."""
    status: Literal["parsed"] = "parsed"
    reason: None = None
    message_id: str | None = None
    subject: str | None = None
    sender: str | None = None
    sent_at: UtcTimestamp | None = None
    tenant: str | None = None
    sync_completed_at: UtcTimestamp | None = None
    source_kind: SourceKind = "email"
    complete: bool = True
    """Whether the report lists every current error its source can see (emails and csexport
    files do; event-log exports never do), so that an absence from it means something."""
    errors: tuple[SyncError, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """The contract's JSON object, keys in contract order."""
        return self.model_dump(mode="json")

    def to_json(self) -> bytes:
        """The contract's JSON object as UTF-8 text, from pydantic's own serialiser."""
        return self.__pydantic_serializer__.to_json(self)


RejectCode = Literal[
    "empty",
    "too-large",
    "unreadable",
    "not-email",
    "malformed-mime",
    "truncated",
    "not-a-report",
    "untrusted-sender",
    "untrusted-forwarder",
    "authentication-failed",
    "unauthenticated",
    # Export files (csexport, event logs):
    "unsafe-xml",
    "malformed-xml",
    "malformed-evtx",
    "not-an-error-export",
    "no-tenant",
]


class Rejected(_Envelope):
    """An input that must never make a ticket, with a one-line reason."""

    status: Literal["rejected"] = "rejected"
    source_kind: SourceKind | None = "email"
    """What the input was recognised as; None when it is of no kind the tool reads."""
    code: RejectCode = Field(exclude=True)
    detail: str = Field(exclude=True)

    @property
    def reason(self) -> str:
        """``<code>: <explanation>``, one line."""
        return f"{self.code}: {self.detail}"

    def to_json_dict(self) -> dict[str, Any]:
        """The contract's JSON object: same keys as a report, with ``reason`` set.

        ``complete`` is false: a rejected input vouches for nothing, so it can never count as
        an absence.
        """
        data = self.model_dump(mode="json")
        data.update(
            reason=self.reason, tenant=None, sync_completed_at=None, complete=False, errors=[]
        )
        return {key: data[key] for key in _KEY_ORDER}

    def to_json(self) -> bytes:
        """The contract's JSON object as UTF-8 text, written as ``Report.to_json`` writes it."""
        return to_json(self.to_json_dict())


_KEY_ORDER = (
    "source",
    "status",
    "reason",
    "message_id",
    "subject",
    "sender",
    "sent_at",
    "tenant",
    "sync_completed_at",
    "source_kind",
    "complete",
    "errors",
)


ParseResult = Report | Rejected
