"""The simulator's provisioning errors (live-sources.md 1): the `onPremisesProvisioningErrors`
lambda filter on users, groups and contacts, `/organization`, a tenant that refuses the
filter, server-driven page sizes and faults on the pages after the first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from .fixtures import GraphClient
from .server import GraphSimulator

pytestmark = pytest.mark.usefixtures("ca_bundle_env")
Connect = Callable[..., GraphClient]
FILTER = "onPremisesProvisioningErrors/any(o:o/category eq 'PropertyConflict')"
WHEN = datetime(2024, 7, 4, 0, 6, 16, tzinfo=UTC)


def conflict(attribute: str, value: str) -> dict[str, object]:
    return {
        "category": "PropertyConflict",
        "occurredDateTime": WHEN,
        "propertyCausingError": attribute,
        "value": value,
    }


@pytest.fixture
def quarantined(graph_sim: GraphSimulator) -> dict[str, str]:
    """One object in error of each kind, and one clean object of each kind; ids by name."""
    return {
        "user": graph_sim.add_user(
            "bsm1234@contoso.onmicrosoft.com",
            onPremisesUserPrincipalName="BlockSoftMatch1@contoso.com",
            on_premises_immutable_id="D92CwNc2nUyF/hkg/H3I0g==",
            provisioning_errors=[conflict("UserPrincipalName", "BlockSoftMatch1@contoso.com")],
        ),
        "group": graph_sim.add_group(
            "Sales",
            mail="sales@contoso.com",
            provisioning_errors=[conflict("ProxyAddresses", "SMTP:sales@contoso.com")],
        ),
        "contact": graph_sim.add_contact(
            "Partner", provisioning_errors=[conflict("ProxyAddress", "smtp:p@contoso.com")]
        ),
        "clean user": graph_sim.add_user("clean@contoso.com"),
        "clean group": graph_sim.add_group("Clean"),
        "clean contact": graph_sim.add_contact("Clean contact"),
    }


@pytest.mark.parametrize("kind", ["users", "groups", "contacts"])
def test_the_provisioning_error_filter_finds_the_objects_in_error_on_every_kind(
    kind: str, quarantined: dict[str, str], graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    select = "id,displayName,onPremisesProvisioningErrors"
    answer = client.get(f"/{kind}", params={"$filter": FILTER, "$select": select})
    assert answer.status_code == 200, answer.text
    (found,) = answer.json()["value"]
    assert found["id"] == quarantined[kind.rstrip("s")]
    assert found["onPremisesProvisioningErrors"][0]["category"] == "PropertyConflict"
    by_property = client.get(
        f"/{kind}",
        params={"$filter": "onPremisesProvisioningErrors/any(o:o/propertyCausingError eq 'x')"},
    )
    assert by_property.status_code == 200 and by_property.json()["value"] == []


def test_users_carry_the_on_premises_upn_only_on_select(
    quarantined: dict[str, str], graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    plain = client.get("/users", params={"$filter": FILTER}).json()["value"][0]
    assert "onPremisesUserPrincipalName" not in plain
    select = "id,userPrincipalName,onPremisesUserPrincipalName,onPremisesImmutableId"
    chosen = client.get("/users", params={"$filter": FILTER, "$select": select}).json()
    user = chosen["value"][0]
    assert user["onPremisesUserPrincipalName"] == "BlockSoftMatch1@contoso.com"
    assert user["onPremisesImmutableId"] == "D92CwNc2nUyF/hkg/H3I0g=="


def test_a_filter_on_another_sub_property_of_the_errors_is_unsupported(
    quarantined: dict[str, str], graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    query = {"$filter": "onPremisesProvisioningErrors/any(o:o/value eq 'x')"}
    answer = client.get("/users", params=query)
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        400,
        "Request_UnsupportedQuery",
    )


def test_a_tenant_that_refuses_the_filter_answers_400_and_still_lists_every_object(
    quarantined: dict[str, str], graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    graph_sim.refuse_filter("onPremisesProvisioningErrors")
    client = graph_client(graph_sim)
    refused = client.get("/groups", params={"$filter": FILTER})
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        400,
        "Request_UnsupportedQuery",
    )
    select = {"$select": "id,onPremisesProvisioningErrors"}
    everything = client.get("/groups", params=select).json()["value"]
    assert {g["id"] for g in everything} == {quarantined["group"], quarantined["clean group"]}


def test_organization_answers_the_tenant_and_its_name(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    graph_sim.organization_name = "Contoso Pharma"
    answer = graph_client(graph_sim).get("/organization", params={"$select": "id,displayName"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["value"] == [{"id": graph_sim.tenant_id, "displayName": "Contoso Pharma"}]


@pytest.mark.parametrize(
    ("roles", "status"),
    [({"Organization.Read.All"}, 200), ({"Directory.Read.All"}, 200), ({"User.Read.All"}, 403)],
)
def test_organization_needs_organization_or_directory_read_all(
    roles: set[str], status: int, graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    graph_sim.register_app(graph_sim.tenant_id, "app-2", secret="s3cret", roles=roles)
    client = graph_client(graph_sim, credential="s3cret", client_id="app-2")
    assert client.get("/organization").status_code == status


def test_the_server_may_answer_fewer_objects_than_top_and_faults_can_hit_later_pages(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    for n in range(5):
        graph_sim.add_user(
            f"u{n}@contoso.com", provisioning_errors=[conflict("ProxyAddresses", f"smtp:{n}@c")]
        )
    graph_sim.page_size = 2
    graph_sim.faults.fail_pages(503, times=1, path_contains="/users")
    client = graph_client(graph_sim)
    first = client.get("/users", params={"$filter": FILTER, "$top": "999"})
    assert first.status_code == 200 and len(first.json()["value"]) == 2
    link = first.json()["@odata.nextLink"]
    assert client.get(link).status_code == 503  # a page after the first
    second = client.get(link)
    assert second.status_code == 200 and len(second.json()["value"]) == 2
    third = client.get(second.json()["@odata.nextLink"]).json()
    assert len(third["value"]) == 1 and "@odata.nextLink" not in third
    # A first page is never hit by a page fault.
    graph_sim.faults.fail_pages(503, times=1, path_contains="/users")
    assert client.get("/users", params={"$filter": FILTER}).status_code == 200
