"""Advice and commands from plain facts; the cloud look-up filters; holders as details."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dirsync_bridge.enrich.advice import advise, commands, ps_quote
from dirsync_bridge.enrich.cloud import lookup_filter, lookup_url, odata_string
from dirsync_bridge.enrich.enricher import holder_labels, rule_hits, values_of
from dirsync_bridge.enrich.ldap_filter import held_in
from dirsync_bridge.enrich.rules import check
from dirsync_bridge.models import Conflict
from dirsync_bridge.models.enrichment import CloudHolder, Enrichment, holder_key
from dirsync_bridge.models.holders import OnPremHolder

AT = datetime(2024, 5, 1, tzinfo=UTC)


def cloud(state: str = "cloud-only", upn: str = "ann@contoso.com", **kw: object) -> CloudHolder:
    raw = {
        "id": "11111111-2222-3333-4444-555555555555",
        "displayName": "Ann",
        "userPrincipalName": upn,
        "onPremisesSyncEnabled": {"cloud-only": None, "synced": True, "formerly-synced": False}[
            state
        ],
        "onPremisesImmutableId": None if state == "cloud-only" else "AAAA",
        **kw,
    }
    return CloudHolder.from_graph("SMTP:ann@contoso.com", "user", raw)


def onprem(
    dn: str, value: str = "SMTP:ann@contoso.com", kind: str = "user", **kw: Any
) -> OnPremHolder:
    """A holder of ``value`` in its proxyAddresses, unless ``held_in`` says otherwise."""
    held: dict[str, Any] = {"held_in": ("proxyAddresses",), "proxy_addresses": (value,)}
    return OnPremHolder(
        value=value,
        object_type=kind,  # type: ignore[arg-type]
        dn=dn,
        immutable_id="x4V0iaeB60KXxjftcwd7Hw==",
        created=AT,
        object_guid="8a74c5c7-81a7-42eb-9718-dfb7307b071f",
        changed=AT,
        **(held | kw),
    )


@pytest.mark.parametrize(
    ("holders", "hits", "unavailable", "code"),
    [
        ([onprem("CN=Ann,DC=c"), onprem("CN=Ann2,DC=c")], [], [], "duplicate-onprem"),
        ([cloud("cloud-only", "other@contoso.com")], [], [], "cloud-only-holder"),
        ([cloud("synced", "other@contoso.com")], [], [], "synced-holder"),
        ([cloud("formerly-synced", "other@contoso.com")], [], [], "cloud-only-holder"),
        ([cloud("synced", "bob@contoso.com")], [], [], "no-holder-found"),  # only itself
        ([], [], [], "no-holder-found"),
        ([], [], ["cloud: HTTP 503"], "unknown"),
        ([], [check("proxyAddresses", "smtp:a b@contoso.com")], [], "invalid-value"),
    ],
)
def test_duplicate_advice_codes(holders: list, hits: list, unavailable: list, code: str) -> None:
    advice = advise("duplicate", "bob@contoso.com", holders, hits, unavailable)
    assert advice.code == code
    assert advice.summary and "\n" not in advice.summary


def test_without_any_look_up_finding_nothing_means_nothing() -> None:
    assert advise("duplicate", "a@b.c", [], [], [], searched=False).code == "unknown"


def test_validation_advice_names_the_rule_and_the_fix() -> None:
    hit = check("userPrincipalName", "jo hn@contoso.com")
    assert hit is not None
    advice = advise("validation", "jo hn@contoso.com", [], [hit], [])
    assert advice.code == "invalid-value"
    assert "Character" in advice.summary and "john@contoso.com" in advice.summary


def test_rules_read_dotted_attribute_names_and_identity_for_validation_errors() -> None:
    hits = rule_hits("validation", "jo hn@contoso.com", (), ("FederatedUser.UserPrincipalName",))
    assert [h.attribute for h in hits] == ["userPrincipalName"]


@pytest.mark.parametrize(
    "named",
    [(), ("None",), ("none",), ("UserPrincipalName",), ("onPremisesUserPrincipalName",)],
)
def test_the_upn_rules_judge_the_identity_when_the_upn_or_no_attribute_is_named(
    named: tuple[str, ...],
) -> None:
    """'[None], is not valid' names no attribute (format.md 3.1): the UPN fallback applies."""
    hits = rule_hits("validation", "o'brien@contoso.com", (), named)
    assert [h.attribute for h in hits] == ["userPrincipalName"], hits


@pytest.mark.parametrize(
    ("identity", "named"),
    [
        ("jo hn@contoso.com", "ProxyAddresses"),
        ("averylongname@contoso.com", "SamAccountName"),
        ("jo hn@contoso.com", "Mail"),
        ("jo hn@contoso.com", "certificateUserIds"),
    ],
)
def test_another_named_attribute_claims_no_rule_hit_on_the_upn(identity: str, named: str) -> None:
    """The message does not give that attribute's bad value: the UPN is not judged as one."""
    assert rule_hits("validation", identity, (), (named,)) == []


