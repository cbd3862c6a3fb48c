"""The Graph simulator's directory lookups and `$batch` (apis.md 1.7 and 1.8), driven through
real msal and real requests over HTTPS."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from .fixtures import GraphClient, mime_message
from .server import GraphSimulator

pytestmark = pytest.mark.usefixtures("ca_bundle_env")
Connect = Callable[..., GraphClient]
EVENTUAL = {"ConsistencyLevel": "eventual"}
SYNCED = datetime(2024, 9, 1, 3, 0, tzinfo=UTC)
CONFLICT = {
    "category": "PropertyConflict",
    "occurredDateTime": SYNCED,
    "propertyCausingError": "ProxyAddress",
    "value": "smtp:jane@contoso.com",
}


@pytest.fixture
def people(graph_sim: GraphSimulator) -> dict[str, str]:
    """A user, a group and a contact sharing one proxy address (the conflict a DirSync report
    names), in different cases; their ids by kind."""
    return {
        "user": graph_sim.add_user(
            "jane.doe@contoso.com",
            mail="Jane.Doe@contoso.com",
            proxy_addresses=["SMTP:Jane.Doe@contoso.com", "smtp:Jane@Contoso.com"],
            on_premises_sync_enabled=True,
            on_premises_last_sync=SYNCED,
            on_premises_immutable_id="q83vEjRWeJA=",
            provisioning_errors=[CONFLICT],
        ),
        "group": graph_sim.add_group(
            "Sales", mail="sales@contoso.com", proxy_addresses=["SMTP:JANE@contoso.com"]
        ),
        "contact": graph_sim.add_contact(
            "Jane (partner)", mail="jane@partner.example", proxy_addresses=["smtp:jane@contoso.com"]
        ),
    }


def ids(answer: Any) -> list[str]:
    """The ids of a collection answer (fails unless it is a 200)."""
    assert answer.status_code == 200, answer.text
    return [o["id"] for o in answer.json()["value"]]


@pytest.mark.parametrize("kind", ["users", "groups", "contacts"])
def test_proxy_address_any_matches_case_insensitively_on_every_kind(
    kind: str, people: dict[str, str], graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    query = {"$filter": "proxyAddresses/any(x:x eq 'smtp:jane@contoso.com')"}
    assert ids(client.get(f"/{kind}", params=query)) == [people[kind.rstrip("s")]]


def test_user_lookups_by_upn_and_mail_and_the_sync_properties_only_on_select(
    people: dict[str, str], graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    by_upn = client.get("/users", params={"$filter": "userPrincipalName eq 'JANE.DOE@contoso.com'"})
    assert ids(by_upn) == [people["user"]]
    assert "onPremisesSyncEnabled" not in by_upn.json()["value"][0]  # default property set
    select = "id,displayName,onPremisesSyncEnabled,onPremisesLastSyncDateTime,"
    select += "onPremisesImmutableId,onPremisesProvisioningErrors"
    by_mail = client.get(
        "/users", params={"$filter": "mail eq 'jane.doe@contoso.com'", "$select": select}
    )
    (user,) = by_mail.json()["value"]
    assert user["onPremisesSyncEnabled"] is True
    assert user["onPremisesLastSyncDateTime"] == "2024-09-01T03:00:00Z"
    assert user["onPremisesImmutableId"] == "q83vEjRWeJA="
    assert user["onPremisesProvisioningErrors"][0] == CONFLICT | {
        "occurredDateTime": "2024-09-01T03:00:00Z"
    }
    direct = client.get("/users/jane.doe@contoso.com", params={"$select": "id,mail"})
    assert direct.json()["mail"] == "Jane.Doe@contoso.com"
    missing = client.get("/users/ghost@contoso.com")
    assert (missing.status_code, missing.json()["error"]["code"]) == (
        404,
        "Request_ResourceNotFound",
    )


@pytest.mark.parametrize(
    "expression",
    [
        "endswith(mail,'@contoso.com')",
        "onPremisesImmutableId eq 'q83vEjRWeJA='",
        "not (mail eq 'jane.doe@contoso.com')",
    ],
)
def test_advanced_queries_need_consistency_level_and_count(
    expression: str, people: dict[str, str], graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    plain = client.get("/users", params={"$filter": expression})
    assert (plain.status_code, plain.json()["error"]["code"]) == (400, "Request_UnsupportedQuery")
    without_count = client.get("/users", params={"$filter": expression}, headers=EVENTUAL)
    assert without_count.status_code == 400
    advanced = client.get(
        "/users", params={"$filter": expression, "$count": "true"}, headers=EVENTUAL
    )
    assert advanced.status_code == 200 and advanced.json()["@odata.count"] == len(ids(advanced))


def test_count_true_without_the_header_is_ignored_and_the_segment_refused(
    people: dict[str, str], graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    ignored = client.get("/users", params={"$count": "true"})
    assert ids(ignored) and "@odata.count" not in ignored.json()
    segment = client.get("/users/$count")
    assert segment.json()["error"]["message"] == "$count is not currently supported."
    assert client.get("/users/$count", headers=EVENTUAL).text == "2"  # jane + the mailbox


def test_in_takes_at_most_15_alternatives(graph_sim: GraphSimulator, graph_client: Connect) -> None:
    def query(n: int) -> dict[str, str]:
        values = ",".join(f"'u{i}@contoso.com'" for i in range(n - 1))
        return {"$filter": f"mail in ({values},'dirsync@contoso.com')"}

    client = graph_client(graph_sim)
    assert len(ids(client.get("/users", params=query(15)))) == 1
    too_many = client.get("/users", params=query(16)).json()["error"]
    assert (
        too_many["code"] == "Request_UnsupportedQuery" and "Max allowed: 15" in too_many["message"]
    )


def test_directory_pages_with_next_links(graph_sim: GraphSimulator, graph_client: Connect) -> None:
    for i in range(5):
        graph_sim.add_user(f"user{i}@contoso.com")
    client = graph_client(graph_sim)
    page = client.get("/users", params={"$top": "4", "$select": "id"}).json()
    rest = client.get(page["@odata.nextLink"]).json()
    assert len(page["value"]) == 4 and len(rest["value"]) == 2 and "@odata.nextLink" not in rest


# -- $batch -----------------------------------------------------------------------------------


def lookups(n: int) -> list[dict[str, Any]]:
    """`n` user lookups by proxy address as batch items, ids "0".."n-1"."""
    return [
        {
            "id": str(i),
            "method": "GET",
            "headers": EVENTUAL,
            "url": f"/users?$filter=proxyAddresses/any(x:x eq 'smtp:user{i}@contoso.com')",
        }
        for i in range(n)
    ]


def test_batch_of_20_answers_each_item_by_id(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    users = [
        graph_sim.add_user(f"user{i}@contoso.com", proxy_addresses=[f"SMTP:user{i}@contoso.com"])
        for i in range(20)
    ]
    client = graph_client(graph_sim)
    client.token()
    graph_sim.reset_log()
    answer = client.post("/$batch", json={"requests": lookups(20)})
    assert answer.status_code == 200
    responses = answer.json()["responses"]
    assert [r["id"] for r in responses] != [str(i) for i in range(20)]  # not in request order
    for r in responses:
        assert r["status"] == 200 and [u["id"] for u in r["body"]["value"]] == [users[int(r["id"])]]
    assert graph_sim.log.count() == 1 and graph_sim.log.count("GET", "users", in_batch=True) == 20


def test_batch_of_21_or_with_a_duplicate_id_is_400(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    assert client.post("/$batch", json={"requests": lookups(21)}).status_code == 400
    duplicate = lookups(2)
    duplicate[1]["id"] = "0"
    assert client.post("/$batch", json={"requests": duplicate}).status_code == 400
    assert graph_sim.log.count(in_batch=True) == 0


def test_batch_items_are_throttled_one_by_one(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    graph_sim.faults.batch_item_429 = 0.5
    responses = client.post("/$batch", json={"requests": lookups(20)}).json()["responses"]
    throttled = [r for r in responses if r["status"] == 429]
    assert 0 < len(throttled) < 20
    assert all(r["headers"]["Retry-After"] == "1" for r in throttled)
    assert {r["body"]["error"]["code"] for r in throttled} == {"TooManyRequests"}


def test_batch_runs_four_mailbox_items_in_parallel_and_dependson_serialises(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    msg = graph_sim.add_message("dirsync@contoso.com", "inbox", mime_message())
    url = f"/users/dirsync@contoso.com/messages/{msg.id}/$value"
    parallel = [{"id": str(i), "method": "GET", "url": url} for i in range(5)]
    client = graph_client(graph_sim)
    answered = client.post("/$batch", json={"requests": parallel}).json()["responses"]
    statuses = {r["id"]: r["status"] for r in answered}
    assert statuses == {"0": 200, "1": 200, "2": 200, "3": 200, "4": 429}
    ok = next(r for r in answered if r["id"] == "0")
    assert base64.b64decode(ok["body"]) == msg.raw and ok["headers"]["Content-Type"] == "text/plain"
    chained = [dict(item, dependsOn=[str(i - 1)]) if i else item for i, item in enumerate(parallel)]
    chained[1]["url"] = "/users/dirsync@contoso.com/messages/AAMkAGI2missing/$value"
    answered = client.post("/$batch", json={"requests": chained}).json()["responses"]
    statuses = {r["id"]: r["status"] for r in answered}
    assert statuses == {"0": 200, "1": 404, "2": 424, "3": 424, "4": 424}


def test_batch_items_can_be_503_without_retry_after(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    graph_sim.faults.batch_item_503 = 1.0
    graph_sim.faults.retry_after = None
    responses = client.post("/$batch", json={"requests": lookups(3)}).json()["responses"]
    assert [r["status"] for r in responses] == [503] * 3
    assert all("Retry-After" not in r["headers"] for r in responses)


def test_a_missing_permission_refuses_only_that_kind_inside_a_batch(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    roles = ["Mail.ReadWrite", "User.Read.All", "GroupMember.Read.All"]  # no OrgContact.Read.All
    graph_sim.register_app(graph_sim.tenant_id, "no-contacts", secret="s3cret", roles=roles)
    client = graph_client(graph_sim, "s3cret", client_id="no-contacts")
    requests = [
        {"id": str(n), "method": "GET", "url": f"/{kind}?$filter=mail eq 'a@contoso.com'"}
        for n, kind in enumerate(["users", "groups", "contacts"])
    ]
    responses = client.post("/$batch", json={"requests": requests}).json()["responses"]
    status = {r["id"]: r["status"] for r in responses}
    assert status == {"0": 200, "1": 200, "2": 403}
    (refused,) = [r for r in responses if r["status"] == 403]
    assert refused["body"]["error"]["code"] == "Authorization_RequestDenied"
