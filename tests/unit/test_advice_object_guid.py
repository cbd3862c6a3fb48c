"""Advice: an object id given as its GUID names the object whose ImmutableId encodes it.

Hostile review rev25: ``parse.body`` keeps an "Object GUID" column verbatim, and ``is_self``
compared it with Graph's onPremisesImmutableId as text, so the reported object was never
recognised (verification then never closes such a ticket). With an objectGUID source anchor
the ImmutableId is base64 of the GUID's .NET ``ToByteArray()`` bytes (``UUID.bytes_le``).
"""

from __future__ import annotations

import base64
import uuid

from dirsync_bridge.enrich.advice import is_self
from dirsync_bridge.models.holders import anchor_key, immutable_id

from .test_advice import cloud

GUID = uuid.UUID("7f3a9c1e-2b4d-4e6f-8a0b-1c2d3e4f5a6b")
IMMUTABLE_ID = base64.b64encode(GUID.bytes_le).decode("ascii")


def test_the_guid_and_its_immutable_id_are_one_key() -> None:
    assert immutable_id(GUID.bytes_le) == IMMUTABLE_ID  # as the LDAP side derives it
    assert base64.b64encode(GUID.bytes).decode("ascii") != IMMUTABLE_ID  # not big-endian
    for spelling in (str(GUID), str(GUID).upper(), f"{{{GUID}}}", GUID.hex, f" {GUID} "):
        assert anchor_key(spelling) == IMMUTABLE_ID, spelling
    assert anchor_key(IMMUTABLE_ID) == IMMUTABLE_ID
    assert anchor_key("User_0a1b2c3d-0000-0000-0000-000000000000") == (
        "User_0a1b2c3d-0000-0000-0000-000000000000"
    )


def test_a_reported_guid_recognises_the_object_with_that_immutable_id() -> None:
    holder = cloud("synced", "robert@contoso.com", onPremisesImmutableId=IMMUTABLE_ID)
    assert is_self(holder, "bob@contoso.com", [str(GUID)], by_name=False)
    assert is_self(holder, "bob@contoso.com", [str(GUID).upper()], by_name=False)


def test_both_ways_an_immutable_id_recognises_a_holder_known_by_its_guid() -> None:
    holder = cloud("synced", "robert@contoso.com", onPremisesImmutableId=str(GUID))
    assert is_self(holder, "bob@contoso.com", [IMMUTABLE_ID], by_name=False)


def test_another_guid_is_another_object() -> None:
    holder = cloud("synced", "bob@contoso.com", onPremisesImmutableId=IMMUTABLE_ID)
    other = uuid.UUID("00000000-2b4d-4e6f-8a0b-1c2d3e4f5a6b")
    assert not is_self(holder, "bob@contoso.com", [str(other)], by_name=False)
    # Nor the GUID read big-endian (its bytes in written order): not what Connect encodes.
    wrong = base64.b64encode(GUID.bytes).decode("ascii")
    assert not is_self(holder, "bob@contoso.com", [wrong], by_name=False)
    # A cloud-only holder is never the reported object, whatever its id.
    assert not is_self(cloud("cloud-only", "bob@contoso.com"), "bob@contoso.com", [str(GUID)])
