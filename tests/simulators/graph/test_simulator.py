"""The Graph simulator's login and message listing, driven only through real msal and real
requests over HTTPS (apis.md sections 1.1, 1.5 and 2).

Every test runs with REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE pointing at a bundle without the
simulator's CA (`ca_bundle_env`), as on this machine and CI (design.md section 7).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import requests

from .fixtures import (
    GraphClient,
    PinnedSession,
    build_app,
    client_certificate,
    deliver,
    graph_error,
    mime_message,
)
from .server import GRAPH_SCOPE, GraphSimulator

pytestmark = pytest.mark.usefixtures("ca_bundle_env")
Connect = Callable[..., GraphClient]
BOX = "/users/dirsync@contoso.com"
INBOX = f"{BOX}/mailFolders/inbox/messages"
DAY = datetime(2024, 9, 1, tzinfo=UTC)


# -- login ------------------------------------------------------------------------------------


def test_secret_login_is_one_discovery_and_one_token_request_then_msal_cache(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    assert client.token() == client.token()
    assert [(r.method, r.path.split("/", 2)[2], r.status) for r in graph_sim.log] == [
        ("GET", "v2.0/.well-known/openid-configuration", 200),
        ("POST", "oauth2/v2.0/token", 200),
    ]
    form = graph_sim.log.records[1].body
    assert form["grant_type"] == "client_credentials" and form["scope"] == GRAPH_SCOPE
    assert form["credential"] == "secret" and "client_secret" not in form  # never logged
    assert graph_sim.token_requests == 1


@pytest.mark.parametrize("form", ["thumbprint", "public_certificate"])
def test_certificate_login_sends_a_jwt_assertion_naming_the_cert(
    form: str, graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    key, cert, sha1 = client_certificate()
    graph_sim.register_app(graph_sim.tenant_id, "cert-app", certificate=cert)
    credential = {"private_key": key, form: sha1 if form == "thumbprint" else cert}
    client = graph_client(graph_sim, credential, client_id="cert-app")
    assert client.get(f"{BOX}/mailFolders/inbox").json()["displayName"] == "Inbox"
    assert graph_sim.log.records[1].body["credential"] == "assertion"


def test_a_certificate_the_app_does_not_have_is_refused(graph_sim: GraphSimulator) -> None:
    key, _, sha1 = client_certificate()
    graph_sim.register_app(graph_sim.tenant_id, "cert-app", cert_thumbprint="ab" * 20)
    app = build_app(graph_sim, {"private_key": key, "thumbprint": sha1}, client_id="cert-app")
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert (result["error"], result["error_codes"]) == ("invalid_client", [700027])


def test_a_wrong_secret_is_401_invalid_client_aadsts7000215(graph_sim: GraphSimulator) -> None:
    result = build_app(graph_sim, "not-the-secret").acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert result["error"] == "invalid_client" and result["error_codes"] == [7000215]
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret")
    assert graph_sim.log.statuses()[-1] == 401


def test_unknown_tenant_fails_msal_at_construction(graph_sim: GraphSimulator) -> None:
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        build_app(graph_sim, tenant_id="00000000-0000-0000-0000-000000000000")
    assert graph_sim.log.statuses() == [400]


@pytest.mark.parametrize(
    ("client_id", "scope", "expected"),
    [
        ("no-such-app", GRAPH_SCOPE, ("unauthorized_client", 700016)),
        (None, "https://graph.microsoft.com/Mail.Read", ("invalid_scope", 1002012)),
        (None, "https://example.com/.default", ("invalid_resource", 500011)),
    ],
)
def test_token_request_errors_use_entra_shapes(
    client_id: str | None, scope: str, expected: tuple[str, int], graph_sim: GraphSimulator
) -> None:
    app = build_app(graph_sim, client_id=client_id)
    result = app.acquire_token_for_client(scopes=[scope])
    assert (result["error"], result["error_codes"][0]) == expected
    assert result["error_description"].startswith(f"AADSTS{expected[1]}:")


def test_without_a_valid_token_graph_answers_401_invalid_authentication_token(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    missing = client.get(INBOX, auth=False)
    assert graph_error(missing)[:2] == (401, "InvalidAuthenticationToken")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    forged = client.get(INBOX, headers={"Authorization": "Bearer forged"})
    assert graph_error(forged)[:2] == (401, "InvalidAuthenticationToken")


def test_an_expired_token_is_401_until_a_new_one_is_fetched(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    assert client.get(INBOX).status_code == 200
    graph_sim.expire_tokens()
    assert graph_error(client.get(INBOX))[2] == "Lifetime validation failed, the token is expired."
    assert graph_client(graph_sim).get(INBOX).status_code == 200  # a new app: a new token


def test_the_ca_bundle_variables_do_not_trust_the_simulator_but_verify_wins(
    graph_sim: GraphSimulator,
) -> None:
    url = f"{graph_sim.authority()}/v2.0/.well-known/openid-configuration"
    with requests.Session() as plain:
        plain.verify = graph_sim.ca_path  # what the variables override
        with pytest.raises(requests.exceptions.SSLError):
            plain.get(url, timeout=5)
    with PinnedSession(graph_sim.ca_path) as pinned:
        assert pinned.get(url).json()["token_endpoint"].startswith(graph_sim.url)


# -- listing ----------------------------------------------------------------------------------


def test_listing_pages_newest_first_through_opaque_next_links(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    ids = deliver(graph_sim, 25)
    client = graph_client(graph_sim)
    page = client.get(INBOX, params={"$select": "subject,receivedDateTime"}).json()
    seen, sizes = [], []
    while True:
        seen += [m["id"] for m in page["value"]]
        sizes.append(len(page["value"]))
        assert all(
            set(m) == {"@odata.etag", "id", "subject", "receivedDateTime"} for m in page["value"]
        )
        if "@odata.nextLink" not in page:
            break
        link = page["@odata.nextLink"]
        assert link.startswith(graph_sim.graph_url) and "$select=" in link and "$skip=" not in link
        page = client.get(link).json()
    assert sizes == [10, 10, 5] and seen == ids[::-1]


def test_the_cursor_is_an_offset_so_moving_messages_out_while_paging_skips_some(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    ids = deliver(graph_sim, 15)
    client = graph_client(graph_sim)
    first = client.get(INBOX).json()
    for message in first["value"]:  # processed: moved out of the inbox
        client.post(f"{BOX}/messages/{message['id']}/move", json={"destinationId": "archive"})
    second = client.get(first["@odata.nextLink"]).json()
    assert second["value"] == [] and "@odata.nextLink" not in second  # 5 never seen
    assert len(client.get(INBOX).json()["value"]) == 5 == len(ids) - 10


@pytest.mark.parametrize("top", ["0", "1001", "ten"])
def test_top_outside_1_to_1000_is_400(
    top: str, graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    assert graph_client(graph_sim).get(INBOX, params={"$top": top}).status_code == 400


FILTERS = [
    ("receivedDateTime ge 2024-09-03T00:00:00Z", [2, 3]),
    ("receivedDateTime lt 2024-09-02T00:00:00Z and isRead eq false", [0]),
    ("from/emailAddress/address eq 'msonlineservicesteam@microsoftonline.com'", [0, 1, 2, 3]),
    ("from/emailAddress/address eq 'someone@else.com'", []),
    ("startswith(subject,'Directory Sync')", [0, 2, 3]),
    ("subject eq 'O''Brien report'", [1]),
    ("contains(subject,'brien')", [1]),
    ("isRead eq true", [3]),
]


@pytest.mark.parametrize(("expression", "expected"), FILTERS)
def test_filter_subset_selects_the_right_messages(
    expression: str, expected: list[int], graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    subjects = ["Directory Synchronization Error Report", "O'Brien report"] + 2 * [
        "Directory Synchronization Error Report"
    ]
    ids = [
        graph_sim.add_message(
            "dirsync@contoso.com",
            "inbox",
            mime_message(subject),
            received=DAY + timedelta(i),
            is_read=i == 3,
        ).id
        for i, subject in enumerate(subjects)
    ]
    found = graph_client(graph_sim).get(INBOX, params={"$filter": expression, "$top": "50"})
    assert sorted(ids.index(m["id"]) for m in found.json()["value"]) == expected


INEFFICIENT = "The restriction or sort order is too complex for this operation."


@pytest.mark.parametrize(
    ("expression", "order", "ok"),
    [
        ("from/emailAddress/address eq 'x@y.com'", "receivedDateTime desc", False),
        (
            "from/emailAddress/address eq 'x@y.com' and receivedDateTime ge 2024-09-01T00:00:00Z",
            "receivedDateTime desc",
            False,
        ),
        (
            "receivedDateTime ge 2024-09-01T00:00:00Z and from/emailAddress/address eq 'x@y.com'",
            "receivedDateTime desc",
            True,
        ),
        (
            "receivedDateTime ge 2024-09-01T00:00:00Z and contains(subject,'Sync')",
            "receivedDateTime desc",
            False,
        ),
        ("receivedDateTime ge 2024-09-02T00:00:00Z", "receivedDateTime", True),
    ],
)
def test_orderby_property_must_lead_the_filter_or_it_is_inefficient_filter(
    expression: str, order: str, ok: bool, graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    deliver(graph_sim, 3)
    answer = graph_client(graph_sim).get(INBOX, params={"$filter": expression, "$orderby": order})
    if ok:
        received = [m["receivedDateTime"] for m in answer.json()["value"]]
        assert answer.status_code == 200 and received == sorted(received, reverse="desc" in order)
    else:
        assert graph_error(answer) == (400, "InefficientFilter", INEFFICIENT)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"$filter": "receivedDateTime ge 2024-09-01T00:00:00+00:00"}, "BadRequest"),
        ({"$filter": "subject eq"}, "BadRequest"),
        ({"$filter": "isRead eq 'no'"}, "BadRequest"),
        ({"$filter": "colour eq 'red'"}, "RequestBroker--ParseUri"),
        ({"$select": "subject,colour"}, "RequestBroker--ParseUri"),
    ],
)
def test_bad_query_options_are_400_with_outlook_codes(
    params: dict[str, str], code: str, graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    # The first: a '+' the client did not percent-encode arrives as a space.
    query = "&".join(f"{k}={v}" for k, v in params.items())
    assert graph_error(graph_client(graph_sim).get(f"{INBOX}?{query}"))[:2] == (400, code)
