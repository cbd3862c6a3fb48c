"""On-premises holders: which Active Directory object holds a conflicting value, as data.

``OnPremHolder`` is the ``where="onprem"`` entry of ``enrichment.holders`` (design.md section
2). ``OnPremHolder.from_ldap`` builds one from the raw attribute bytes of one LDAP entry; it
does no I/O, so the derivations below are testable without a directory.

The ImmutableId is what Entra ID stores as ``onPremisesImmutableId`` for a synced object, so a
helpdesk agent can match an on-premises object to its cloud twin. Entra Connect's source
anchor is ``mS-DS-ConsistencyGuid`` when it is set (Connect writes it on first export, and
admins copy it across forests), else ``objectGUID``; either way the ImmutableId is the base64
of the attribute's 16 raw bytes as AD stores them. For ``objectGUID`` those bytes are the
GUID's little-endian layout (.NET ``Guid.ToByteArray()``, Python ``UUID.bytes_le``), which is
why ``D92CwNc2nUyF/hkg/H3I0g==`` does not look like the GUID string it came from.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from .records import UtcTimestamp

ObjectType = Literal["user", "group", "contact"]
HeldIn = Literal["userPrincipalName", "mail", "proxyAddresses"]
"""The attributes a look-up matches a value against (``enrich.ldap_filter``)."""

HOLDING_ATTRIBUTES: Final[dict[ObjectType, tuple[HeldIn, ...]]] = {
    "user": ("userPrincipalName", "mail", "proxyAddresses"),
    "group": ("mail", "proxyAddresses"),
    "contact": ("mail", "proxyAddresses"),
}
"""Of the attributes a look-up matches, those each object type has (only users have a UPN)."""
_OTHER_PROXY: Final = re.compile(r"^\s*(?!smtp:)[A-Za-z][A-Za-z0-9]{0,8}:", re.I)
"""A value with a proxy prefix other than SMTP (``SIP:``, ``X500:``): ``enrich.ldap_filter``
matches it against ``proxyAddresses`` only."""

ACCOUNTDISABLE: Final = 0x2
"""The ``userAccountControl`` bit that marks a disabled account."""

_GENERALIZED_TIME = re.compile(
    r"^(?P<base>\d{14})(?:[.,](?P<fraction>\d+))?(?P<zone>Z|[+-]\d{4})$",
)


class OnPremHolder(BaseModel):
    """One Active Directory object that holds a value named in a sync error.

    The first six keys are design.md's ``where="onprem"`` entry. ``object_guid``, ``changed``
    and ``disabled`` are extra (design.md is silent on them): the GUID is what AD tools search
    by, ``changed`` shows a recent edit, and a disabled user is the usual leftover that should
    give the value up. ``disabled`` is null for groups and contacts, which have no account.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    where: Literal["onprem"] = "onprem"
    value: str
    """The value looked up, exactly as reported (``SMTP:`` prefix and case kept)."""
    object_type: ObjectType
    dn: str
    immutable_id: str
    created: UtcTimestamp
    object_guid: str
    changed: UtcTimestamp
    disabled: bool | None = None
    held_in: tuple[HeldIn, ...] = ()
    """The attributes that hold the value, so that a fix changes those and nothing else
    (a UPN conflict must not clear the holder's mail). Empty when not known: recorded before
    this was kept, or the bind account may not read them."""
    proxy_addresses: tuple[str, ...] = ()
    """The ``proxyAddresses`` entries equal to the value, exactly as stored (prefix kept)."""
    not_returned: tuple[HeldIn, ...] = ()
    """Of the attributes that could hold the value on this object, those the entry came
    without. LDAP answers the same for an empty attribute and one the bind account may not
    read, so ``held_in`` may lack one that holds the value: the commands say so."""

    @classmethod
    def from_ldap(
        cls,
        value: str,
        dn: str,
        attributes: Mapping[str, Sequence[bytes]],
        *,
        held_in: tuple[HeldIn, ...] = (),
        proxy_addresses: tuple[str, ...] = (),
    ) -> OnPremHolder:
        """Build a holder from one entry's raw attributes (names in any case, values as bytes).

        Needs ``objectClass``, ``objectGUID``, ``whenCreated`` and ``whenChanged``; reads
        ``mS-DS-ConsistencyGuid`` and ``userAccountControl`` when present. Raises ``ValueError``
        naming the DN and the attribute when the entry lacks one or holds something malformed.
        ``held_in`` and ``proxy_addresses`` say where the entry holds ``value``
        (``enrich.ldap_filter.held_in`` reads them from the same attributes).
        """
        raw = {name.lower(): list(values) for name, values in attributes.items()}

        def first(name: str) -> bytes:
            values = raw.get(name.lower())
            if not values:
                raise ValueError(f"{dn}: the directory returned no {name}")
            return values[0]

        object_type = object_type_of(
            [v.decode("utf-8", "replace") for v in raw.get("objectclass", [])]
        )
        if object_type is None:
            raise ValueError(f"{dn}: objectClass is not a user, group or contact")
        guid = first("objectGUID")
        if len(guid) != 16:
            raise ValueError(f"{dn}: objectGUID is {len(guid)} bytes, not 16")
        consistency = raw.get("ms-ds-consistencyguid") or []
        disabled = None
        if object_type == "user":
            control = raw.get("useraccountcontrol") or []
            disabled = bool(int(control[0]) & ACCOUNTDISABLE) if control else None
        created_raw, changed_raw = first("whenCreated"), first("whenChanged")
        try:
            created = generalized_time(created_raw.decode("ascii"))
            changed = generalized_time(changed_raw.decode("ascii"))
        except ValueError as exc:  # UnicodeDecodeError is one too
            raise ValueError(f"{dn}: {exc}") from exc
        return cls(
            value=value,
            object_type=object_type,
            dn=dn,
            immutable_id=immutable_id(guid, consistency[0] if consistency else None),
            created=created,
            object_guid=str(uuid.UUID(bytes_le=guid)),
            changed=changed,
            disabled=disabled,
            held_in=held_in,
            proxy_addresses=proxy_addresses,
            not_returned=tuple(
                name for name in _could_hold(value, object_type) if not raw.get(name.lower())
            ),
        )


