"""The Graph simulator's message operations, folders, delta and mailbox access, driven only
through real msal and real requests over HTTPS (apis.md sections 1.2, 1.3 and 1.6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .fixtures import GraphClient, PinnedSession, build_app, deliver, graph_error, mime_message
from .server import GraphSimulator

pytestmark = pytest.mark.usefixtures("ca_bundle_env")
Connect = Callable[..., GraphClient]
BOX = "/users/dirsync@contoso.com"
INBOX = f"{BOX}/mailFolders/inbox/messages"


# -- one message ------------------------------------------------------------------------------


def test_raw_mime_comes_back_byte_for_byte_as_text_plain(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    raw = mime_message(body="caf\u00e9 \u2014 naïve\r\n" * 3)
    msg = graph_sim.add_message("dirsync@contoso.com", "inbox", raw)
    answer = graph_client(graph_sim).get(f"{BOX}/messages/{msg.id}/$value")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/plain"
    assert answer.content == raw


def test_patch_marks_read_and_replaces_categories(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    (mid,) = deliver(graph_sim, 1)
    client = graph_client(graph_sim)
    before = client.get(f"{BOX}/messages/{mid}").json()
    patched = client.patch(f"{BOX}/messages/{mid}", json={"isRead": True, "categories": ["Seen"]})
    assert patched.status_code == 200
    assert (patched.json()["isRead"], patched.json()["categories"]) == (True, ["Seen"])
    assert patched.json()["changeKey"] != before["changeKey"]
    assert graph_sim.message(mid).is_read and graph_sim.message(mid).categories == ["Seen"]
    readonly = client.patch(f"{BOX}/messages/{mid}", json={"subject": "x"})
    assert graph_error(readonly)[:2] == (400, "ErrorInvalidPropertyUpdateSentMessage")


def test_move_gives_a_new_id_and_the_old_one_is_gone(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    (mid,) = deliver(graph_sim, 1)
    client = graph_client(graph_sim)
    moved = client.post(f"{BOX}/messages/{mid}/move", json={"destinationId": "archive"})
    assert moved.status_code == 201 and moved.json()["id"] != mid
    assert moved.json()["parentFolderId"] == graph_sim.folder_id("dirsync@contoso.com", "archive")
    assert graph_error(client.get(f"{BOX}/messages/{mid}"))[:2] == (404, "ErrorItemNotFound")
    assert [m.id for m in graph_sim.folder_messages("dirsync@contoso.com", "archive")] == [
        moved.json()["id"]
    ]
    assert graph_sim.log.deletes() == []


def test_move_with_immutable_ids_keeps_the_id(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    deliver(graph_sim, 1)
    client = graph_client(graph_sim)
    immutable = {"Prefer": 'IdType="ImmutableId"'}
    (listed,) = client.get(INBOX, headers=immutable).json()["value"]
    moved = client.post(
        f"{BOX}/messages/{listed['id']}/move",
        headers=immutable,
        json={"destinationId": "deleteditems"},
    )
    assert moved.status_code == 201 and moved.json()["id"] == listed["id"]
    assert moved.headers["Preference-Applied"] == 'IdType="ImmutableId"'
    assert client.get(f"{BOX}/messages/{listed['id']}").status_code == 200


def test_delete_is_served_and_logged_so_tests_can_forbid_it(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    (mid,) = deliver(graph_sim, 1)
    client = graph_client(graph_sim)
    assert client.request("DELETE", f"{BOX}/messages/{mid}").status_code == 204
    assert [r.path for r in graph_sim.log.deletes()] == [f"/v1.0{BOX}/messages/{mid}"]
    (trashed,) = graph_sim.folder_messages("dirsync@contoso.com", "deleteditems")
    assert client.request("DELETE", f"{BOX}/messages/{trashed.id}").status_code == 204
    assert graph_sim.folder_messages("dirsync@contoso.com", "deleteditems") == []
    assert len(graph_sim.log.deletes()) == 2


# -- folders ----------------------------------------------------------------------------------


def test_folders_by_name_create_and_409_on_a_duplicate(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    folders = f"{BOX}/mailFolders"
    query = {"$filter": "displayName eq 'Processed'"}
    assert client.get(folders, params=query).json()["value"] == []
    created = client.post(folders, json={"displayName": "Processed"})
    assert created.status_code == 201 and created.json()["displayName"] == "Processed"
    assert [f["id"] for f in client.get(folders, params=query).json()["value"]] == [
        created.json()["id"]
    ]
    again = client.post(folders, json={"displayName": "processed"})
    assert graph_error(again)[:2] == (409, "ErrorFolderExists")
    child = client.post(
        f"{folders}/{created.json()['id']}/childFolders", json={"displayName": "2024"}
    )
    assert child.status_code == 201 and child.json()["parentFolderId"] == created.json()["id"]
    assert client.get(f"{folders}/Inbox").json()["displayName"] == "Inbox"
    assert graph_error(client.get(f"{folders}/not-an-id"))[:2] == (400, "ErrorInvalidIdMalformed")


# -- delta ------------------------------------------------------------------------------------


def delta_round(client: GraphClient, url: str, page_size: int = 2) -> tuple[list[Any], str]:
    """Follow one round to its deltaLink: (all items, the deltaLink)."""
    items: list[Any] = []
    headers = {"Prefer": f"odata.maxpagesize={page_size}"}
    while True:
        page = client.get(url, headers=headers).json()
        items += page["value"]
        if "@odata.deltaLink" in page:
            return items, page["@odata.deltaLink"]
        url = page["@odata.nextLink"]


def test_delta_rounds_report_new_changed_and_removed_then_410_when_expired(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    ids = deliver(graph_sim, 5)
    client = graph_client(graph_sim)
    first, link = delta_round(client, f"{INBOX}/delta?$select=subject,isRead")
    assert sorted(m["id"] for m in first) == sorted(ids)
    assert all(m["@odata.type"] == "#microsoft.graph.message" for m in first)
    (new,) = deliver(graph_sim, 1)
    client.patch(f"{BOX}/messages/{ids[0]}", json={"isRead": True})
    client.post(f"{BOX}/messages/{ids[1]}/move", json={"destinationId": "archive"})
    second, link = delta_round(client, link)
    by_id = {m["id"]: m for m in second}
    assert set(by_id) == {new, ids[0], ids[1]}
    assert by_id[ids[0]]["isRead"] is True and by_id[ids[1]]["@removed"] == {"reason": "deleted"}
    assert delta_round(client, link)[0] == []
    graph_sim.expire_delta_tokens()
    assert graph_error(client.get(link))[:2] == (410, "SyncStateNotFound")


def test_delta_takes_only_received_ge_filters(
    graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    client = graph_client(graph_sim)
    bad = client.get(f"{INBOX}/delta", params={"$filter": "isRead eq false"})
    assert graph_error(bad)[:2] == (400, "ErrorInvalidUrlQuery")
    order = client.get(f"{INBOX}/delta", params={"$orderby": "receivedDateTime asc"})
    assert graph_error(order)[:2] == (400, "ErrorInvalidUrlQuery")
    deliver(graph_sim, 3)
    since = {"$filter": "receivedDateTime gt 2024-09-02T00:00:00Z"}
    items, _ = delta_round(client, f"{INBOX}/delta?$filter={since['$filter']}")
    assert [m["receivedDateTime"] for m in items] == ["2024-09-03T00:00:00Z"]


# -- mailbox access ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/users/nobody@contoso.com/messages", (404, "ErrorInvalidUser")),
        ("/users/onprem@contoso.com/messages", (404, "MailboxNotEnabledForRESTAPI")),
        ("/users/ceo@contoso.com/messages", (403, "ErrorAccessDenied")),
        ("/me/messages", (400, "BadRequest")),  # app-only tokens have no /me
    ],
)
def test_mailbox_errors_as_outlook_sends_them(
    path: str, expected: tuple[int, str], graph_sim: GraphSimulator, graph_client: Connect
) -> None:
    graph_sim.add_user("onprem@contoso.com")  # a user whose mailbox is not in Exchange Online
    graph_sim.add_mailbox("ceo@contoso.com")
    graph_sim.deny_mailbox("ceo@contoso.com")  # an application access policy leaves it out
    status, code, message = graph_error(graph_client(graph_sim).get(path))
    assert (status, code) == expected
    if code == "ErrorAccessDenied":
        assert message == "Access to OData is disabled."


def test_an_app_with_mail_read_only_cannot_patch(graph_sim: GraphSimulator) -> None:
    graph_sim.register_app(graph_sim.tenant_id, "reader", secret="s", roles=["Mail.Read"])
    (mid,) = deliver(graph_sim, 1)
    with PinnedSession(graph_sim.ca_path) as session:
        client = GraphClient(graph_sim, build_app(graph_sim, "s", client_id="reader"), session)
        assert client.get(f"{BOX}/messages/{mid}/$value").status_code == 200
        patched = client.patch(f"{BOX}/messages/{mid}", json={"isRead": True})
        assert graph_error(patched)[:2] == (403, "ErrorAccessDenied")
        assert graph_error(client.get("/users"))[:2] == (403, "Authorization_RequestDenied")
