"""What the export parsers share: object ids, extra details, times, and the record itself.

An export error carries the same message text as an email row (reference/format.md
section 2), so each one goes through the catalogue (``classify``, ``stated_kind``) exactly
as an email row does; what the export adds (the error name, the object id hidden in the
connector-space DN, ``ErrorExtraDetails``) only fills in what the text cannot say.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, get_args

from ..models import ConflictData, DuplicateError, Rejected, SourceKind
from .catalog import classify, stated_kind
from .surrogates import json_without_surrogates
from .xml_safety import XmlRefused

# The kinds that carry conflicts, as the model defines them (the catalogue drops conflicts
# from every other stated kind, and so do we).
_DUPLICATE_KINDS = frozenset(get_args(DuplicateError.model_fields["kind"].annotation))

# "CN={<hex>}": the Azure AD connector space names an object by the hex of its ImmutableId's
# UTF-8 bytes (reference/live-sources.md 3.1; ADSyncTools ConvertFrom-ADSyncToolsAadDistinguished
# Name). "CN={514635484D4B376E38307176645973555049486139513D3D}" is "QF5HMK7n80qvdYsUPIHa9Q==".
# DN attribute names are case-insensitive, and so is hex.
_AAD_DN = re.compile(r"CN=\{(?P<hex>(?:[0-9A-F]{2})+)\}", re.IGNORECASE)


def immutable_id_from_dn(dn: str | None) -> str | None:
    """The ImmutableId (base64 source anchor) a connector-space DN ``CN={hex}`` encodes.

    The same on-premises id an email's "On-premises object ID" column shows. None for any
    other DN (an on-premises AD DN, say) or hex that is not printable text.
    """
    found = _AAD_DN.search(dn or "")
    if not found:
        return None
    try:
        text = binascii.unhexlify(found.group("hex")).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return text if text.isprintable() and text.strip() == text and text else None


# Blogs render the JSON with typographic quotes (format.md 2.1); straightened before parsing.
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


def read_extra_details(text: str | None) -> dict[str, tuple[str, ...]]:
    """``[{"Key": "ObjectIdInConflict", "Value": ["..."]}, ...]`` as ``{key: values}``.

    Anything else (not JSON, another shape, JSON nested too deep to read) gives ``{}``: the
    details only add to a record.
    """
    if not text or not text.strip():
        return {}
    try:
        return _details_of(text)
    except RecursionError:
        # "[[[[...]]]]" a thousand deep: json and str() recurse once a level. Unreadable
        # details of this record, not a malformed file (that lost every good record).
        return {}


def _details_of(text: str) -> dict[str, tuple[str, ...]]:
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = json.loads(text.translate(_QUOTES))
        except ValueError:
            return {}
    # "\ud800" (an unpaired surrogate in an AD attribute, written out by .NET) decodes to
    # a lone surrogate no output can encode: U+FFFD, and the record is kept.
    data = json_without_surrogates(data)
    items = data if isinstance(data, list) else [data]
    out: dict[str, tuple[str, ...]] = {}
    for item in items:
        if not isinstance(item, Mapping):
            continue
        key, value = item.get("Key"), item.get("Value")
        if not isinstance(key, str) or not key:
            continue
        values = value if isinstance(value, list) else [value]
        out[key] = tuple(
            " ".join(str(v).split()) for v in values if v is not None and str(v).strip()
        )
    return out


_TIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)


def parse_time(text: str | None) -> datetime | None:
    """``2021-10-20 23:51:28.000`` or ``2026-07-16T04:00:00.0000000Z`` as a UTC datetime.

    A time without a zone is UTC: the sync engine and the event log both record UTC.
    Anything unreadable gives None (the record stays; only the report time loses it).
    """
    found = _TIME.match((text or "").strip())
    if not found:
        return None
    frac = (found.group("frac") or "")[:6].ljust(6, "0")
    zone = found.group("zone") or "Z"
    zone = "+00:00" if zone == "Z" else zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    try:
        value = datetime.fromisoformat(f"{found['date']}T{found['time']}.{frac}{zone}")
        # 9999-12-31T23:59:59-01:00 is a time, but past the last day once in UTC.
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def error_record(
    *,
    message: str,
    error_name: str | None,
    identity: str | None,
    object_id: str | None,
    extra: Mapping[str, tuple[str, ...]],
) -> dict[str, Any]:
    """One error as the record contract's plain data (validated with the whole report).

    ``error_name`` is the kind when it names a catalogue kind (``kind_stated: true``); the
    message goes through the catalogue's grammar; ``extra`` (ErrorExtraDetails) names the
    holder and fills the conflict or the invalid attribute where the text leaves them out.
    """
    named = stated_kind(error_name)
    found = classify(message, named)
    conflicts = list(found.conflicts)
    if found.kind in _DUPLICATE_KINDS:
        conflicts = _fill_conflict(conflicts, extra)
    invalid = found.invalid_attribute
    if invalid is None and found.kind in ("DataValidationFailed", "FederatedDomainChangeError"):
        invalid = _first(extra, "InvalidAttributeName")
    return {
        "kind": found.kind,
        "kind_stated": named is not None,
        "identity": identity,
        "object_id": object_id,
        "conflicts": tuple(conflicts),
        "invalid_attribute": invalid,
        "tracking_id": found.tracking_id,
        "message": found.message,
        "holder_object_id": _first(extra, "ObjectIdInConflict"),
    }


def _fill_conflict(
    conflicts: list[ConflictData], extra: Mapping[str, tuple[str, ...]]
) -> list[ConflictData]:
    # The bracket list is what the emails showed, so where it names the attribute with
    # values it stays as it is (the same object then has the same details whatever the
    # source); the details fill an attribute the list names without values (the
    # ObjectTypeMismatch text) or does not name at all.
    attribute = _first(extra, "AttributeConflictName")
    values = extra.get("AttributeConflictValues", ())
    if not attribute:
        return conflicts
    for index, conflict in enumerate(conflicts):
        if conflict["attribute"].casefold() == attribute.casefold():
            if not conflict["values"] and values:
                conflicts[index] = {"attribute": conflict["attribute"], "values": values}
            return conflicts
    return [*conflicts, {"attribute": attribute, "values": values}]


def _first(extra: Mapping[str, tuple[str, ...]], key: str) -> str | None:
    values = extra.get(key, ())
    return values[0] if values else None


class Latest:
    """The latest of the times seen (the report's time): one kept, never all of them."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at: datetime | None = None

    def add(self, at: datetime | None) -> None:
        """One more time (None: unreadable, it dates nothing)."""
        if at is not None and (self.at is None or at > self.at):
            self.at = at


def report_fields(
    *, source: str, source_kind: SourceKind, complete: bool, latest: Latest
) -> dict[str, Any]:
    """The report's fields but its errors: no tenant (export files name none), time = the
    latest time seen."""
    return {
        "source": source,
        "source_kind": source_kind,
        "tenant": None,
        "sync_completed_at": latest.at,
        "complete": complete,
    }


def refused(source: str, source_kind: SourceKind, refusal: XmlRefused) -> Rejected:
    """A ``Rejected`` for an input the XML layer (or a parser) refused."""
    return Rejected(
        source=source,
        source_kind=source_kind,
        code=refusal.code,
        detail=" ".join(refusal.detail.split()),
    )
