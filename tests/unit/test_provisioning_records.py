"""Graph's provisioning errors as records (design.md section 9), from the documented shapes
(live-sources.md 1.5: Microsoft's Entra PowerShell examples and Pester mock; reconstructed,
no captured live answer exists)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dirsync_bridge.config.settings import ProvisioningSettings
from dirsync_bridge.errors import Retriable
from dirsync_bridge.graph.paging import Paging
from dirsync_bridge.models import Report
from dirsync_bridge.run_summary import RunSummary
from dirsync_bridge.sources.provisioning import ProvisioningErrors, conflicts_of, records


def error(
    attribute: Any = "ProxyAddresses", value: Any = "SMTP:ConflictMail@contoso.com", **more: Any
) -> dict[str, Any]:
    return {
        "category": "PropertyConflict",
        "occurredDateTime": "2022-03-14T23:46:44Z",
        "propertyCausingError": attribute,
        "value": value,
    } | more


def test_a_user_is_named_by_its_on_premises_upn_and_its_immutable_id() -> None:
    # A quarantined UPN: userPrincipalName holds the placeholder, the original is on-premises.
    user = {
        "id": "cea7b86b-ef66-4d70-b374-a93802b08b67",
        "userPrincipalName": "BlockSoftMatch11234@Contoso.onmicrosoft.com",
        "onPremisesUserPrincipalName": "BlockSoftMatch1@contoso.com",
        "onPremisesImmutableId": "D92CwNc2nUyF/hkg/H3I0g==",
        "onPremisesProvisioningErrors": [error("UserPrincipalName", "BlockSoftMatch1@contoso.com")],
    }
    (record,) = records("users", user)
    assert record.kind == "QuarantinedAttributeValueMustBeUnique" and record.kind_stated
    assert record.identity == "BlockSoftMatch1@contoso.com"
    assert record.object_id == "D92CwNc2nUyF/hkg/H3I0g=="
    assert [c.model_dump() for c in record.conflicts] == [
        {"attribute": "UserPrincipalName", "values": ("BlockSoftMatch1@contoso.com",)}
    ]
    assert "UserPrincipalName" in record.message and "2022-03-14T23:46:44Z" in record.message


def test_a_cloud_user_without_an_on_premises_upn_is_named_by_its_upn() -> None:
    user = {"userPrincipalName": "ann@contoso.com", "onPremisesProvisioningErrors": [error()]}
    (record,) = records("users", user)
    assert (record.identity, record.object_id) == ("ann@contoso.com", None)


@pytest.mark.parametrize("kind", ["groups", "contacts"])
def test_groups_and_contacts_are_named_by_mail_else_display_name(kind: Any) -> None:
    with_mail = {
        "mail": "sales@contoso.com",
        "displayName": "Sales",
        "onPremisesProvisioningErrors": [error()],
    }
    without = {"displayName": "Sales", "mail": None, "onPremisesProvisioningErrors": [error()]}
    assert [r.identity for r in records(kind, with_mail)] == ["sales@contoso.com"]
    assert [r.identity for r in records(kind, without)] == ["Sales"]
    assert records(kind, with_mail)[0].object_id is None


@pytest.mark.parametrize(
    ("named", "attribute"),
    [
        ("ProxyAddress", "ProxyAddresses"),
        ("ProxyAddresses", "ProxyAddresses"),
        ("proxyaddresses", "ProxyAddresses"),
        ("UserPrincipalName", "UserPrincipalName"),
        ("userPrincipalName", "UserPrincipalName"),
        ("SipProxyAddress", "SipProxyAddress"),
    ],
)
def test_the_property_causing_the_error_is_spelled_as_the_emails_spell_it(
    named: str, attribute: str
) -> None:
    (record,) = records(
        "users", {"userPrincipalName": "a@b.c", "onPremisesProvisioningErrors": [error(named)]}
    )
    assert record.conflicts[0].attribute == attribute
    assert record.conflicts[0].values == ("SMTP:ConflictMail@contoso.com",)  # prefix kept


def test_every_error_of_an_object_is_a_record_and_other_categories_are_not() -> None:
    user = {
        "userPrincipalName": "a@b.c",
        "onPremisesProvisioningErrors": [
            error("ProxyAddresses", "smtp:one@b.c"),
            error("UserPrincipalName", "a@b.c"),
            error(category="SomethingNew"),
            error(category="propertyconflict", value="smtp:two@b.c"),
        ],
    }
    found = [(r.conflicts[0].attribute, r.conflicts[0].values) for r in records("users", user)]
    assert found == [
        ("ProxyAddresses", ("smtp:one@b.c",)),
        ("UserPrincipalName", ("a@b.c",)),
        ("ProxyAddresses", ("smtp:two@b.c",)),
    ]


@pytest.mark.parametrize(
    "errors",
    [
        None,
        "PropertyConflict",
        [None, 3, "x"],
        [{"category": 5}],
        [],
        {"category": "PropertyConflict"},
    ],
)
def test_objects_without_a_property_conflict_give_no_record_and_no_crash(errors: Any) -> None:
    obj = {"userPrincipalName": "a@b.c", "onPremisesProvisioningErrors": errors}
    assert records("users", obj) == [] and conflicts_of(obj) == []


def test_odd_values_are_no_values_never_a_crash() -> None:
    user = {
        "id": "u-1",
        "userPrincipalName": 42,
        "onPremisesUserPrincipalName": "  ",
        "onPremisesImmutableId": ["x"],
        "onPremisesProvisioningErrors": [error(attribute=None, value=7, occurredDateTime=None)],
    }
    (record,) = records("users", user)
    # Named by nothing but its Entra id (was: no identity, a "(tenant-level)" record).
    assert (record.identity, record.object_id) == ("Entra object id u-1", None)
    assert record.conflicts[0].attribute == "(no property named)"
    assert record.conflicts[0].values == ()
    assert conflicts_of(["not", "an", "object"]) == []


class OddGraph:
    """A Graph client stub whose answers are JSON objects of an unexpected shape."""

    def __init__(self, value: Any, link: Any = 7) -> None:
        self.value, self.link, self.asked = value, link, []

    def token(self) -> str:
        return "token"

    def paging(self, what: str) -> Paging:
        return Paging("https://graph.microsoft.com", what)

    def get_json(self, path: str, *, what: str, params: Any = None) -> dict[str, Any]:
        self.asked.append(path)
        if path == "/organization":
            return {"value": [{"id": "t", "displayName": "Contoso"}]}
        return {"value": self.value, "@odata.nextLink": self.link}


@pytest.mark.parametrize("value", [5, {"id": "x"}, "text", None, [None, 3, "x"]])
def test_a_listing_of_an_unexpected_shape_is_incomplete_never_a_crash(value: Any) -> None:
    """A page without its value list, or a next link that is no link, proves nothing: the
    scan is incomplete (exit 75 from ``finish``), never a complete empty one."""
    graph = OddGraph(value)
    settings = ProvisioningSettings(enabled=True)
    source = ProvisioningErrors(graph, settings, now=datetime(2026, 1, 5, tzinfo=UTC))  # type: ignore[arg-type]
    summary = RunSummary()
    reports = list(source.messages(summary))
    assert all(isinstance(r, Report) and not r.complete for r in reports)
    with pytest.raises(Retriable, match="the listing is incomplete"):
        source.finish(summary)
    assert sorted(graph.asked) == ["/contacts", "/groups", "/organization", "/users"]


def test_a_listing_of_odd_items_without_a_next_link_is_complete() -> None:
    graph = OddGraph([None, 3, "x"], link=None)
    settings = ProvisioningSettings(enabled=True)
    source = ProvisioningErrors(graph, settings, now=datetime(2026, 1, 5, tzinfo=UTC))  # type: ignore[arg-type]
    (report,) = list(source.messages(RunSummary()))
    assert isinstance(report, Report) and report.complete and report.errors == ()


@pytest.mark.parametrize("kind", ["users", "groups", "contacts"])
def test_an_object_with_no_name_is_named_by_its_entra_object_id_never_tenant_level(
    kind: Any,
) -> None:
    # No UPN, mail or display name (a group or contact whose name is empty; an answer that
    # left them out): the record had no identity and no object id, the "(tenant-level)"
    # ticket of the whole tenant. Graph names every object by its id: the record shows it.
    nameless = {
        "id": "0f3d1c52-9a43-4b1e-8a55-2f6f9e7d2c10",
        "displayName": " ",
        "mail": None,
        "onPremisesProvisioningErrors": [error()],
    }
    (record,) = records(kind, nameless)
    assert record.identity is not None and nameless["id"] in record.identity
    # And an object without even an id names nothing: it makes no record at all.
    assert records(kind, {k: v for k, v in nameless.items() if k != "id"}) == []
