"""LDAP look-ups that do not see every holder say so (hostile review rev16).

`OnPremDirectory.holders` skips (a) an entry it cannot read (`from_ldap` ValueError: an
attribute the bind account may not read, an odd objectGUID, an unreadable whenCreated) with
a log warning, and (b) every referral (`searchResRef`: the holder lives in a partition or
domain the DC does not hold, e.g. a child domain when `url` names a DC, not the global
catalog). `unavailable()` is always `[]` ("a look-up either answers whole or raises"), so
when the only holder is one of those the ticket says "No object holds these values any
more (looked up in Active Directory)" with advice `no-holder-found`: a claim nobody made.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from dirsync_bridge.enrich.enricher import Enricher
from dirsync_bridge.enrich.onprem import OnPremDirectory
from dirsync_bridge.models import Conflict
from dirsync_bridge.models.enrichment import Enrichment

VALUE = "SMTP:bob@contoso.com"
DN = "CN=Bob,OU=Staff,DC=contoso,DC=com"


def readable(**over: Any) -> dict[str, list[bytes]]:
    attrs = {
        "objectClass": [b"top", b"person", b"organizationalPerson", b"user"],
        "objectGUID": [uuid.uuid4().bytes_le],
        "whenCreated": [b"20190301080000.0Z"],
        "whenChanged": [b"20240301080000.0Z"],
        "userAccountControl": [b"512"],
    }
    attrs.update(over)
    return {k: v for k, v in attrs.items() if v is not None}


ANSWERS = {
    # the bind account may not read objectGUID / whenCreated on this object
    "entry-without-objectGUID": [
        {"type": "searchResEntry", "dn": DN, "raw_attributes": readable(objectGUID=None)}
    ],
    "entry-without-whenCreated": [
        {"type": "searchResEntry", "dn": DN, "raw_attributes": readable(whenCreated=None)}
    ],
    "entry-with-a-short-objectGUID": [
        {"type": "searchResEntry", "dn": DN, "raw_attributes": readable(objectGUID=[b"\x01"])}
    ],
    # the holder is in a child domain: the DC answers with a continuation reference only
    "referral-only": [
        {"type": "searchResRef", "uri": ["ldap://child.contoso.com/DC=child,DC=contoso,DC=com"]}
    ],
}


class FakeConnection:
    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.extend = SimpleNamespace(
            standard=SimpleNamespace(paged_search=lambda **kw: iter(entries))
        )


def answering(
    entries: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, **options: Any
) -> OnPremDirectory:
    """A directory whose searches answer ``entries`` (the connection to the DC faked)."""
    directory = OnPremDirectory(
        "ldaps://dc1.contoso.com:636",
        bind_dn="CN=svc,DC=contoso,DC=com",
        password="pw",
        **options,
    )
    monkeypatch.setattr(directory, "_connect", lambda: FakeConnection(entries))
    directory._search_base = "DC=contoso,DC=com"
    return directory


def enriched(directory: OnPremDirectory) -> Enrichment:
    """What the ticket of a duplicate ``VALUE`` says, looked up in ``directory`` alone."""
    return Enricher([directory]).enrich(
        "duplicate", "bob@contoso.com", (Conflict(attribute="ProxyAddresses", values=(VALUE,)),)
    )


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_a_holder_the_look_up_could_not_read_is_not_reported_as_no_holder(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = answering(ANSWERS[case], monkeypatch, base_dn="DC=contoso,DC=com")
    facts = enriched(directory)
    # observed: holders (), unavailable (), looked_up ("onprem",), advice no-holder-found
    assert facts.advice.code != "no-holder-found", facts
    assert facts.unavailable, "what could not be read is not named on the ticket"


def test_control_readable_entry_is_a_holder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake is faithful: a readable entry is found (this one passes)."""
    entries = [{"type": "searchResEntry", "dn": DN, "raw_attributes": readable()}]
    directory = answering(entries, monkeypatch)
    facts = enriched(directory)
    assert [h.dn for h in facts.holders] == [DN]


@pytest.mark.parametrize(
    "uri",
    [
        "ldaps://contoso.com/CN=Configuration,DC=contoso,DC=com",
        "ldap://contoso.com/DC=DomainDnsZones,DC=contoso,DC=com",
        "ldap://contoso.com/DC=ForestDnsZones,DC=contoso,DC=com",
    ],
)
def test_a_referral_to_a_partition_without_holders_is_not_partial(
    uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every domain-wide search on a DC refers to these: they hold no user, group or contact."""
    entries = [{"type": "searchResRef", "uri": [uri]}]
    directory = answering(entries, monkeypatch)
    facts = enriched(directory)
    assert facts.advice.code == "no-holder-found" and not facts.unavailable


def test_the_holders_read_are_kept_beside_the_one_that_was_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = "CN=Robert,OU=Staff,DC=contoso,DC=com"
    entries = [
        {"type": "searchResEntry", "dn": DN, "raw_attributes": readable()},
        {"type": "searchResEntry", "dn": other, "raw_attributes": readable(objectGUID=None)},
    ]
    directory = answering(entries, monkeypatch)
    assert [h.dn for h in directory.holders(VALUE)] == [DN]
    (why,) = directory.unavailable(VALUE)
    assert why.startswith("onprem: 1 holder(s) could not be read") and "objectGUID" in why
