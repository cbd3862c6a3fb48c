"""The local ticket store: idempotent creates, keyed comments, status, persistence."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from dirsync_bridge.errors import Fatal
from dirsync_bridge.ports import Sink, TicketContent, TicketSnapshot
from dirsync_bridge.sink_values import NewTicket
from dirsync_bridge.sinks.dry_run import PlanOnly
from dirsync_bridge.sinks.local import LocalStore
from dirsync_bridge.sinks.local_schema import MIGRATIONS

FP = "cd" * 32
CONTENT = TicketContent(summary="[dirsync] x", description="what happened")


@pytest.fixture
def store() -> Iterator[LocalStore]:
    local = LocalStore(":memory:")
    yield local
    local.close()


def _count(store: LocalStore, table: str) -> int:
    # Straight to the database: the public API could hide a duplicate row.
    conn: sqlite3.Connection = store._conn
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_the_store_satisfies_the_sink_protocol(store: LocalStore) -> None:
    sink: Sink = store
    assert sink.name == "local"


def test_create_opens_a_ticket_holding_the_content(store: LocalStore) -> None:
    content = TicketContent(summary="s", description="d", links=("LOCAL-9",))
    ticket = store.create("idem-1", FP, content)
    assert ticket.key == "LOCAL-1"
    assert (ticket.idempotency_key, ticket.fingerprint) == ("idem-1", FP)
    assert ticket.content == content
    assert (ticket.status, ticket.resolution, ticket.comments) == ("open", None, {})


def test_keys_count_up_in_creation_order(store: LocalStore) -> None:
    keys = [store.create(f"idem-{n}", FP, CONTENT).key for n in range(3)]
    assert keys == ["LOCAL-1", "LOCAL-2", "LOCAL-3"]
    assert [t.key for t in store.tickets()] == keys


def test_creating_twice_with_one_idempotency_key_makes_one_ticket(store: LocalStore) -> None:
    first = store.create("idem-1", FP, CONTENT)
    again = store.create("idem-1", FP, TicketContent(summary="other", description="other"))
    assert again == first
    assert again.content == CONTENT
    assert _count(store, "tickets") == 1
    assert store.create("idem-2", FP, CONTENT).key == "LOCAL-2"


def test_find_returns_the_ticket_of_an_idempotency_key_or_none(store: LocalStore) -> None:
    created = store.create("idem-1", FP, CONTENT)
    assert store.find("idem-1") == created
    assert store.find("idem-unknown") is None


def test_snapshot_of_an_unknown_key_raises_key_error(store: LocalStore) -> None:
    with pytest.raises(KeyError, match="LOCAL-404"):
        store.snapshot("LOCAL-404")


def test_writes_to_an_unknown_ticket_raise_key_error(store: LocalStore) -> None:
    with pytest.raises(KeyError):
        store.update("LOCAL-404", CONTENT)
    with pytest.raises(KeyError):
        store.put_comment("LOCAL-404", "c", "body")
    with pytest.raises(KeyError):
        store.remove_comment("LOCAL-404", "c")
    with pytest.raises(KeyError):
        store.set_status("LOCAL-404", "resolved")
    assert _count(store, "comments") == 0


def test_update_replaces_summary_description_and_links(store: LocalStore) -> None:
    key = store.create("idem-1", FP, CONTENT).key
    new = TicketContent(summary="new s", description="new d", links=("LOCAL-7",))
    store.update(key, new)
    assert store.snapshot(key).content == new
    store.update(key, CONTENT)
    assert store.snapshot(key).content == CONTENT


def test_putting_a_comment_twice_leaves_one_comment_with_the_second_body(
    store: LocalStore,
) -> None:
    key = store.create("idem-1", FP, CONTENT).key
    store.put_comment(key, "changed:abc", "first body")
    store.put_comment(key, "changed:abc", "second body")
    assert store.snapshot(key).comments == {"changed:abc": "second body"}
    assert _count(store, "comments") == 1


def test_comments_come_back_in_the_order_they_were_first_written(store: LocalStore) -> None:
    key = store.create("idem-1", FP, CONTENT).key
    for name in ("b", "a", "c"):
        store.put_comment(key, name, name.upper())
    store.put_comment(key, "b", "B again")
    assert list(store.snapshot(key).comments.items()) == [("b", "B again"), ("a", "A"), ("c", "C")]


def test_comment_keys_are_per_ticket(store: LocalStore) -> None:
    one = store.create("idem-1", FP, CONTENT).key
    two = store.create("idem-2", FP, CONTENT).key
    store.put_comment(one, "resolved", "one")
    store.put_comment(two, "resolved", "two")
    assert store.snapshot(one).comments == {"resolved": "one"}
    assert store.snapshot(two).comments == {"resolved": "two"}


def test_remove_comment_deletes_it_and_tolerates_a_missing_one(store: LocalStore) -> None:
    key = store.create("idem-1", FP, CONTENT).key
    store.put_comment(key, "keep", "k")
    store.put_comment(key, "drop", "d")
    store.remove_comment(key, "drop")
    store.remove_comment(key, "drop")
    store.remove_comment(key, "never-written")
    assert store.snapshot(key).comments == {"keep": "k"}


def test_resolving_sets_resolution_done_and_reopening_clears_it(store: LocalStore) -> None:
    key = store.create("idem-1", FP, CONTENT).key
    store.set_status(key, "resolved")
    resolved = store.snapshot(key)
    assert (resolved.status, resolved.resolution) == ("resolved", "Done")
    store.set_status(key, "open")
    reopened = store.snapshot(key)
    assert (reopened.status, reopened.resolution) == ("open", None)


def test_tickets_lists_every_ticket_with_its_own_comments(store: LocalStore) -> None:
    one = store.create("idem-1", FP, CONTENT).key
    store.create("idem-2", FP, CONTENT)
    store.put_comment(one, "c", "body")
    listed = store.tickets()
    assert [(t.key, t.comments) for t in listed] == [("LOCAL-1", {"c": "body"}), ("LOCAL-2", {})]
    assert listed[0] == store.snapshot(one)


def test_tickets_and_comments_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "tickets.db"
    first = LocalStore(path)
    key = first.create("idem-1", FP, CONTENT).key
    first.put_comment(key, "c", "body")
    first.set_status(key, "resolved")
    before = first.snapshot(key)
    first.close()

    second = LocalStore(path)
    try:
        assert second.snapshot(key) == before
        assert second.create("idem-1", FP, CONTENT) == before
        assert second.create("idem-2", FP, CONTENT).key == "LOCAL-2"
    finally:
        second.close()


def test_migrations_are_recorded_and_not_run_twice(tmp_path: Path) -> None:
    path = tmp_path / "tickets.db"
    LocalStore(path).close()
    LocalStore(path).close()
    with closing(sqlite3.connect(path)) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS]
    assert "0001-tickets" in names


def test_a_copy_holds_the_file_s_tickets_and_writes_to_it_leave_the_file_alone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tickets.db"
    original = LocalStore(path)
    key = original.create("idem-1", FP, CONTENT).key
    original.close()

    copy = LocalStore.copy_of(path)
    try:
        assert copy.snapshot(key).content == CONTENT
        copy.set_status(key, "resolved")
        assert copy.create("idem-2", FP, CONTENT).key == "LOCAL-2"
    finally:
        copy.close()

    reopened = LocalStore(path)
    try:
        assert [(t.key, t.status) for t in reopened.tickets()] == [("LOCAL-1", "open")]
    finally:
        reopened.close()


def test_a_copy_of_a_store_that_does_not_exist_is_empty(tmp_path: Path) -> None:
    copy = LocalStore.copy_of(tmp_path / "none.db")
    try:
        assert copy.tickets() == []
        assert copy.create("idem-1", FP, CONTENT).key == "LOCAL-1"
    finally:
        copy.close()
    assert not (tmp_path / "none.db").exists()


def test_copying_a_file_that_is_not_a_database_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "tickets.db"
    path.write_bytes(b"not a database, just some bytes " * 100)
    with pytest.raises(Fatal, match="the local ticket store is damaged"):
        LocalStore.copy_of(path)


def test_every_write_is_counted_and_a_refused_one_is_not(store: LocalStore) -> None:
    store_id, start = store.identity()
    assert len(store_id) == 32 and start == 0
    key = store.create("idem-1", FP, CONTENT).key
    store.create("idem-1", FP, CONTENT)  # a repeat is a write call too: the ledger counts it
    store.update(key, CONTENT)
    store.put_comment(key, "c", "body")
    store.remove_comment(key, "c")
    store.set_status(key, "resolved")
    assert store.identity() == (store_id, 6)
    with pytest.raises(KeyError):
        store.update("LOCAL-404", CONTENT)
    assert store.identity() == (store_id, 6)


def test_a_missing_ticket_is_a_one_line_fatal_error_that_says_to_rebuild(
    store: LocalStore,
) -> None:
    with pytest.raises(Fatal) as raised:
        store.set_status("LOCAL-404", "resolved")
    assert isinstance(raised.value, KeyError)
    assert str(raised.value) == (
        ":memory:: the local ticket store has no ticket LOCAL-404, which the ledger recorded "
        "(the store was lost or restored from an older backup); run `dirsync-bridge tickets "
        "rebuild` to rebuild it from the ledger"
    )


def test_restored_tickets_keep_their_keys_and_new_ones_follow(store: LocalStore) -> None:
    ticket = store.create("idem-1", FP, CONTENT).model_copy(update={"key": "LOCAL-7"})
    fresh = LocalStore(":memory:")
    try:
        fresh.restore([ticket.model_copy(update={"comments": {"a": "1", "b": "2"}})], 9)
        assert fresh.identity()[1] == 0  # not a write the ledger counts
        assert fresh.snapshot("LOCAL-7").comments == {"a": "1", "b": "2"}
        assert fresh.create("idem-2", FP, CONTENT).key == "LOCAL-10"
    finally:
        fresh.close()


def test_a_batch_of_creates_is_made_together_each_counted_as_a_write(store: LocalStore) -> None:
    store_id, _ = store.identity()
    made = store.create_many([NewTicket(f"idem-{n}", FP, CONTENT) for n in range(3)])
    assert [m.key for m in made if isinstance(m, TicketSnapshot)] == [
        "LOCAL-1",
        "LOCAL-2",
        "LOCAL-3",
    ]
    again = store.create_many([NewTicket("idem-1", FP, CONTENT), NewTicket("idem-9", FP, CONTENT)])
    assert [m.key for m in again if isinstance(m, TicketSnapshot)] == ["LOCAL-2", "LOCAL-4"]
    assert store.identity() == (store_id, 5)  # one write per ticket, as the ledger counts
    found = store.find_many(["idem-0", "idem-9", "idem-7"])
    assert sorted(found.tickets) == ["idem-0", "idem-9"] and found.unsure == frozenset()


def test_a_dry_run_gives_placeholders_to_a_batch_and_finds_nothing() -> None:
    plan = PlanOnly("jira")
    made = plan.create_many([NewTicket(f"idem-{n}", FP, CONTENT) for n in range(2)])
    assert [m.key for m in made if isinstance(m, TicketSnapshot)] == ["(new 1)", "(new 2)"]
    assert plan.find_many(["idem-0"]).tickets == {}
    assert plan.resolved_since(None).resolved == []


def test_a_link_is_kept_in_the_links_once_and_counted_as_a_write(store: LocalStore) -> None:
    store.create("idem-0", FP, CONTENT)
    store.create("idem-1", FP, CONTENT)
    store_id, before = store.identity()
    store.link("LOCAL-2", "LOCAL-1")
    store.link("LOCAL-2", "LOCAL-1")  # an unsettled link sent again: still one
    ticket = store.snapshot("LOCAL-2")
    assert ticket.content.links == ticket.linked == ("LOCAL-1",)
    assert store.identity() == (store_id, before + 2)  # each write taken, as the ledger counts
    with pytest.raises(KeyError):
        store.link("LOCAL-9", "LOCAL-1")
    assert store.identity() == (store_id, before + 2)
