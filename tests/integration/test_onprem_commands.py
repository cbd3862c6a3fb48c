"""The PowerShell a ticket offers for its on-premises holders (Samba): each command changes an
attribute that holds the conflicting value, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dirsync_bridge.enrich.advice import commands
from dirsync_bridge.enrich.onprem import OnPremDirectory
from dirsync_bridge.pipeline import replay

from ..directory.samba import ADMIN_DN, ADMIN_PASSWORD, BASE_DN, SambaDC, Seeded
from ..integration.test_enrich import ENV, config, descriptions, onprem_settings, report
from ..reportgen import duplicate

pytest_plugins = ["tests.directory.fixtures"]
AT = datetime(2024, 3, 4, 9, tzinfo=UTC)


def test_a_upn_conflict_never_offers_to_clear_the_holders_mail(
    tmp_path: Path, samba_dc: SambaDC, samba_seeded: Seeded
) -> None:
    """rev22: Pat's UPN is pat.upn@contoso.test, his mail pat@contoso.test. The report: the
    UPN pat.upn@contoso.test is already taken. The ticket offered `Set-ADUser ... -Clear mail`
    and `-Remove proxyAddresses smtp:pat.upn@...`: the first wiped an unrelated attribute,
    neither touched the UPN that holds the value."""
    mail = tmp_path / "mail"
    value = "pat.upn@contoso.test"
    report(mail, "r1", AT, [(value, duplicate("UserPrincipalName", value))])
    cfg = config(tmp_path / "state", onprem=onprem_settings(samba_dc))
    replay([mail], cfg, env=ENV)
    (text,) = descriptions(cfg)
    assert "CN=Pat Doe" in text, text  # the holder was found
    assert "-Clear mail" not in text, text
    assert "proxyAddresses=" not in text, text
    # Offered as a comment: pasting the block must not set the placeholder as the UPN.
    assert (
        f"# choose a new UPN, then: Set-ADUser -Identity '{samba_seeded.pat}' "
        "-UserPrincipalName '<choose a new UPN>'" in text
    ), text
    assert "\nSet-ADUser" not in text, text


def test_each_holder_is_offered_a_change_of_exactly_the_attributes_holding_the_value(
    samba_dc: SambaDC, samba_seeded: Seeded
) -> None:
    """john@contoso.test: John's UPN, mail and primary address; the Sales group's secondary
    smtp: address (its mail is sales@); a contact's mail. ANNA@CONTOSO.TEST in a proxy
    address matches anna@ case-insensitively and is removed as stored."""
    with OnPremDirectory(
        samba_dc.url,
        bind_dn=ADMIN_DN,
        password=ADMIN_PASSWORD,
        base_dn=BASE_DN,
        ca_bundle=samba_dc.ca_path,
    ) as onprem:
        john = {h.dn: h for h in onprem.holders("john@contoso.test")}
        anna = {h.dn: h for h in onprem.holders("anna@contoso.test")}
    s = samba_seeded
    assert john[s.john].held_in == ("userPrincipalName", "mail", "proxyAddresses")
    assert john[s.john].proxy_addresses == ("SMTP:john@contoso.test",)  # not sip:john@
    assert (john[s.sales].held_in, john[s.sales].proxy_addresses) == (
        ("proxyAddresses",),
        ("smtp:john@contoso.test",),
    )
    assert (john[s.john_contact].held_in, john[s.john_contact].proxy_addresses) == (("mail",), ())
    assert anna[s.anna_contact].proxy_addresses == ("smtp:ANNA@CONTOSO.TEST",)

    fixes = [line for line in commands(list(john.values()), None) if not line.startswith("#")]
    user, group, contact = (
        f"Set-ADUser -Identity '{s.john}'",
        f"Set-ADGroup -Identity '{s.sales}'",
        f"Set-ADObject -Identity '{s.john_contact}'",
    )
    assert sorted(fixes) == sorted(
        [
            f"{user} -Clear mail",
            f"{user} -Remove @{{proxyAddresses='SMTP:john@contoso.test'}}",
            f"{group} -Remove @{{proxyAddresses='smtp:john@contoso.test'}}",
            f"{contact} -Clear mail",
        ]
    )
    (contact_fix,) = [
        line for line in commands([anna[s.anna_contact]], None) if not line.startswith("#")
    ]
    assert contact_fix.endswith("-Remove @{proxyAddresses='smtp:ANNA@CONTOSO.TEST'}")
