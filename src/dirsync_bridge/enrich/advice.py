"""Advice: from the facts found, what the helpdesk should do, and commands to do it.

Pure: holders, rule hits and the error in; an ``Advice`` (design.md section 2's code and a
one-line summary) and ready-to-run PowerShell out. Every value in a command is quoted for
PowerShell's single-quoted strings, where only the quote characters are special (PowerShell
treats the typographic single quotes as quotes too, so those are doubled as well).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Final

from ..models import Family, Kind
from ..models.enrichment import Advice, CloudHolder, RuleHit
from ..models.holders import OnPremHolder, anchor_key

_QUOTES: Final = "'\u2018\u2019\u201a\u201b"
_LINE_ENDS: Final = frozenset(("Cc", "Zl", "Zp"))
"""Controls (CR, LF, VT, FF, NEL among them) and the line and paragraph separators."""
_BIDI: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""The bidi marks, embeddings, overrides and isolates: they reorder how a line is displayed."""
NOT_CONFIGURED: Final = "Holders not looked up (no [enrich.cloud] or [enrich.onprem] configured)."
NO_VALUE: Final = "The report names no value to look up: see the advice below."
FEDERATED: Final = (
    "The UPN moved from one federated domain to another: set the cloud UPN to the "
    "onmicrosoft.com domain first, then sync."
)

AD_SET: Final = {"user": "Set-ADUser", "group": "Set-ADGroup", "contact": "Set-ADObject"}
NEW_UPN: Final = "'<choose a new UPN>'"
"""Where the admin must choose a value: a UPN the tool cannot pick."""
MG_GET: Final = {
    "user": "Get-MgUser -UserId",
    "group": "Get-MgGroup -GroupId",
    "contact": "Get-MgContact -OrgContactId",
}


def ps_quote(value: str) -> str:
    """``value`` as a PowerShell single-quoted string (every kind of single quote doubled)."""
    return "'" + "".join(ch * 2 if ch in _QUOTES else ch for ch in value) + "'"


def ps_comment(text: str) -> str:
    """``text`` safe in a ``#`` comment line: every control, line or paragraph separator and
    bidi control replaced by U+FFFD.

    PowerShell ends a comment at CR or LF; the others (U+0085, U+2028, VT, FF...) break the
    line in editors, terminals and ticket views an agent copies from, and the bidi controls
    would draw the comment in another order than the one pasted. Every line end of every
    reader is in Unicode category Cc, Zl or Zp, so none is left.
    """
    return "".join(
        "\ufffd" if ch in _BIDI or unicodedata.category(ch) in _LINE_ENDS else ch for ch in text
    )