def test_federated_domain_change_advice_is_true_to_its_kind() -> None:
    advice = advise(
        "validation", "bob@fabrikam.com", [], [], [], kinds=("FederatedDomainChangeError",)
    )
    assert "No rule explains" not in advice.summary
    assert "onmicrosoft.com" in advice.summary and "federated" in advice.summary


def test_a_cloud_only_holder_of_another_object_type_is_not_hard_matched() -> None:
    """ObjectTypeMismatch: a user, a group, a contact cannot be joined into one object."""
    group = CloudHolder.from_graph(
        "smtp:tax@contoso.com",
        "group",
        {"id": "g1", "displayName": "Tax", "onPremisesSyncEnabled": None},
    )
    advice = advise("duplicate", "tax@contoso.com", [group], [], [], kinds=("ObjectTypeMismatch",))
    assert advice.code == "cloud-only-holder"
    assert "hard match" not in advice.summary and "another object type" in advice.summary


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("plain", "'plain'"),
        ("o'brien", "'o''brien'"),
        ("o\u2019brien", "'o\u2019\u2019brien'"),  # PowerShell ends a string at a curly quote
        ("$(rm -rf /); `x`", "'$(rm -rf /); `x`'"),  # nothing else is special in '...'
    ],
)
def test_powershell_quoting(value: str, quoted: str) -> None:
    assert ps_quote(value) == quoted


def test_commands_inspect_cloud_holders_and_fix_onprem_ones_with_every_value_quoted() -> None:
    holders = [cloud(), onprem("CN=O'Brien,OU=Staff,DC=c")]
    lines = commands(holders, "bob@contoso.com")
    text = "\n".join(lines)
    assert "Get-MgUser -UserId '11111111-2222-3333-4444-555555555555'" in text
    assert "Update-MgUser -UserId '11111111-2222-3333-4444-555555555555' " in text
    assert "-OnPremisesImmutableId 'x4V0iaeB60KXxjftcwd7Hw=='" in text  # hard match
    assert (
        "Set-ADUser -Identity 'CN=O''Brien,OU=Staff,DC=c' "
        "-Remove @{proxyAddresses='SMTP:ann@contoso.com'}" in text
    )


def test_onprem_commands_change_only_the_attributes_that_hold_the_value() -> None:
    """rev22: a UPN conflict offered `-Clear mail` and a proxy address removal, neither of
    which held the value; what holds it is now read, and only that is changed."""
    dn = "CN=Pat,DC=c"
    upn = onprem(dn, "pat.upn@contoso.com", held_in=("userPrincipalName",), proxy_addresses=())
    # A comment: pasting the whole block never sets the placeholder as the UPN.
    assert commands([upn], None)[1:] == [
        "# choose a new UPN, then: Set-ADUser -Identity 'CN=Pat,DC=c' "
        "-UserPrincipalName '<choose a new UPN>'"
    ]
    group = onprem(dn, "a@c", "group", held_in=("mail", "proxyAddresses"),
                   proxy_addresses=("smtp:A@C",))  # fmt: skip
    assert commands([group], None)[1:] == [
        "Set-ADGroup -Identity 'CN=Pat,DC=c' -Clear mail",
        "Set-ADGroup -Identity 'CN=Pat,DC=c' -Remove @{proxyAddresses='smtp:A@C'}",
    ]
    # Not known which attribute (an older record, an unreadable one): look, change nothing.
    unknown = commands([onprem(dn, held_in=(), proxy_addresses=())], None)
    assert not any(line.startswith("Set-AD") for line in unknown), unknown
    assert unknown[-1] == (
        "Get-ADObject -Identity 'CN=Pat,DC=c' -Properties "
        "userPrincipalName,mail,proxyAddresses | Format-List"
    )


