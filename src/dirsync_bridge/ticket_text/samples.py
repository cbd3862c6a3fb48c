"""The sample views start-up renders every template with: every branch of a ticket and a
comment, and every error kind in each place a template can test it, so a broken override
fails when the run starts, not on the first ticket that takes that branch."""

from __future__ import annotations

from datetime import UTC, datetime

from ..fingerprint import label
from ..models import FAMILY_OF, KINDS, Conflict, Kind
from ..models.enrichment import Advice, CloudHolder, Enrichment, RuleHit
from ..models.holders import OnPremHolder
from ..problem import Details
from .context import CommentView, TicketView

SAMPLE_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SAMPLE_DETAILS = Details(
    kinds=("AttributeValueMustBeUnique",),
    conflicts=(Conflict(attribute="UserPrincipalName", values=("john@contoso.com",)),),
    invalid_attributes=("UserPrincipalName",),
    object_ids=("x4V0iaeB60KXxjftcwd7Hw==",),
)
SAMPLE_TICKET = TicketView(
    fingerprint="0" * 64,
    label=label("0" * 64),
    tenant="Contoso",
    family="duplicate",
    kinds=SAMPLE_DETAILS.kinds,
    identity="john@contoso.com",
    object_ids=SAMPLE_DETAILS.object_ids,
    conflicts=SAMPLE_DETAILS.conflicts,
    invalid_attributes=SAMPLE_DETAILS.invalid_attributes,
    messages=("Sample message.",),
    tracking_ids=("00000000-0000-0000-0000-000000000000",),
    first_seen=SAMPLE_AT,
    source="sample.eml",
    subject="Directory Synchronization Error Report",
    episode=1,
    previous_ticket="LOCAL-1",
    # Every branch of the enrichment section, so a broken override fails at start-up.
    enrichment=Enrichment(
        holders=(
            CloudHolder(
                value="john@contoso.com",
                object_type="user",
                id="00000000-0000-0000-0000-000000000001",
                display_name="John",
                user_principal_name="john1234@contoso.onmicrosoft.com",
                sync_state="synced",
                last_sync=SAMPLE_AT,
                placeholder_upn=True,
            ),
            OnPremHolder(
                value="john@contoso.com",
                object_type="user",
                dn="CN=John,DC=contoso,DC=com",
                immutable_id="x4V0iaeB60KXxjftcwd7Hw==",
                created=SAMPLE_AT,
                object_guid="00000000-0000-0000-0000-000000000002",
                changed=SAMPLE_AT,
                disabled=True,
                held_in=("mail", "proxyAddresses"),
                proxy_addresses=("SMTP:john@contoso.com",),
            ),
        ),
        rule_hits=(
            RuleHit(
                attribute="mail", value="jo hn@contoso.com", errors=("Character",), proposed="x"
            ),
        ),
        advice=Advice(code="synced-holder", summary="Sample advice."),
        unavailable=("cloud: sample",),
        looked_up=("cloud", "onprem"),
    ),
)
SAMPLE_KIND_TICKETS = tuple(
    SAMPLE_TICKET.model_copy(update={"family": FAMILY_OF[kind], "kinds": (kind,)}) for kind in KINDS
)
"""One sample of each error kind: the advice a description gives follows the kind, so a
broken branch for any kind fails at start-up, and a changed one renders every ticket again."""
SAMPLE_COMMENTS = (
    CommentView(
        kind="changed",
        at=SAMPLE_AT,
        source="sample.eml",
        before=Details(kinds=("InvalidSoftMatch",), holders=("on-premises user CN=A",)),
        after=SAMPLE_DETAILS.model_copy(update={"holders": ("cloud user b (cloud-only)",)}),
    ),
    CommentView(kind="resolved", at=SAMPLE_AT, absent_reports=3, last_seen=SAMPLE_AT),
    CommentView(
        kind="resolved",
        at=SAMPLE_AT,
        absent_reports=3,
        last_seen=SAMPLE_AT,
        note="Graph no longer lists it",
    ),
    CommentView(kind="reopened", at=SAMPLE_AT, source="sample.eml", after=SAMPLE_DETAILS),
    CommentView(kind="verified", at=SAMPLE_AT, note="nothing else holds the value"),
    CommentView(kind="unverified", at=SAMPLE_AT, note="the object id was not matched"),
)


def _kind_rotation(kinds: tuple[Kind, ...], step: int) -> tuple[Kind, ...]:
    return tuple(kinds[(n + step) % len(kinds)] for n in range(len(kinds)))


def _kind_comments() -> tuple[CommentView, ...]:
    """The "changed" and "reopened" samples again with the kinds rotated: comment n has
    kinds n, n+1 before and n+1, n+2 after, so every kind is in turn in ``before.kinds``,
    ``after.kinds``, ``kinds_added``, ``kinds_removed``, in both and in neither."""
    out = []
    for first, second, third in zip(
        KINDS, _kind_rotation(KINDS, 1), _kind_rotation(KINDS, 2), strict=True
    ):
        for sample in SAMPLE_COMMENTS:
            if sample.before is not None and sample.after is not None:
                before_details = sample.before.model_copy(update={"kinds": (first, second)})
                after_details = sample.after.model_copy(update={"kinds": (second, third)})
                out.append(
                    sample.model_copy(update={"before": before_details, "after": after_details})
                )
            elif sample.after is not None:
                after_details = sample.after.model_copy(update={"kinds": (first, second)})
                out.append(sample.model_copy(update={"after": after_details}))
    return tuple(out)


SAMPLE_KIND_COMMENTS = _kind_comments()
"""Every comment that shows kinds, with each error kind in each place a template can test
it, so a broken branch for any kind fails at start-up (as ``SAMPLE_KIND_TICKETS`` does)."""
