"""OnPremDirectory against a real Samba AD DC: who holds a value, and how failures surface."""

from __future__ import annotations

import base64
import json
import re
import ssl
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from dirsync_bridge.enrich import onprem as onprem_module
from dirsync_bridge.enrich.ldap_filter import holder_filter
from dirsync_bridge.enrich.onprem import OnPremDirectory
from dirsync_bridge.errors import ConfigError, Fatal, Retriable
from dirsync_bridge.models.holders import OnPremHolder, generalized_time, immutable_id
from tests.directory.samba import (
    ADMIN_DN,
    ADMIN_PASSWORD,
    BASE_DN,
    BULK_COUNT,
    SambaDC,
    Seeded,
    free_loopback,
)

# The Samba fixtures (samba_dc, samba_seeded, spare_dc...). Registering the module here, not
# in a conftest, keeps the suite's other tests free of it; pytest loads it once either way.
pytest_plugins = ["tests.directory.fixtures"]

SYSTEM_BUNDLE = Path(ssl.get_default_verify_paths().openssl_cafile)


def directory(dc: SambaDC, **options: Any) -> OnPremDirectory:
    """A directory bound as Administrator to ``dc``, trusting its CA unless told otherwise."""
    settings: dict[str, Any] = {
        "bind_dn": ADMIN_DN,
        "password": ADMIN_PASSWORD,
        "base_dn": BASE_DN,
        "ca_bundle": dc.ca_path,
    }
    settings.update(options)
    return OnPremDirectory(settings.pop("url", dc.url), **settings)


@pytest.fixture
def onprem(samba_dc: SambaDC, samba_seeded: Seeded) -> Iterator[OnPremDirectory]:
    """A directory on the seeded session DC, closed after the test."""
    with directory(samba_dc) as found:
        yield found


def dns(holders: list[OnPremHolder]) -> list[str]:
    return [h.dn for h in holders]


def johns(seeded: Seeded) -> set[str]:
    """Who holds john@contoso.test: John (UPN, mail, SMTP:), Sales (smtp:), a contact (mail)."""
    return {seeded.john, seeded.sales, seeded.john_contact}


# Who holds a value ---------------------------------------------------------------------------


def test_shared_proxy_address_finds_every_holder_across_types(
    onprem: OnPremDirectory, samba_seeded: Seeded
) -> None:
    holders = onprem.holders("SMTP:john@contoso.test")
    assert dns(holders) == sorted(johns(samba_seeded), key=str.casefold)
    assert {h.dn: h.object_type for h in holders} == {
        samba_seeded.john: "user",
        samba_seeded.sales: "group",
        samba_seeded.john_contact: "contact",
    }
    assert {h.value for h in holders} == {"SMTP:john@contoso.test"}


@pytest.mark.parametrize(
    "value",
    [
        "smtp:john@contoso.test",
        "SMTP:JOHN@CONTOSO.TEST",
        "sMtP:John@Contoso.Test",
        "john@contoso.test",
    ],
)
def test_prefix_and_address_case_do_not_matter(
    onprem: OnPremDirectory, samba_seeded: Seeded, value: str
) -> None:
    holders = onprem.holders(value)
    assert set(dns(holders)) == johns(samba_seeded)
    assert all(h.value == value for h in holders)


def test_secondary_address_in_other_case_is_found_from_a_bare_address(
    onprem: OnPremDirectory, samba_seeded: Seeded
) -> None:
    # Anna's contact holds "smtp:ANNA@CONTOSO.TEST"; Anna herself "SMTP:anna@...".
    expected = {samba_seeded.anna, samba_seeded.anna_contact}
    assert set(dns(onprem.holders("anna@contoso.test"))) == expected


def test_mail_alone_makes_a_holder(onprem: OnPremDirectory, samba_seeded: Seeded) -> None:
    assert dns(onprem.holders("pat@contoso.test")) == [samba_seeded.pat]


def test_user_principal_name_alone_makes_a_holder(
    onprem: OnPremDirectory, samba_seeded: Seeded
) -> None:
    assert dns(onprem.holders("pat.upn@contoso.test")) == [samba_seeded.pat]
    # A UPN is not a proxy address: the SMTP form of it is still found through the UPN.
    assert dns(onprem.holders("SMTP:pat.upn@contoso.test")) == [samba_seeded.pat]


def test_value_nobody_holds_gives_no_holders(onprem: OnPremDirectory) -> None:
    assert onprem.holders("SMTP:nobody@contoso.test") == []
    assert onprem.holders("") == []
    assert onprem.holders("smtp:") == []


