"""Hostile review rev20, fix 4 (CloudHolder.from_graph): a holder answered without
``onPremisesSyncEnabled`` at all is read as "cloud-only".

The look-up selects the property, so Graph sends it (``null`` for a cloud-created object); an
answer that leaves the key out is an odd answer (a proxy, a $select not honoured) and says
nothing about the sync state. from_graph takes ``raw.get(...)`` None for both, and the ticket
then advises "cloud-only-holder: match it to the on-premises object (hard match)" for an
object whose state nobody established (design.md 2: never claim a state not established).
"""

from __future__ import annotations

from .test_cloud_lookup_odd_answers import enrich

WITHOUT_SYNC_FLAG = {
    "id": "11111111-2222-3333-4444-555555555555",
    "displayName": "Ann",
    "userPrincipalName": "ann@contoso.com",
}


def test_a_holder_without_the_sync_flag_is_not_advised_as_cloud_only() -> None:
    enrichment = enrich({"status": 200, "body": {"value": [WITHOUT_SYNC_FLAG]}})
    states = [h.sync_state for h in enrichment.holders]
    # was: ['cloud-only', ...], advice cloud-only-holder, unavailable []
    assert enrichment.advice.code != "cloud-only-holder", (states, enrichment.advice)