def _could_hold(value: str, object_type: ObjectType) -> tuple[HeldIn, ...]:
    """The attributes of an object of this type a look-up of ``value`` matches."""
    if _OTHER_PROXY.match(value):
        return ("proxyAddresses",)
    return HOLDING_ATTRIBUTES[object_type]


def immutable_id(object_guid: bytes, consistency_guid: bytes | None = None) -> str:
    """The ImmutableId Entra ID knows the object by: base64 of the source anchor's raw bytes.

    ``mS-DS-ConsistencyGuid`` wins when it holds a value; otherwise ``objectGUID``, whose
    raw bytes are already in the little-endian layout Entra Connect encodes.
    """
    anchor = consistency_guid if consistency_guid else object_guid
    return base64.b64encode(anchor).decode("ascii")


def anchor_key(object_id: str) -> str:
    """One spelling of an object id for comparing a report's with Graph's ImmutableId.

    A report may give the on-premises object as its ImmutableId (base64) or as its GUID
    ("Object GUID" column, kept verbatim by ``parse.body``). With ``objectGUID`` as the source
    anchor, the ImmutableId is ``[Convert]::ToBase64String($guid.ToByteArray())``: base64 of
    the GUID's little-endian bytes (module docstring). The reference docs say only that the
    sourceAnchor is "objectGUID-based" (format.md section 3, InvalidSoftMatch) and that
    ADSyncTools has ``ConvertFrom-ADSyncToolsImmutableID`` (section 9); the byte order is
    .NET's, as ``immutable_id`` below and the tests' directory share. A GUID becomes that
    base64, so either spelling of one object gives one key. An anchor that is a copied
    ``mS-DS-ConsistencyGuid`` of other bytes matches its GUID by neither: no harm, only no
    match. Nor is every "ObjectGUID" an AD GUID: a csexport script names Entra's
    ``cloudAnchor`` (``User_<objectId>``) so (live-sources.md section 4), which
    is no GUID here and stays as written. Anything else is only trimmed.
    """
    value = object_id.strip()
    try:
        guid = uuid.UUID(value)
    except ValueError:
        return value
    return base64.b64encode(guid.bytes_le).decode("ascii")


def object_type_of(object_classes: Sequence[str]) -> ObjectType | None:
    """``user``, ``group`` or ``contact`` from an entry's ``objectClass`` chain; None otherwise.

    Computers are users to LDAP (``computer`` derives from ``user``) but are not holders that
    Entra Connect syncs as users, so they give None.
    """
    classes = {c.lower() for c in object_classes}
    if "computer" in classes:
        return None
    for kind in ("group", "contact", "user"):
        if kind in classes:
            return kind
    return None


def generalized_time(text: str) -> datetime:
    """An LDAP GeneralizedTime (``20190301080000.0Z``, or ``+hhmm``) as an aware UTC datetime."""
    found = _GENERALIZED_TIME.match(text.strip())
    if found is None:
        raise ValueError(f"{text!r} is not an LDAP GeneralizedTime like 20190301080000.0Z")
    when = datetime.strptime(found["base"], "%Y%m%d%H%M%S")
    zone = found["zone"]
    try:
        if found["fraction"]:
            when += timedelta(seconds=float("0." + found["fraction"]))
        if zone == "Z":
            return when.replace(tzinfo=UTC)
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        tz = timezone(offset if zone[0] == "+" else -offset)
        return when.replace(tzinfo=tz).astimezone(UTC)
    except OverflowError:
        # 99991231235959.0-0100 is a time, but past the last day once in UTC: the callers
        # treat an unreadable time (ValueError) as the entry's fault, not the program's.
        raise ValueError(f"{text!r} is past the range of dates once in UTC") from None