@pytest.mark.parametrize(
    ("value", "held", "proxies"),
    [
        ("pat.upn@c.test", ("userPrincipalName",), ()),
        ("PAT@C.TEST", ("mail", "proxyAddresses"), ("SMTP:pat@c.test",)),
        ("smtp:pat@c.test", ("mail", "proxyAddresses"), ("SMTP:pat@c.test",)),
        ("SIP:pat@c.test", ("proxyAddresses",), ("sip:Pat@c.test",)),  # not the mail
        ("X500:/o=x", (), ()),
        ("", (), ()),
    ],
)
def test_held_in_reads_which_attributes_hold_a_value(
    value: str, held: tuple[str, ...], proxies: tuple[str, ...]
) -> None:
    entry = {
        "userPrincipalName": [b"pat.upn@c.test"],
        "MAIL": [b"pat@c.test"],
        "proxyAddresses": [b"SMTP:pat@c.test", b"sip:Pat@c.test", b"smtp:other@c.test"],
    }
    assert held_in(value, entry) == (held, proxies)
    assert held_in(value, {}) == ((), ())  # nothing readable: nothing claimed


def test_placeholder_upn_and_sync_states_from_graph() -> None:
    assert cloud(upn="ann4821@contoso.onmicrosoft.com").placeholder_upn
    assert not cloud(upn="ann@contoso.onmicrosoft.com").placeholder_upn
    assert [cloud(s).sync_state for s in ("cloud-only", "synced", "formerly-synced")] == [
        "cloud-only",
        "synced",
        "formerly-synced",
    ]


def test_lookup_filters_cover_both_prefix_forms_and_quote_values() -> None:
    text = lookup_filter("user", "SMTP:o'neil@contoso.com")
    assert text == (
        "userPrincipalName eq 'o''neil@contoso.com' or "
        "proxyAddresses/any(x:x eq 'SMTP:o''neil@contoso.com') or "
        "proxyAddresses/any(x:x eq 'smtp:o''neil@contoso.com') or mail eq 'o''neil@contoso.com'"
    )
    assert "userPrincipalName" not in lookup_filter("group", "a@b.c")
    assert lookup_filter("contact", "SIP:a@b.c") == "proxyAddresses/any(x:x eq 'SIP:a@b.c')"
    assert odata_string("it's") == "'it''s'"
    assert " " not in lookup_url("user", "a b@c.d")


def test_values_to_look_up() -> None:
    conflicts = (Conflict(attribute="ProxyAddresses", values=("SMTP:a@b.c", "smtp:x@b.c")),)
    assert values_of("duplicate", "a@b.c", conflicts) == ["SMTP:a@b.c", "smtp:x@b.c"]
    empty = (Conflict(attribute="ProxyAddresses", values=()),)
    assert values_of("duplicate", "a@b.c", empty) == ["a@b.c"]  # a bare legacy row
    assert values_of("validation", "a@b.c", ()) == []


def test_holders_become_details_only_when_every_look_up_answered() -> None:
    advice = advise("duplicate", None, [], [], [])
    found = Enrichment(
        holders=(cloud(), onprem("CN=A,DC=c")), advice=advice, looked_up=("cloud", "onprem")
    )
    assert holder_labels(found) == (
        "cloud user ann@contoso.com (cloud-only)",
        "on-premises user CN=A,DC=c",
    )
    assert holder_labels(Enrichment(advice=advice, unavailable=("onprem: down",))) is None
    assert holder_labels(None) is None
    assert holder_key(onprem("CN=A,DC=c")) == "on-premises user CN=A,DC=c"


def test_a_row_naming_no_value_is_not_called_cleared() -> None:
    from dirsync_bridge.config.settings import GraphSettings
    from dirsync_bridge.enrich.cloud import CloudDirectory
    from dirsync_bridge.enrich.enricher import Enricher
    from dirsync_bridge.graph.client import GraphClient

    # A directory is configured, but a bare duplicate row with no identity names no value:
    # nothing is looked up (nothing is sent), so nothing may be claimed about holders.
    graph = GraphClient(GraphSettings(tenant_id="t", client_id="c"), "secret")
    enricher = Enricher([CloudDirectory(graph)])
    facts = enricher.enrich("duplicate", None, (Conflict(attribute="ProxyAddresses", values=()),))
    assert facts.advice.code == "unknown" and "names no value" in facts.advice.summary
    assert facts.looked_up == () and facts.unavailable == ()
    assert holder_labels(facts) is None  # not "nobody holds it": unknown, no change
    graph.close()


def test_without_a_directory_the_rules_still_speak_and_holders_stay_unknown() -> None:
    from dirsync_bridge.enrich.enricher import Enricher

    facts = Enricher().enrich("validation", "jo hn@contoso.com", (), ("userPrincipalName",))
    assert [h.attribute for h in facts.rule_hits] == ["userPrincipalName"]
    assert facts.advice.code == "invalid-value"
    assert facts.looked_up == () and holder_labels(facts) is None
