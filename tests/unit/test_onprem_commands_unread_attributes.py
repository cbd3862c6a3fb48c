"""On-premises commands name the attributes the entry came without.

LDAP answers the same for an empty attribute and one the bind account may not read. A
holder whose ``mail`` was read but whose ``proxyAddresses`` was not (an ACL) had
``held_in == ("mail",)`` and a block offering only ``-Clear mail``, with no word that
``proxyAddresses`` may hold the value too: run as given, the conflict stayed.
"""

from __future__ import annotations

import uuid

from dirsync_bridge.enrich.advice import commands
from dirsync_bridge.enrich.ldap_filter import held_in
from dirsync_bridge.models.holders import OnPremHolder

DN = "CN=Ann,OU=Users,DC=contoso,DC=com"
USER = [b"top", b"person", b"organizationalPerson", b"user"]
GROUP = [b"top", b"group"]
FULL = {
    "userPrincipalName": [b"ann.upn@contoso.com"],
    "mail": [b"ann@contoso.com"],
    "proxyAddresses": [b"SMTP:ann@contoso.com", b"SIP:ann@contoso.com"],
}


def _entry(classes: list[bytes] = USER, **more: list[bytes]) -> dict[str, list[bytes]]:
    return {
        "objectClass": classes,
        "objectGUID": [uuid.UUID("11111111-2222-3333-4444-555555555555").bytes_le],
        "whenCreated": [b"20240101000000.0Z"],
        "whenChanged": [b"20240102000000.0Z"],
        **more,
    }


def _holder(value: str, raw: dict[str, list[bytes]], dn: str = DN) -> OnPremHolder:
    attrs, proxies = held_in(value, raw)
    return OnPremHolder.from_ldap(value, dn, raw, held_in=attrs, proxy_addresses=proxies)


def _notes(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("# not returned:")]


def test_unread_proxy_addresses_with_mail_read_are_named_beside_the_commands() -> None:
    raw = _entry(mail=[b"ann@contoso.com"])  # proxyAddresses: SMTP:ann@contoso.com, unreadable
    h = _holder("ann@contoso.com", raw)
    assert h.held_in == ("mail",)
    assert h.not_returned == ("userPrincipalName", "proxyAddresses")
    lines = commands([h], "bob@contoso.com")
    assert "Set-ADUser -Identity 'CN=Ann,OU=Users,DC=contoso,DC=com' -Clear mail" in lines
    (note,) = _notes(lines)
    assert "userPrincipalName, proxyAddresses" in note
    assert "unreadable to the bind account" in note


def test_an_entry_that_returned_all_three_gets_no_note() -> None:
    h = _holder("ann@contoso.com", _entry(**FULL))
    assert h.not_returned == ()
    assert _notes(commands([h], "bob@contoso.com")) == []


def test_a_group_is_not_said_to_lack_a_upn() -> None:
    # Groups and contacts have no userPrincipalName: its absence says nothing.
    h = _holder("ann@contoso.com", _entry(GROUP, mail=[b"ann@contoso.com"]))
    assert h.not_returned == ("proxyAddresses",)
    (note,) = _notes(commands([h], None))
    assert "userPrincipalName" not in note


def test_a_value_of_another_prefix_only_looks_at_proxy_addresses() -> None:
    # A SIP: or X500: value is matched against proxyAddresses alone (ldap_filter).
    h = _holder("SIP:ann@contoso.com", _entry(proxyAddresses=FULL["proxyAddresses"]))
    assert h.not_returned == ()
    assert _notes(commands([h], None)) == []


def test_nothing_read_still_asks_to_look_and_names_what_was_not_returned() -> None:
    h = _holder("ann@contoso.com", _entry())
    lines = commands([h], None)
    (note,) = _notes(lines)
    assert "userPrincipalName, mail, proxyAddresses" in note
    assert any(line.startswith("Get-ADObject") for line in lines)
    assert not any("-Clear" in line or "-Remove" in line for line in lines)


def test_the_comments_stay_one_line_each_whatever_the_dn() -> None:
    # A runnable line keeps the DN inside its quotes; a comment line must not break.
    dn = "CN=Ann\r\nSet-ADUser x -Clear mail\u2028',OU=Users,DC=contoso,DC=com"
    h = _holder("ann@contoso.com", _entry(mail=[b"ann@contoso.com"]), dn=dn)
    lines = commands([h], None)
    assert len(_notes(lines)) == 1
    for line in lines:
        if line.startswith("#"):
            assert "\n" not in line and "\r" not in line and "\u2028" not in line, line