def advise(
    family: Family,
    identity: str | None,
    holders: Sequence[CloudHolder | OnPremHolder],
    rule_hits: Sequence[RuleHit],
    unavailable: Sequence[str],
    *,
    searched: bool = True,
    not_searched: str = NOT_CONFIGURED,
    object_ids: Sequence[str] = (),
    kinds: Sequence[Kind] = (),
) -> Advice:
    """The advice code and one line for one problem.

    ``searched``: whether any directory was looked up at all; without that, finding no
    holder means nothing, and ``not_searched`` says why nothing was looked up.
    ``object_ids``: the on-premises object ids (ImmutableIds) the report gave, which
    recognise the reported object in the cloud (``is_self``). ``kinds``: the problem's
    error kinds, where the family's advice would be untrue to one of them.
    """
    if family == "validation":
        if not rule_hits and "FederatedDomainChangeError" in kinds:
            # No rule is broken here: the service refuses a move between federated domains.
            return Advice(code="unknown", summary=FEDERATED)
        if rule_hits:
            hit = rule_hits[0]
            fix = f"; IdFix proposes {hit.proposed!r}" if hit.proposed else ""
            return Advice(
                code="invalid-value",
                summary=f"{hit.attribute} {hit.value!r} breaks {', '.join(hit.errors)} rules"
                f"{fix}: correct it on-premises.",
            )
        return Advice(
            code="unknown", summary="No rule explains the refused value; read the message."
        )
    if family != "duplicate":
        return Advice(code="unknown", summary="Not a duplicate-value error: see the advice below.")
    onprem = [h for h in holders if isinstance(h, OnPremHolder)]
    cloud = [h for h in holders if isinstance(h, CloudHolder)]
    by_value: dict[str, set[str]] = {}
    for holder in onprem:
        by_value.setdefault(holder.value, set()).add(holder.dn)
    for value, dns in by_value.items():
        if len(dns) > 1:
            return Advice(
                code="duplicate-onprem",
                summary=f"{len(dns)} on-premises objects hold {ps_comment(value)}: remove it "
                "from all but one in Active Directory.",
            )
    others = [h for h in cloud if not is_self(h, identity, object_ids)]
    cloud_only = [h for h in others if h.sync_state == "cloud-only"]
    owned = [h for h in others if h.sync_state in ("cloud-only", "formerly-synced")]
    if owned and "ObjectTypeMismatch" in kinds:
        # A user, a group and a contact cannot be matched into one object (format.md 3.1),
        # whether Entra ID has always managed the holder or manages it since its sync ended.
        h = owned[0]
        state = "cloud-only" if h.sync_state == "cloud-only" else "formerly synced"
        return Advice(
            code="cloud-only-holder",
            summary=f"The {state} {h.object_type} {ps_comment(_name(h))} holds "
            f"{ps_comment(h.value)} and is of another object type: remove the value from "
            "whichever of the two should not keep it.",
        )
    if cloud_only:
        h = cloud_only[0]
        return Advice(
            code="cloud-only-holder",
            summary=f"The cloud-only {h.object_type} {ps_comment(_name(h))} holds "
            f"{ps_comment(h.value)}: match it to "
            "the on-premises object (hard match) or remove the value from it.",
        )
    formerly = [h for h in others if h.sync_state == "formerly-synced"]
    if formerly:
        # No longer synced: Entra ID is its source of authority now, so a change made
        # on-premises never reaches it. The cloud-only advice and code fit (design.md 2).
        h = formerly[0]
        return Advice(
            code="cloud-only-holder",
            summary=f"The formerly synced {h.object_type} {ps_comment(_name(h))} (no longer "
            f"synced, managed in Entra ID now) holds {ps_comment(h.value)}: match it to the "
            "on-premises object (hard match) or remove the value from it in Entra ID.",
        )
    synced = [h for h in others if h.sync_state == "synced"]
    if synced:
        h = synced[0]
        return Advice(
            code="synced-holder",
            summary=f"The synced {h.object_type} {ps_comment(_name(h))}{_other(h, identity)} holds "
            f"{ps_comment(h.value)}: change it "
            "on-premises, on whichever object should not keep the value.",
        )
    if rule_hits:
        return Advice(
            code="invalid-value",
            summary=f"{rule_hits[0].value!r} breaks {', '.join(rule_hits[0].errors)} rules.",
        )
    if unavailable:
        return Advice(code="unknown", summary="Some look-ups failed: see which below.")
    if not searched:
        return Advice(code="unknown", summary=not_searched)
    return Advice(
        code="no-holder-found",
        summary="No other object holds the value any more: the next sync should clear it.",
    )


def commands(holders: Sequence[CloudHolder | OnPremHolder], identity: str | None) -> list[str]:
    """PowerShell to inspect each cloud holder and fix each on-premises one."""
    lines: list[str] = []
    onprem = [h for h in holders if isinstance(h, OnPremHolder)]
    for h in holders:
        if isinstance(h, CloudHolder):
            lines.append(ps_comment(f"# {h.sync_state} {h.object_type} {_name(h)}"))
            lines.append(
                f"{MG_GET[h.object_type]} {ps_quote(h.id)} -Property "
                "Id,DisplayName,Mail,ProxyAddresses,OnPremisesSyncEnabled,"
                "OnPremisesImmutableId,OnPremisesProvisioningErrors | Format-List"
            )
            twin = next((o for o in onprem if o.object_type == "user"), None)
            owned = h.sync_state in ("cloud-only", "formerly-synced")  # Entra ID manages it
            if owned and h.object_type == "user" and twin is not None:
                lines.append(ps_comment(f"# hard match to {twin.dn} (then run a sync cycle):"))
                lines.append(
                    f"Update-MgUser -UserId {ps_quote(h.id)} "
                    f"-OnPremisesImmutableId {ps_quote(twin.immutable_id)}"
                )
    for h in onprem:
        lines.append(
            ps_comment(f"# on-premises {h.object_type} {h.dn}: if it should not keep the value")
        )
        lines += _onprem_fixes(h)
    return lines


