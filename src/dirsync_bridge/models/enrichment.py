"""The enrichment contract (design.md section 2): holders, rule hits, advice, what is missing.

These models are what ``parse --enrich`` prints and what a ticket shows; they are built by
``cloud`` (Graph), ``onprem`` (LDAP), ``rules`` (IdFix) and ``advice``, and never change
what was parsed.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from .holders import ObjectType, OnPremHolder
from .records import UtcTimestamp

SyncState = Literal["cloud-only", "synced", "formerly-synced"]
Where = Literal["cloud", "onprem"]
AdviceCode = Literal[
    "cloud-only-holder",
    "synced-holder",
    "duplicate-onprem",
    "no-holder-found",
    "invalid-value",
    "unknown",
]

ErrorToken = Literal[
    "Format",
    "Blank",
    "Duplicate",
    "Character",
    "TopLevelDomain",
    "DomainPart",
    "LocalPart",
    "Length",
]
"""IdFix's error names, in rule order."""

PLACEHOLDER_UPN: Final = re.compile(r"^.+\d{4}@[^@]+\.onmicrosoft\.com$", re.IGNORECASE)
"""Duplicate Attribute Resiliency's replacement UPN: ``<prefix><4 digits>@<tenant>
.onmicrosoft.com`` (format.md section 6; the documented "+" means concatenation)."""


class CloudHolder(BaseModel):
    """One Entra ID object (user, group or organisational contact) holding a value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    where: Literal["cloud"] = "cloud"
    value: str
    """The value looked up, exactly as reported."""
    object_type: ObjectType
    id: str
    display_name: str | None = None
    user_principal_name: str | None = None
    sync_state: SyncState
    last_sync: UtcTimestamp | None = None
    immutable_id: str | None = None
    """``onPremisesImmutableId``: matches an on-premises holder's ``immutable_id``."""
    on_premises_user_principal_name: str | None = None
    """``onPremisesUserPrincipalName`` (users): the UPN in the on-premises directory, which a
    quarantined object keeps while its cloud UPN is the placeholder."""
    provisioning_errors: tuple[str, ...] = ()
    """``onPremisesProvisioningErrors``, as ``<property>: <value>``."""
    placeholder_upn: bool = False
    """The UPN is Duplicate Attribute Resiliency's placeholder: the real one is quarantined."""

    @classmethod
    def from_graph(cls, value: str, object_type: ObjectType, raw: Any) -> CloudHolder:
        """A holder from one Graph directory object (with the sync properties selected).

        Raises ``ValueError`` for an object Graph described oddly (not an object, no ``id``,
        a name that is not a string, a sync flag that is not a boolean, a date that is not
        one): the caller then knows it did not see that holder, rather than crashing.
        """
        if not isinstance(raw, dict):
            raise ValueError(f"a holder that is not a JSON object ({type(raw).__name__})")
        ident = raw.get("id")
        if not isinstance(ident, str) or not ident:
            raise ValueError("a holder without an id")
        if "onPremisesSyncEnabled" not in raw:
            # Asked for ($select): an answer without it says nothing of the sync state, and
            # "cloud-only" (its null) would be a state nobody reported.
            raise ValueError(f"holder {ident}: no onPremisesSyncEnabled in the answer")
        synced = raw["onPremisesSyncEnabled"]
        if synced not in (True, False, None):
            # Guessing "cloud-only" from an odd flag would be a sync state nobody reported.
            raise ValueError(f"holder {ident}: onPremisesSyncEnabled is {synced!r}")
        state: SyncState = (
            "synced" if synced is True else "formerly-synced" if synced is False else "cloud-only"
        )
        upn = raw.get("userPrincipalName")
        if upn is not None and not isinstance(upn, str):
            raise ValueError(f"holder {ident}: userPrincipalName is {upn!r}")
        onprem_upn = raw.get("onPremisesUserPrincipalName")
        if onprem_upn is not None and not isinstance(onprem_upn, str):
            raise ValueError(f"holder {ident}: onPremisesUserPrincipalName is {onprem_upn!r}")
        problems = raw.get("onPremisesProvisioningErrors") or []
        if not isinstance(problems, list):
            raise ValueError(f"holder {ident}: onPremisesProvisioningErrors is not a list")
        errors = tuple(
            f"{e.get('propertyCausingError', '?')}: {e.get('value', '')}"
            for e in problems
            if isinstance(e, dict)
        )
        # pydantic checks the rest (a ValidationError is a ValueError): a displayName that is
        # not a string, a last sync that is not a date.
        return cls(
            value=value,
            object_type=object_type,
            id=ident,
            display_name=raw.get("displayName"),
            user_principal_name=upn,
            sync_state=state,
            last_sync=raw.get("onPremisesLastSyncDateTime"),
            immutable_id=raw.get("onPremisesImmutableId"),
            on_premises_user_principal_name=onprem_upn,
            provisioning_errors=errors,
            placeholder_upn=bool(upn and PLACEHOLDER_UPN.match(upn)),
        )


class RuleHit(BaseModel):
    """A value that breaks IdFix rules: the ERROR tokens in rule order, and IdFix's fix."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attribute: str
    """IdFix's attribute, spelled as in ``ATTRIBUTES`` whatever the report wrote."""
    value: str
    errors: tuple[ErrorToken, ...]
    proposed: str | None
    """The value after every fix, or None when IdFix has no new value to offer."""


Holder = Annotated[CloudHolder | OnPremHolder, Field(discriminator="where")]


def holder_key(holder: CloudHolder | OnPremHolder) -> str:
    """A holder as a comment names it, and as sightings compare it: readable, and changing
    when the holder's sync state does."""
    if isinstance(holder, CloudHolder):
        name = holder.user_principal_name or holder.display_name or holder.id
        return f"cloud {holder.object_type} {name} ({holder.sync_state})"
    return f"on-premises {holder.object_type} {holder.dn}"


class Advice(BaseModel):
    """What the helpdesk should do, as a code and one line."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: AdviceCode
    summary: str


class Enrichment(BaseModel):
    """Everything the look-ups found about one error (design.md section 2)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    holders: tuple[Holder, ...] = ()
    rule_hits: tuple[RuleHit, ...] = ()
    advice: Advice
    unavailable: tuple[str, ...] = ()
    """Look-ups that could not be made, and why (``cloud: HTTP 503 after 5 attempts``)."""
    looked_up: tuple[Where, ...] | None = None
    """The directories that answered a look-up of these values (``cloud``, ``onprem``);
    ``()`` when nothing was looked up (no value named, no directory configured), so that
    no holder found means nothing. None: recorded before this was kept (unknown)."""