@pytest.mark.parametrize("base_dn", [BASE_DN, ""], ids=["base-dn", "default-naming-context"])
def test_a_whole_domain_search_is_not_partial_for_the_configuration_referral(
    samba_dc: SambaDC, samba_seeded: Seeded, base_dn: str
) -> None:
    """A DC answers every domain-wide search with a referral to CN=Configuration (Samba
    does, as AD does): a partition without users, groups or contacts, so not a look-up
    that missed a holder (enrich/onprem_partial.py)."""
    with directory(samba_dc, base_dn=base_dn) as found:
        assert set(dns(found.holders("john@contoso.test"))) == johns(samba_seeded)
        assert found.unavailable("john@contoso.test") == []
        assert found.holders("nobody@contoso.test") == []
        assert found.unavailable("nobody@contoso.test") == []


def test_computers_are_not_holders(onprem: OnPremDirectory) -> None:
    assert onprem.holders("kiosk@contoso.test") == []


def test_other_proxy_prefixes_match_only_proxy_addresses(
    onprem: OnPremDirectory, samba_seeded: Seeded
) -> None:
    # John holds "sip:john@..."; the group and the contact hold john@ only as SMTP or mail.
    assert dns(onprem.holders("SIP:john@contoso.test")) == [samba_seeded.john]
    assert onprem.holders("SIP:pat@contoso.test") == []  # Pat's mail is not a SIP address


HOSTILE = [
    "*", "smtp:*", "*)(cn=*", "SMTP:*)(objectClass=*", "john@contoso.test)(|(mail=*",
    "john@contoso.test*", "(", ")", "\\", "\\2a", "\x00", "st*r(x)\\y", "smtp:st*r(x)*",
]  # fmt: skip


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_filter_values_match_nothing_and_do_not_fail(
    onprem: OnPremDirectory, value: str
) -> None:
    assert onprem.holders(value) == []


def test_filter_metacharacters_are_matched_literally(
    onprem: OnPremDirectory, samba_seeded: Seeded
) -> None:
    assert dns(onprem.holders("SMTP:st*r(x)\\y@contoso.test")) == [samba_seeded.starry]


