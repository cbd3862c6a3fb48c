"""Chains of merges: an object id's problem merged into its identity's (in one spelling of a
tenant), and that spelling joined into the established one by an alias, in either order and
in separate runs. One ticket stays open for the one object; every ticket closed as merged
names the one that stays by the label it carries, not a ticket closed since (from the fifth
review of the listings: a note written at the first merge named the ticket the join then
closed, two hops from the one to follow)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.fingerprint import label
from dirsync_bridge.pipeline import replay

from ..exportgen import csexport, events_6941
from ..reportgen import duplicate, report_email
from .test_cross_source import OBJECTS, START, write

F, L = "Contoso", "Contoso Ltd"
ANN, OID = OBJECTS[0]
BOB = OBJECTS[1][0]


def cfg(state: Path, alias: bool) -> Config:
    tenants: dict[str, Any] = {"default": L}
    if alias:
        tenants["aliases"] = {F: [L]}
    return Config.model_validate({"state": {"path": str(state / "state.db")}, "tenants": tenants})


def inputs(folder: Path) -> dict[str, Path]:
    h = lambda n: START + timedelta(hours=n)  # noqa: E731
    return {
        "f-bob": write(
            folder, "0.eml", report_email(F, h(0), [(BOB, duplicate("Mail", BOB))], "0@x")
        ),
        "ev": write(folder, "1.xml", events_6941([(OID, ANN)], h(1))),
        "f-ann": write(
            folder,
            "2.eml",
            report_email(
                F, h(2), [(ANN, duplicate("Mail", ANN)), (BOB, duplicate("Mail", BOB))], "2@x"
            ),
        ),
        "l-ann": write(
            folder, "3.eml", report_email(L, h(3), [(ANN, duplicate("Mail", ANN))], "3@x")
        ),
        "cs": write(folder, "4.xml", csexport([(OID, ANN, ANN)], h(4))),
        "l-ann2": write(
            folder, "5.eml", report_email(L, h(5), [(ANN, duplicate("Mail", ANN))], "5@x")
        ),
    }


def tickets(state: Path) -> list[tuple[str, str, str]]:
    store = sqlite3.connect(state / "state.db")  # the local store is kept there
    try:
        return [
            (str(k), str(s), str(c or ""))
            for k, s, c in store.execute(
                "SELECT t.key, t.status, (SELECT group_concat(body, '|') FROM local_comments c "
                "WHERE c.ticket_key = t.key) FROM local_tickets t "
                "WHERE t.summary LIKE ? OR t.summary LIKE ? ORDER BY t.rowid",
                (f"%{ANN}%", f"%{OID}%"),
            )
        ]
    finally:
        store.close()


@pytest.mark.parametrize(
    "first",
    [
        ("f-bob", "ev", "f-ann", "l-ann"),
        ("f-bob", "f-ann", "ev", "l-ann"),
        ("f-bob", "l-ann", "ev", "f-ann"),
        ("f-bob", "f-ann", "l-ann", "ev"),
    ],
)
@pytest.mark.parametrize("join_last", [True, False])
def test_object_id_into_identity_into_established_spelling(
    tmp_path: Path, join_last: bool, first: tuple[str, ...]
) -> None:
    """The object id's ticket, F's and L's, in four orders; then the pair (cs) and the alias,
    in either order: one ticket stays open, each other one is resolved naming it by its
    label."""
    files = inputs(tmp_path / "in")
    state = tmp_path / "state"
    for name in first:
        replay([files[name]], cfg(state, False), env={}, enrich=False)
    if join_last:
        replay([files["cs"]], cfg(state, False), env={}, enrich=False)
        replay([files["l-ann2"]], cfg(state, True), env={}, enrich=False)
    else:
        replay([], cfg(state, True), env={}, enrich=False)
        replay([files["cs"]], cfg(state, True), env={}, enrich=False)
        replay([files["l-ann2"]], cfg(state, True), env={}, enrich=False)
    replay([], cfg(state, True), env={}, enrich=False)
    got = tickets(state)
    assert sorted(s for _k, s, _c in got) == ["open", "resolved", "resolved"], got
    got.sort(key=lambda t: t[1] != "open")
    ledger = sqlite3.connect(state / "state.db")
    (first_name,) = ledger.execute(
        "SELECT idempotency_key FROM tickets WHERE key = ?", (got[0][0],)
    ).fetchone()
    ledger.close()
    kept = label(first_name.rpartition(":")[0])
    for key, _s, comments in got[1:]:
        assert kept in comments, (key, kept, comments)


def test_a_chain_an_earlier_build_left_is_followed_to_the_survivor(tmp_path: Path) -> None:
    """A ledger where an earlier build left a problem merged into one merged in turn (its
    note naming a ticket closed since): migration 0015 names the survivor at the chain's end
    and flags it, so that its note is written again; the next run ends as before, one open
    ticket, each note naming it, no comment twice (from the third review of this work)."""
    files = inputs(tmp_path / "in")
    state = tmp_path / "state"
    for name in ("f-bob", "ev", "f-ann", "l-ann", "cs"):
        replay([files[name]], cfg(state, False), env={}, enrich=False)
    replay([files["l-ann2"]], cfg(state, True), env={}, enrich=False)
    ledger = sqlite3.connect(state / "state.db")
    retired = ledger.execute(
        "SELECT p.fingerprint, p.merged_into FROM problems p WHERE p.merged_into IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM tickets t WHERE t.fingerprint = p.fingerprint) ORDER BY rowid"
    ).fetchall()
    assert len(retired) == 2 and retired[0][1] == retired[1][1], retired
    (first, survivor), (second, _) = retired
    # As the earlier build left it: the first merged into the second, which is merged in turn.
    ledger.execute(
        "UPDATE problems SET merged_into = ?, dirty = 0 WHERE fingerprint = ?", (second, first)
    )
    ledger.execute("DELETE FROM migrations WHERE name = '0015-merge-chains'")
    ledger.commit()
    ledger.close()
    replay([], cfg(state, True), env={}, enrich=False)  # the upgrade
    ledger = sqlite3.connect(state / "state.db")
    try:
        assert ledger.execute(
            "SELECT merged_into FROM problems WHERE fingerprint = ?", (first,)
        ).fetchone() == (survivor,)
    finally:
        ledger.close()
    replay([], cfg(state, True), env={}, enrich=False)
    got = tickets(state)
    assert sorted(s for _k, s, _c in got) == ["open", "resolved", "resolved"], got
    for _key, _status, comments in got:
        assert len(comments.split("|")) == len(set(comments.split("|"))), comments
