"""``[tenants]``: one canonical name per tenant, and a tenant for the inputs that name none."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config, load_config
from dirsync_bridge.errors import ConfigError, ConfigErrors
from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.detect import read_input
from dirsync_bridge.parse.message import ParseSettings
from dirsync_bridge.parse.parsed_report import ParsedReport
from dirsync_bridge.parse.tenants import TenantRules
from dirsync_bridge.parse.trust import TrustPolicy
from dirsync_bridge.problem import sightings

from ..reportgen import duplicate, report_email

RULES = TenantRules(
    default="contoso.onmicrosoft.com",
    aliases={"Contoso": ("Contoso Ltd.", "3f6b2e0c-guid", "contoso.onmicrosoft.com")},
)
AT = datetime(2020, 5, 1, 6, 0, tzinfo=UTC)


def email(tenant: str) -> bytes:
    return report_email(tenant, AT, [("ann@contoso.com", duplicate("Mail", "a@b"))], "m@x")


def read(raw: bytes, rules: TenantRules) -> Report | Rejected:
    result = read_input(raw, "x", TrustPolicy(), ParseSettings(), rules)
    return result.report() if isinstance(result, ParsedReport) else result


def test_every_alias_names_the_canonical_tenant_case_and_space_blind() -> None:
    for name in ("Contoso Ltd.", "contoso  LTD.", "3F6B2E0C-GUID", "Contoso", "contoso"):
        assert RULES.canonical(name) == "Contoso", name
    assert RULES.canonical("Fabrikam, Inc.") == "Fabrikam, Inc."  # no alias: as it was
    assert RULES.canonical(None) is None


def test_without_an_alias_an_emails_fingerprints_do_not_change() -> None:
    before = read(email("Contoso Ltd."), TenantRules())
    assert isinstance(before, Report) and before.tenant == "Contoso Ltd."
    unrelated = read(email("Contoso Ltd."), TenantRules(aliases={"Fabrikam": ("Fab",)}))
    assert unrelated == before
    assert [s.problem.fingerprint for s in sightings(unrelated, "k")] == [
        s.problem.fingerprint for s in sightings(before, "k")
    ]


def test_an_alias_files_an_email_under_the_canonical_tenant() -> None:
    old_name = read(email("Contoso Ltd."), RULES)
    new_name = read(email("Contoso"), RULES)
    assert isinstance(old_name, Report) and isinstance(new_name, Report)
    assert old_name.tenant == new_name.tenant == "Contoso"
    assert sightings(old_name, "k")[0].problem == sightings(new_name, "k")[0].problem


def test_an_email_that_names_no_tenant_keeps_none_even_with_a_default() -> None:
    report = Report(source="x", tenant=None, source_kind="email")
    assert RULES.apply(report) == report


def test_an_export_takes_the_default_through_the_aliases_or_is_refused() -> None:
    export = Report(source="x.xml", tenant=None, source_kind="csexport")
    applied = RULES.apply(export)
    assert isinstance(applied, Report) and applied.tenant == "Contoso"
    assert RULES.with_default("Fabrikam").apply(export).tenant == "Fabrikam"  # type: ignore[union-attr]
    refused = TenantRules().apply(export.model_copy(update={"source_kind": "eventlog"}))
    assert isinstance(refused, Rejected)
    assert refused.code == "no-tenant" and refused.source_kind == "eventlog"
    assert "--tenant" in refused.reason and "\n" not in refused.reason


def test_a_name_listed_for_two_tenants_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[tenants]\naliases = { "Contoso" = ["Shared"], "Fabrikam" = ["shared"] }\n',
        encoding="utf-8",
    )
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_config(path)
    assert "tenants" in str(caught.value) and "listed for both" in str(caught.value)


def test_tenants_section_reads_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[tenants]\ndefault = "Contoso"\naliases = { "Contoso" = ["Contoso Ltd."] }\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.tenants == TenantRules(default="Contoso", aliases={"Contoso": ("Contoso Ltd.",)})
    assert Config().tenants == TenantRules()


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('[tenants.aliases]\n"A" = [""]\n', "tenants"),
        ('[tenants.aliases]\n"A" = ["  "]\n', "tenants"),
        ('[tenants.aliases]\n"\u00a0" = ["x"]\n', "tenants"),
        ('[tenants]\ndefault = "\u3000"\n', "tenants.default"),
    ],
)
def test_an_empty_alias_name_or_target_is_a_configuration_error_naming_key_and_file(
    tmp_path: Path, body: str, key: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message and key in message and "empty" in message
    assert len(message.splitlines()) == 1, message


@pytest.mark.parametrize("name", ["", "  ", "\t", "\u00a0", "\u3000"])
def test_a_blank_tenant_given_as_the_default_is_refused(name: str) -> None:
    # with_default is model_copy, which validates nothing: it checks for itself.
    with pytest.raises(ValueError, match="is empty"):
        TenantRules().with_default(name)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Contos\u00f6", "Contoso\u0308"),  # composed, decomposed
        ("Contoso", "\uff23\uff4f\uff4e\uff54\uff4f\uff53\uff4f"),  # full-width
        ("Stra\u00dfe GmbH", "STRASSE GMBH"),  # case-folded
        ("Contoso", " contoso\u00a0"),
    ],
)
def test_spellings_of_one_tenant_are_one_tenant(one: str, other: str) -> None:
    from dirsync_bridge.fingerprint import tenant_normal

    report = Report(source="x.xml", tenant=None, source_kind="csexport")
    a = TenantRules().with_default(one).apply(report)
    b = TenantRules().with_default(other).apply(report)
    assert isinstance(a, Report) and isinstance(b, Report)
    assert sightings(a, "k") == [] and tenant_normal(a.tenant) == tenant_normal(b.tenant)
    aliased = TenantRules(aliases={"Canonical": (one,)})
    assert aliased.canonical(other) == "Canonical"


def test_a_name_no_alias_lists_is_shown_in_its_nfkc_form_whitespace_collapsed() -> None:
    assert TenantRules().canonical("  \uff23\uff4f\uff4e\uff54\uff4f\uff53\uff4f  Ltd.") == (
        "Contoso Ltd."
    )
    assert TenantRules().canonical("Contoso\u0308") == "Contos\u00f6"
    assert TenantRules().canonical(" \u00a0") is None


def test_a_graph_scan_with_no_organization_name_takes_the_default_or_is_refused() -> None:
    scan = Report(source="graph", tenant=None, source_kind="graph-provisioning")
    filed = RULES.apply(scan)
    assert isinstance(filed, Report) and filed.tenant == "Contoso"
    refused = TenantRules().apply(scan)
    assert isinstance(refused, Rejected) and refused.code == "no-tenant"
    assert "[tenants] default" in refused.reason and "--tenant" not in refused.reason


@pytest.mark.parametrize("name", ["\u200b", "\u202e", " \u200b\u2066 \u200d", "\ufeff"])
def test_a_name_of_format_characters_only_is_blank(name: str) -> None:
    """Zero-width or bidi-control-only names look empty: refused like an empty one."""
    with pytest.raises(ValueError, match="is empty"):
        TenantRules().with_default(name)
    with pytest.raises(ValueError, match="empty"):
        TenantRules(aliases={"Contoso": (name,)})
    assert TenantRules().canonical(name) is None


def test_a_blank_by_format_characters_default_in_the_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[tenants]\ndefault = "\u200b"\n', encoding="utf-8")
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_config(path)
    message = str(caught.value)
    assert "tenants.default" in message and "empty" in message
    assert len(message.splitlines()) == 1, message


def test_bidi_overrides_are_stripped_from_a_tenants_name() -> None:
    """ "\u202eContoso" displays reversed but is Contoso: the same tenant, shown plainly."""
    assert TenantRules().canonical("\u202eContoso\u202c") == "Contoso"
    assert TenantRules().canonical("\u2067Contoso Ltd.\u2069") == "Contoso Ltd."
    assert RULES.canonical("\u202dContoso Ltd.\u202c") == "Contoso"
    report = Report(source="x.xml", tenant=None, source_kind="csexport")
    filed = TenantRules().with_default("\u202eContoso").apply(report)
    assert isinstance(filed, Report) and filed.tenant == "Contoso"