def test_paged_search_returns_every_one_of_more_than_a_thousand_holders(
    samba_dc: SambaDC, samba_seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = 0
    search = onprem_module.Connection.search

    def counting(self: onprem_module.Connection, *args: Any, **kwargs: Any) -> Any:
        nonlocal pages
        pages += 1
        return search(self, *args, **kwargs)

    monkeypatch.setattr(onprem_module.Connection, "search", counting)
    began = time.monotonic()
    with directory(samba_dc, page_size=400) as onprem:
        holders = onprem.holders(samba_seeded.bulk_value.upper())
    took = time.monotonic() - began
    assert len(holders) == BULK_COUNT > 1_000
    assert set(dns(holders)) == samba_seeded.bulk_dns
    assert pages == 3  # 400 + 400 + 300
    assert took < 10, f"{BULK_COUNT} holders took {took:.1f}s"


# What a holder says --------------------------------------------------------------------------


def _guid_from_samba_tool(dc: SambaDC, kind: str, name: str) -> uuid.UUID:
    shown = dc.samba_tool(kind, "show", name, "--attributes=objectGUID")
    found = re.search(r"^objectGUID: (\S+)$", shown, re.M)
    assert found, shown
    return uuid.UUID(found.group(1))


@pytest.mark.parametrize(
    ("kind", "name", "dn_of"), [("user", "jsmith", "john"), ("group", "Sales", "sales")]
)
def test_immutable_id_is_base64_of_object_guid_little_endian_bytes(
    onprem: OnPremDirectory, samba_dc: SambaDC, samba_seeded: Seeded, kind: str, name: str,
    dn_of: str,
) -> None:  # fmt: skip
    guid = _guid_from_samba_tool(samba_dc, kind, name)  # read without ldap3 or our code
    (holder,) = [
        h for h in onprem.holders("john@contoso.test") if h.dn == getattr(samba_seeded, dn_of)
    ]
    assert holder.object_guid == str(guid)
    assert holder.immutable_id == base64.b64encode(guid.bytes_le).decode()
    assert base64.b64decode(holder.immutable_id) != guid.bytes  # the byte order matters


def test_consistency_guid_wins_over_object_guid(
    onprem: OnPremDirectory, samba_dc: SambaDC, samba_seeded: Seeded
) -> None:
    (mike,) = onprem.holders("mike@contoso.test")
    guid = _guid_from_samba_tool(samba_dc, "user", "mike")
    assert mike.object_guid == str(guid)
    assert mike.immutable_id == base64.b64encode(samba_seeded.consistency_guid).decode()
    assert mike.immutable_id != base64.b64encode(guid.bytes_le).decode()


def test_disabled_is_set_for_users_only(onprem: OnPremDirectory, samba_seeded: Seeded) -> None:
    anna = {h.dn: h.disabled for h in onprem.holders("anna@contoso.test")}
    assert anna == {samba_seeded.anna: True, samba_seeded.anna_contact: None}
    john = {h.dn: h.disabled for h in onprem.holders("john@contoso.test")}
    assert john == {dn: (False if dn == samba_seeded.john else None) for dn in johns(samba_seeded)}


def test_holder_json_is_the_design_entry_for_onprem(
    onprem: OnPremDirectory, samba_seeded: Seeded
) -> None:
    (mike,) = onprem.holders("SMTP:mike@contoso.test")
    data = json.loads(mike.model_dump_json())
    # design.md section 2's keys first, in its order; then the extras it is silent on.
    assert list(data) == [
        "where", "value", "object_type", "dn", "immutable_id", "created",
        "object_guid", "changed", "disabled", "held_in", "proxy_addresses", "not_returned",
    ]  # fmt: skip
    assert data["where"] == "onprem"
    assert data["value"] == "SMTP:mike@contoso.test"
    assert data["dn"] == samba_seeded.mike
    assert data["disabled"] is True
    for key in ("created", "changed"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data[key]), data[key]
        when = datetime.strptime(data[key], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs(datetime.now(UTC) - when) < timedelta(hours=1)
    assert OnPremHolder.model_validate(data) == mike


# Where to search -----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["starttls", "global-catalog", "naming-context-from-rootdse"])
def test_starttls_global_catalog_and_empty_base_find_the_same_holders(
    samba_dc: SambaDC, samba_seeded: Seeded, how: str
) -> None:
    options: dict[str, Any] = {
        "starttls": {"url": samba_dc.starttls_url},
        "global-catalog": {"url": samba_dc.gc_url, "base_dn": ""},
        "naming-context-from-rootdse": {"base_dn": ""},
    }[how]
    with directory(samba_dc, **options) as onprem:
        assert set(dns(onprem.holders("SMTP:john@contoso.test"))) == johns(samba_seeded)


def test_one_connection_serves_every_lookup(onprem: OnPremDirectory) -> None:
    onprem.holders("john@contoso.test")
    first = onprem._connection
    onprem.holders("anna@contoso.test")
    assert first is not None and onprem._connection is first
    onprem.close()
    onprem.close()  # twice is fine
    assert onprem._connection is None


# Trust ---------------------------------------------------------------------------------------


@pytest.fixture
def foreign_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CA variable a machine may set, pointing at a bundle without the test CA."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(SYSTEM_BUNDLE))


def test_configured_ca_bundle_wins_over_ca_environment_variables(
    samba_dc: SambaDC, samba_seeded: Seeded, foreign_environment: None
) -> None:
    with directory(samba_dc) as onprem:
        assert dns(onprem.holders("pat@contoso.test")) == [samba_seeded.pat]


def test_wrong_ca_is_a_configuration_error_naming_ca_bundle(
    samba_dc: SambaDC, tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with directory(samba_dc, ca_bundle=other) as onprem, pytest.raises(ConfigError) as caught:
        onprem.holders("john@contoso.test")
    assert caught.value.key == "enrich.onprem.ca_bundle"
    assert "not trusted" in str(caught.value) and str(other) in str(caught.value)


def test_without_ca_bundle_the_system_store_is_used_and_names_the_fix(
    samba_dc: SambaDC, foreign_environment: None
) -> None:
    with directory(samba_dc, ca_bundle=None) as onprem, pytest.raises(ConfigError) as caught:
        onprem.holders("john@contoso.test")
    assert caught.value.key == "enrich.onprem.ca_bundle"
    assert "system CA store" in str(caught.value)


def test_certificate_for_another_name_is_a_configuration_error_naming_url(
    samba_template: Path, samba_ca: trustme.CA, tmp_path: Path
) -> None:
    dc = SambaDC.launch(samba_template, tmp_path, samba_ca, names=("dc1.contoso.test",))
    try:
        with directory(dc) as onprem, pytest.raises(ConfigError) as caught:
            onprem.holders("john@contoso.test")
    finally:
        dc.release(remove=True)
    assert caught.value.key == "enrich.onprem.url"
    assert "does not name" in str(caught.value)


def test_unreadable_ca_bundle_is_a_configuration_error(samba_dc: SambaDC, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"enrich\.onprem\.ca_bundle: .*missing\.pem"):
        directory(samba_dc, ca_bundle=tmp_path / "missing.pem")


# Credentials and configuration ---------------------------------------------------------------


def test_wrong_password_is_a_configuration_error_that_never_shows_the_password(
    samba_dc: SambaDC,
) -> None:
    wrong = "Not-The-Passw0rd"
    with directory(samba_dc, password=wrong, password_env="AD_PW") as onprem:
        with pytest.raises(ConfigError) as caught:
            onprem.holders("john@contoso.test")
        assert wrong not in repr(onprem)
    message = str(caught.value)
    assert isinstance(caught.value, Fatal) and caught.value.key == "enrich.onprem.bind_dn"
    assert "invalid credentials" in message and "$AD_PW" in message
    assert wrong not in message and ADMIN_PASSWORD not in message


def test_empty_password_is_refused_before_any_unauthenticated_bind(samba_dc: SambaDC) -> None:
    with pytest.raises(ConfigError, match=r"password_env: \$DIRSYNC_LDAP_PASSWORD is empty"):
        directory(samba_dc, password="")


def test_missing_base_dn_is_a_configuration_error(samba_dc: SambaDC) -> None:
    nowhere = "OU=Nowhere,DC=contoso,DC=test"
    with directory(samba_dc, base_dn=nowhere) as onprem, pytest.raises(ConfigError) as caught:
        onprem.holders("john@contoso.test")
    assert caught.value.key == "enrich.onprem.base_dn"


@pytest.mark.parametrize(
    "url", ["https://dc1.contoso.test", "ldaps://", "dc1.contoso.test", "ldaps://h:99999"]
)
def test_bad_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigError, match=r"enrich\.onprem\.url"):
        OnPremDirectory(url, bind_dn=ADMIN_DN, password="x")


# The DC going away ---------------------------------------------------------------------------


def test_dc_down_from_the_start_is_retriable(samba_dc: SambaDC) -> None:
    nobody = free_loopback({samba_dc.address})  # nothing listens there
    with directory(samba_dc, url=f"ldaps://{nobody}") as onprem, pytest.raises(Retriable) as caught:
        onprem.holders("john@contoso.test")
    assert "reachable" in str(caught.value) and nobody in str(caught.value)


def test_dc_stopped_mid_run_is_retriable_and_the_next_lookup_reconnects(spare_dc: SambaDC) -> None:
    with directory(spare_dc) as onprem:
        assert onprem.holders("SMTP:nobody@contoso.test") == []  # connected and bound
        spare_dc.stop()
        with pytest.raises(Retriable, match="the next run retries"):
            onprem.holders("SMTP:nobody@contoso.test")
        with pytest.raises(Retriable, match="connect failed"):
            onprem.holders("SMTP:nobody@contoso.test")
        spare_dc.start()
        assert onprem.holders("SMTP:nobody@contoso.test") == []


def test_dc_that_stops_answering_times_out_as_retriable(spare_dc: SambaDC) -> None:
    with directory(spare_dc, timeout=1) as onprem:
        assert onprem.holders("SMTP:nobody@contoso.test") == []
        spare_dc.freeze()
        began = time.monotonic()
        with pytest.raises(Retriable, match=r"no answer within 1s"):
            onprem.holders("SMTP:nobody@contoso.test")
        assert time.monotonic() - began < 5
        with pytest.raises(Retriable, match=r"no answer within 1s"):  # a new connection, too
            onprem.holders("SMTP:nobody@contoso.test")
    spare_dc.thaw()


# Pure parts ----------------------------------------------------------------------------------


def test_filter_for_an_smtp_value_asks_upn_mail_and_both_prefix_spellings() -> None:
    expected = (
        "(&(|(objectClass=user)(objectClass=group)(objectClass=contact))(!(objectClass=computer))"
        "(|(userPrincipalName=a\\2a@x)(mail=a\\2a@x)"
        "(proxyAddresses=smtp:a\\2a@x)(proxyAddresses=SMTP:a\\2a@x)))"
    )
    assert holder_filter("SMTP:a*@x") == expected
    assert holder_filter("a*@x") == expected
    assert holder_filter("  ") is None


def test_generalized_time_with_fraction_and_offset() -> None:
    assert generalized_time("20190301080000.0Z") == datetime(2019, 3, 1, 8, tzinfo=UTC)
    assert generalized_time("20190301100000+0200") == datetime(2019, 3, 1, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="GeneralizedTime"):
        generalized_time("2019-03-01")


def test_entry_without_a_required_attribute_is_refused_naming_it() -> None:
    attributes = {"objectClass": [b"top", b"contact"], "objectGUID": [bytes(16)]}
    with pytest.raises(ValueError, match=r"^CN=X,DC=c: the directory returned no whenCreated"):
        OnPremHolder.from_ldap("v", "CN=X,DC=c", attributes)


def test_immutable_id_of_a_known_guid() -> None:
    # format.md 5.4's sample ImmutableId, and the objectGUID it is the little-endian bytes of
    # (.NET: [Convert]::ToBase64String([Guid]"c082dd0f-...".ToByteArray())).
    guid = uuid.UUID("c082dd0f-36d7-4c9d-85fe-1920fc7dc8d2")
    assert immutable_id(guid.bytes_le) == "D92CwNc2nUyF/hkg/H3I0g=="
    assert immutable_id(guid.bytes_le, b"") == "D92CwNc2nUyF/hkg/H3I0g=="  # empty anchor: GUID