def _onprem_fixes(h: OnPremHolder) -> list[str]:
    """A change of each attribute that holds the value, and of nothing else: a guess (clear
    mail for a bare address) would wipe an attribute the conflict is not about."""
    target = f"{AD_SET[h.object_type]} -Identity {ps_quote(h.dn)}"
    unread = []
    if h.not_returned:
        # Empty or unreadable, LDAP does not say which: the fixes below may leave one out.
        unread.append(
            ps_comment(
                f"# not returned: {', '.join(h.not_returned)} (empty, or unreadable to the "
                "bind account: look before relying on these commands)"
            )
        )
    if not h.held_in:
        # Which attribute holds it was not read (an older record, an unreadable attribute).
        return [
            *unread,
            "# which attribute holds the value was not read: look before changing any",
            f"Get-ADObject -Identity {ps_quote(h.dn)} -Properties "
            "userPrincipalName,mail,proxyAddresses | Format-List",
        ]
    lines = unread
    if "userPrincipalName" in h.held_in:
        # No value to offer: the admin chooses the object's new UPN. A comment, so that
        # pasting the whole block never sets a placeholder as the UPN (AD would take it).
        lines.append(
            ps_comment(f"# choose a new UPN, then: {target} -UserPrincipalName {NEW_UPN}")
            if h.object_type == "user"
            else f"{target} -Clear userPrincipalName"
        )
    if "mail" in h.held_in:
        lines.append(f"{target} -Clear mail")
    lines += [f"{target} -Remove @{{proxyAddresses={ps_quote(p)}}}" for p in h.proxy_addresses]
    return lines


def is_self(
    holder: CloudHolder,
    identity: str | None,
    object_ids: Sequence[str] = (),
    *,
    by_name: bool = True,
) -> bool:
    """Whether ``holder`` is the reported object itself, already in the cloud (an update
    failed, or a value was quarantined), rather than another object holding its value.

    Only a synced object can be: the report is about an on-premises object, and a cloud-only
    (or no longer synced) one with the same UPN is the very conflict reported, Duplicate
    Attribute Resiliency's commonest case (format.md 6). It is recognised by its
    onPremisesImmutableId being an object id the report gave. A holder whose ImmutableId is
    known and is none of them is another object, whatever its UPN: AD does not enforce UPN
    uniqueness, and two synced objects (two forests) may both want the identity, the one
    that synced first holding it while the reported one sits quarantined.

    ``by_name``: with no object id to compare (a plain report email, or a holder whose
    ImmutableId was not read), fall back to its UPN or its onPremisesUserPrincipalName (kept
    while a quarantine gives it a placeholder UPN) being the identity. Good enough for advice,
    which closes nothing; verification, which closes tickets, passes False (verify.py).
    """
    if holder.sync_state != "synced":
        return False
    ids = {anchor_key(o) for o in object_ids if o.strip()}
    # An ImmutableId and the GUID it encodes are one object (``anchor_key``), both ways.
    if holder.immutable_id and anchor_key(holder.immutable_id) in ids:
        return True
    if not by_name or not identity or (ids and holder.immutable_id):
        return False
    own = identity.casefold()
    names = (holder.user_principal_name, holder.on_premises_user_principal_name)
    return any(name is not None and name.casefold() == own for name in names)


def _other(holder: CloudHolder, identity: str | None) -> str:
    """Tells a synced holder that has the identity as its name from the reported object, which
    it is not (its ImmutableId is another): the same UPN twice would read as one object."""
    names = (holder.user_principal_name, holder.on_premises_user_principal_name)
    if not identity or not holder.immutable_id:
        return ""
    if not any(n is not None and n.casefold() == identity.casefold() for n in names):
        return ""
    return f" (ImmutableId {ps_comment(holder.immutable_id)}, another object than the reported one)"


def _name(holder: CloudHolder) -> str:
    return holder.user_principal_name or holder.display_name or holder.id
