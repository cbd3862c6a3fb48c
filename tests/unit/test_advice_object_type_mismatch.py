"""ObjectTypeMismatch advice: a holder of another object type is never advised a hard match.

Hostile review rev23: a formerly synced holder (onPremisesSyncEnabled false) fell through
to the formerly-synced advice, which proposes a hard match - impossible between a contact
and a user - where a cloud-only one got the "another object type" advice.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.enrich.advice import advise
from dirsync_bridge.models.enrichment import CloudHolder


@pytest.mark.parametrize("sync", [None, False], ids=["cloud-only", "formerly-synced"])
def test_a_holder_of_another_object_type_is_never_advised_a_hard_match(sync: bool | None) -> None:
    """ObjectTypeMismatch: a contact on-premises, a user in the cloud holding its address.
    A formerly synced holder (onPremisesSyncEnabled false, its on-premises source gone or
    out of scope) fell through to the formerly-synced advice, which proposes a hard match -
    impossible between a contact and a user - where a cloud-only one did not."""
    user = CloudHolder.from_graph(
        "smtp:tax@contoso.com",
        "user",
        {
            "id": "u1",
            "displayName": "Tax",
            "userPrincipalName": "tax@contoso.com",
            "onPremisesSyncEnabled": sync,
        },
    )
    advice = advise(
        "duplicate", "Tax Office (contact)", [user], [], [], kinds=("ObjectTypeMismatch",)
    )
    assert "hard match" not in advice.summary, advice.summary
    assert "another object type" in advice.summary, advice.summary
