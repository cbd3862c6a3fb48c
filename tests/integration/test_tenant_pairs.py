"""Tenants joined by an alias and identity pairs that change (review of issue 13, rev13b).

Copied from the attack tests on ``rev13b`` (``tests/break/test_tenants.py``,
``tests/break/test_pairs.py``): each failed before its fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import replay

from ..exportgen import csexport, events_6941
from ..reportgen import duplicate, report_email
from .conftest import outcome

START = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
ANN, BOB = "ann@contoso.com", "bob@contoso.com"
OID = "QU5OLWFubi0wMQ=="


def cfg(state: Path, **tenants: Any) -> Config:
    return Config.model_validate({"state": {"path": str(state / "state.db")}, "tenants": tenants})


def put(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / "in" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def email(tmp: Path, tenant: str, day: int, who: list[str], mid: str) -> Path:
    at = START + timedelta(days=day)
    rows = [(w, duplicate("UserPrincipalName", w)) for w in who]
    return put(tmp, f"{mid}.eml", report_email(tenant, at, rows, f"{mid}@x"))


def open_tickets(config: Config) -> dict[str, Any]:
    return {k: v for k, v in outcome(config)["tickets"].items() if v["status"] == "open"}


@pytest.mark.parametrize("new", ["ann.smith@contoso.com", "zed@contoso.com"])
def test_object_renamed_then_6941_by_object_id_joins_the_current_identity(
    tmp_path: Path, new: str
) -> None:
    """csexport pairs O with ann@, then (UPN renamed) with ``new`` for four days: a 6941
    for O joins the newest pair's open problem, not ann@'s resolved one (whichever sorts
    first)."""
    config = cfg(tmp_path / "s", default="Contoso")
    replay([put(tmp_path, "cs0.xml", csexport([(OID, ANN, "x@contoso.com")], START))], config)
    for day in range(1, 5):
        cs = csexport([(OID, new, "x@contoso.com")], START + timedelta(days=day))
        replay([put(tmp_path, f"cs{day}.xml", cs)], config)
    live = open_tickets(config)
    assert len(live) == 1 and new in next(iter(live.values()))["summary"], live
    ev = events_6941([(OID, "x@contoso.com")], START + timedelta(days=5))
    replay([put(tmp_path, "ev.xml", ev)], config)
    live = open_tickets(config)
    assert len(live) == 1, {k: v["summary"] for k, v in live.items()}
    assert new in next(iter(live.values()))["summary"], live


def test_an_older_pair_read_after_a_newer_one_does_not_override_it(tmp_path: Path) -> None:
    """The csexports of the test above read newest first: the newer pair still wins."""
    config = cfg(tmp_path / "s", default="Contoso")
    new = "zed@contoso.com"
    for day in range(4, 0, -1):
        cs = csexport([(OID, new, "x@contoso.com")], START + timedelta(days=day))
        replay([put(tmp_path, f"cs{day}.xml", cs)], config)
    replay([put(tmp_path, "cs0.xml", csexport([(OID, ANN, "x@contoso.com")], START))], config)
    ev = events_6941([(OID, "x@contoso.com")], START + timedelta(days=5))
    replay([put(tmp_path, "ev.xml", ev)], config)
    live = open_tickets(config)
    assert len(live) == 1 and new in next(iter(live.values()))["summary"], live


def test_alias_added_after_both_spellings_had_tickets_leaves_no_ticket_open_forever(
    tmp_path: Path,
) -> None:
    """Emails said "Contoso Ltd." and csexports were filed under the default "Contoso": ann
    got a ticket under each. The admin then adds the alias. From then on ann is fixed and
    every report (both spellings) omits her: every ticket of hers must be resolved."""
    state = tmp_path / "state"
    before = cfg(state, default="Contoso")
    replay([email(tmp_path, "Contoso Ltd.", 0, [ANN, BOB], "a0")], before)
    cs0 = csexport([("QU5O", ANN, ANN), ("Qk9C", BOB, BOB)], START + timedelta(hours=1))
    replay([put(tmp_path, "cs0.xml", cs0)], before)
    assert len(open_tickets(before)) == 4  # two tenants as far as the tool could know
    after = cfg(state, default="Contoso", aliases={"Contoso": ["Contoso Ltd."]})
    for day in range(1, 6):
        replay([email(tmp_path, "Contoso Ltd.", day, [BOB], f"b{day}")], after)
        cs = csexport([("Qk9C", BOB, BOB)], START + timedelta(days=day, hours=1))
        replay([put(tmp_path, f"cs{day}.xml", cs)], after)
    still = open_tickets(after)
    assert all(ANN not in t["summary"] for t in still.values()), still
    # and bob, seen every day under both spellings, has one open ticket, not two
    assert len([t for t in still.values() if BOB in t["summary"]]) == 1, still


def test_tickets_tenant_filter_by_canonical_name_finds_tickets_filed_under_an_alias(
    tmp_path: Path,
) -> None:
    """Reports said "Contoso Ltd." before the alias Contoso = ["Contoso Ltd."] was added;
    they stay filed under it (established). ``tickets --tenant Contoso``, the configured
    canonical name, must still list them."""
    state = tmp_path / "s"
    replay([email(tmp_path, "Contoso Ltd.", 0, [ANN], "t1")], cfg(state))
    conf = tmp_path / "c.toml"
    conf.write_text(
        f'[state]\npath = "{state / "state.db"}"\n'
        '[tenants]\naliases = { "Contoso" = ["Contoso Ltd."] }\n'
    )
    argv = ["--config", str(conf), "tickets", "--tenant", "Contoso", "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-m", "dirsync_bridge", *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 1, done.stdout


def test_identity_spelled_nfc_in_an_email_and_nfd_in_a_csexport_is_one_problem(
    tmp_path: Path,
) -> None:
    """The same UPN, composed in one source and decomposed in another: one ticket."""
    config = cfg(tmp_path / "s", default="Contoso")
    nfc, nfd = "jos\u00e9@contoso.com", "jose\u0301@contoso.com"
    em = report_email("Contoso", START, [(nfc, duplicate("UserPrincipalName", nfc))], "e@x")
    cs = csexport([(OID, nfd, nfd)], START + timedelta(hours=1))
    replay([put(tmp_path, "e.eml", em), put(tmp_path, "cs.xml", cs)], config)
    tickets = outcome(config)["tickets"]
    assert len(tickets) == 1, [t["summary"] for t in tickets.values()]


def test_alias_added_later_hands_a_ticket_of_the_other_spelling_over_unchanged(
    tmp_path: Path,
) -> None:
    """bob was only ever reported under the other spelling: once joined, his problem is the
    established spelling's, and his ticket (key unchanged) stays his one open ticket; ann's
    (the established spelling's) is untouched."""
    state = tmp_path / "state"
    before = cfg(state, default="Contoso")
    replay([email(tmp_path, "Contoso Ltd.", 0, [ANN], "a0")], before)
    cs0 = csexport([("Qk9C", BOB, BOB)], START + timedelta(hours=1))
    first = put(tmp_path, "cs0.xml", cs0)
    replay([first], before)
    keys = {v["summary"]: k for k, v in open_tickets(before).items()}
    after = cfg(state, default="Contoso", aliases={"Contoso": ["Contoso Ltd."]})
    cs1 = csexport([("Qk9C", BOB, BOB)], START + timedelta(days=1))
    replay([put(tmp_path, "cs1.xml", cs1)], after)
    still = open_tickets(after)
    assert len(still) == 2, still
    bobs = [k for k, v in still.items() if BOB in v["summary"]]
    assert len(bobs) == 1 and bobs[0] in keys.values(), (bobs, keys)
    # the other spelling's export read again after the join: still "already seen"
    again = replay([first], after)
    assert again.already_seen == 1 and again.parsed == 0 and open_tickets(after) == still


def test_once_joined_the_other_spellings_reports_count_as_absences_of_every_problem(
    tmp_path: Path,
) -> None:
    """carol was reported once, under "Contoso Ltd."; three exports filed under "Contoso"
    (before the alias) did not list her. Joined, they are her tenant's reports: with the
    next report she is resolved, as if the alias had always been there."""
    carol = "carol@contoso.com"
    state = tmp_path / "state"
    before = cfg(state, default="Contoso")
    replay([email(tmp_path, "Contoso Ltd.", 0, [carol, BOB], "c0")], before)
    for day in range(1, 4):
        cs = csexport([("Qk9C", BOB, BOB)], START + timedelta(days=day))
        replay([put(tmp_path, f"cs{day}.xml", cs)], before)
    after = cfg(state, default="Contoso", aliases={"Contoso": ["Contoso Ltd."]})
    replay([email(tmp_path, "Contoso Ltd.", 4, [BOB], "c4")], after)
    still = open_tickets(after)
    assert all(carol not in t["summary"] for t in still.values()), still
