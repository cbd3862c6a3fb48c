"""The models that cross a stage boundary: records (what a report says) and enrichment facts.

``records`` is the record contract (design.md section 2, one shape whatever the source);
``enrichment`` and ``holders`` are what the look-ups found. Names from ``records`` are
re-exported here, so ``from dirsync_bridge.models import Report`` reads as it always has.
"""

from .records import (
    FAMILY_OF,
    KINDS,
    Conflict,
    ConflictData,
    DeletionError,
    DuplicateError,
    Family,
    HardMatchError,
    Kind,
    LargeObjectError,
    ParseResult,
    QuotaError,
    RejectCode,
    Rejected,
    Report,
    SourceKind,
    SyncError,
    UnknownError,
    UserIdNotFoundError,
    UtcTimestamp,
    ValidationError,
)

__all__ = [
    "FAMILY_OF",
    "KINDS",
    "Conflict",
    "ConflictData",
    "DeletionError",
    "DuplicateError",
    "Family",
    "HardMatchError",
    "Kind",
    "LargeObjectError",
    "ParseResult",
    "QuotaError",
    "RejectCode",
    "Rejected",
    "Report",
    "SourceKind",
    "SyncError",
    "UnknownError",
    "UserIdNotFoundError",
    "UtcTimestamp",
    "ValidationError",
]
