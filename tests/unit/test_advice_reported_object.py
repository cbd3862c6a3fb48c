"""Advice: which cloud holder is the reported object itself (``advice.is_self``).

Hostile review rev22: a cloud-only account with the reported UPN was taken for the reported
object, so a UPN conflict with it read "no-holder-found"; and a holder no longer synced
(onPremisesSyncEnabled false, Entra ID its source of authority) was called "The synced
user ..." and to be changed on-premises, where nothing reaches it any more.
"""

from __future__ import annotations

from dirsync_bridge.enrich.advice import advise, commands, is_self

from .test_advice import cloud, onprem

IMMUTABLE_ID = "D92CwNc2nUyF/hkg/H3I0g=="


def test_upn_conflict_with_a_cloud_only_account_is_not_called_cleared() -> None:
    """The on-premises john@contoso.com cannot sync: a cloud-only user has that UPN."""
    squatter = cloud("cloud-only", "john@contoso.com")
    advice = advise("duplicate", "john@contoso.com", [squatter], [], [])
    assert advice.code == "cloud-only-holder", advice
    assert "john@contoso.com" in advice.summary


def test_a_synced_object_with_the_reported_upn_is_the_object_itself() -> None:
    holder = cloud("synced", "bob@contoso.com")
    assert is_self(holder, "BOB@contoso.com")
    assert advise("duplicate", "bob@contoso.com", [holder], [], []).code == "no-holder-found"


def test_a_quarantined_object_is_recognised_by_its_on_premises_upn() -> None:
    holder = cloud(
        "synced",
        "bob1234@contoso.onmicrosoft.com",
        onPremisesUserPrincipalName="bob@contoso.com",
    )
    assert holder.placeholder_upn
    assert is_self(holder, "bob@contoso.com")


def test_a_synced_object_is_recognised_by_the_reported_object_id() -> None:
    holder = cloud("synced", "robert@contoso.com", onPremisesImmutableId=IMMUTABLE_ID)
    assert not is_self(holder, "bob@contoso.com")
    assert is_self(holder, "bob@contoso.com", [IMMUTABLE_ID])
    advice = advise("duplicate", "bob@contoso.com", [holder], [], [], object_ids=[IMMUTABLE_ID])
    assert advice.code == "no-holder-found"


def test_a_cloud_only_object_is_never_the_object_itself() -> None:
    holder = cloud("cloud-only", "bob@contoso.com", onPremisesUserPrincipalName="bob@contoso.com")
    assert not is_self(holder, "bob@contoso.com", [IMMUTABLE_ID])


def test_a_formerly_synced_holder_is_not_called_synced() -> None:
    holder = cloud("formerly-synced", "other@contoso.com")
    advice = advise("duplicate", "bob@contoso.com", [holder], [], [])
    assert "The synced user" not in advice.summary, advice.summary
    assert "on-premises, on whichever" not in advice.summary, advice.summary
    assert advice.code == "cloud-only-holder"
    assert "formerly synced" in advice.summary


def test_a_formerly_synced_holder_with_the_reported_upn_is_a_holder_not_the_object() -> None:
    """Its former self, cloud-managed now: the on-premises object cannot sync onto it."""
    holder = cloud("formerly-synced", "bob@contoso.com")
    assert not is_self(holder, "bob@contoso.com")
    assert advise("duplicate", "bob@contoso.com", [holder], [], []).code == "cloud-only-holder"


def test_a_formerly_synced_user_with_an_on_premises_twin_gets_the_hard_match_command() -> None:
    lines = commands([cloud("formerly-synced", "bob@contoso.com"), onprem("CN=Bob,DC=c")], "bob")
    assert any(line.startswith("Update-MgUser") for line in lines), lines


def test_a_synced_holder_with_another_immutable_id_is_never_the_object_itself() -> None:
    """rev23: two synced objects want one UPN; the one holding it has another ImmutableId
    than the report's object id, so it is a holder, whatever its UPN."""
    holder = cloud("synced", "bob@contoso.com", onPremisesImmutableId="QF5HMK7n80qvdYsUPIHa9Q==")
    assert not is_self(holder, "bob@contoso.com", [IMMUTABLE_ID])
    advice = advise("duplicate", "bob@contoso.com", [holder], [], [], object_ids=[IMMUTABLE_ID])
    assert advice.code == "synced-holder", advice
    assert "QF5HMK7n80qvdYsUPIHa9Q==" in advice.summary


def test_verification_knows_the_object_by_its_immutable_id_only() -> None:
    """``by_name=False`` (verify.py): the UPN alone never makes a holder the object."""
    named = cloud("synced", "bob@contoso.com")
    assert is_self(named, "bob@contoso.com")  # advice, no object id known: by the UPN
    assert not is_self(named, "bob@contoso.com", by_name=False)
    by_id = cloud("synced", "robert@contoso.com", onPremisesImmutableId=IMMUTABLE_ID)
    assert is_self(by_id, "bob@contoso.com", [IMMUTABLE_ID], by_name=False)
