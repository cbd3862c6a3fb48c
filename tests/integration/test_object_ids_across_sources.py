"""One problem's on-premises object id across sources that do and do not carry it (design.md
section 9). Emails mostly have no "On-premises object ID" column; csexport and event-log
exports always carry the id. A source that does not carry it has not seen it go: the ticket
keeps the ids last seen by a source that carries them, and no "changed" comment (a real write
in Jira) follows every switch of source."""

from __future__ import annotations

import importlib
import itertools
from datetime import timedelta
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.lifecycle import Tracked
from dirsync_bridge.pipeline import replay
from dirsync_bridge.problem import Sighting

from ..exportgen import csexport, email_with_object_ids, events_6941
from ..reportgen import duplicate, report_email
from .conftest import local_tickets, outcome
from .test_cross_source import START, make_config, write

# The module, not the function the package exports under its name.
folding = importlib.import_module("dirsync_bridge.lifecycle.fold")

BOB, OID, OTHER = "bob@contoso.com", "Zm9vYmFyYmF6cXV4MTIzNA==", "T1RIRVItb2JqZWN0LTk5"


def _file(folder: Path, number: int, kind: str) -> Path:
    """Report ``number`` (a day apart) of bob@'s one problem, by one source: an email
    without the object-id column ("email"), with it but the cell blank ("blank"), with it
    naming another object ("other"), a csexport file ("cs"), an event 6941 export ("ev")."""
    at = START + timedelta(days=number)
    row = duplicate("UserPrincipalName", BOB)
    data = {
        "email": lambda: report_email("Contoso", at, [(BOB, row)], f"m{number}@mixed.test"),
        "blank": lambda: email_with_object_ids("Contoso", at, [(BOB, None, BOB)], f"b{number}@x"),
        "other": lambda: email_with_object_ids("Contoso", at, [(BOB, OTHER, BOB)], f"o{number}@x"),
        "cs": lambda: csexport([(OID, BOB, BOB)], at),
        "ev": lambda: events_6941([(OID, BOB)], at),
    }[kind]()
    return write(folder, f"{number:02d}-{kind}.{'xml' if kind in ('cs', 'ev') else 'eml'}", data)


def _comments(config: Config) -> list[str]:
    (ticket,) = local_tickets(config)
    return list(ticket.comments.values())


def test_an_email_without_an_object_id_column_does_not_make_the_id_gone(tmp_path: Path) -> None:
    plan = ["email", "cs", "email", "cs", "email"]
    paths = [_file(tmp_path / "in", n, kind) for n, kind in enumerate(plan)]
    config = make_config(tmp_path / "state")
    runs = [replay([path], config, enrich=False) for path in paths]
    comments = _comments(config)
    assert not [c for c in comments if "object IDs gone" in c], comments
    # The first csexport taught the ticket the id: that comment, once; then nothing to write.
    (added,) = comments
    assert "object IDs added" in added and OID in added
    assert [(r.commented, r.updated) for r in runs[2:]] == [(0, 0)] * 3
    (ticket,) = local_tickets(config)
    assert OID in ticket.content.description


def test_opened_by_an_export_the_id_stays_through_every_source_without_it(
    tmp_path: Path,
) -> None:
    plan = ["cs", "email", "blank", "ev", "email", "blank"]
    paths = [_file(tmp_path / "in", n, kind) for n, kind in enumerate(plan)]
    config = make_config(tmp_path / "state")
    for path in paths:
        replay([path], config, enrich=False)
    assert _comments(config) == []
    (ticket,) = local_tickets(config)
    assert ticket.status == "open" and OID in ticket.content.description


def test_a_source_carrying_another_object_id_is_still_a_change(tmp_path: Path) -> None:
    plan = ["cs", "email", "other", "email"]
    paths = [_file(tmp_path / "in", n, kind) for n, kind in enumerate(plan)]
    config = make_config(tmp_path / "state")
    for path in paths:
        replay([path], config, enrich=False)
    (changed,) = _comments(config)
    assert f"object IDs gone: {OID}" in changed and f"object IDs added: {OTHER}" in changed
    (ticket,) = local_tickets(config)
    assert OTHER in ticket.content.description and OID not in ticket.content.description


def test_alternating_sources_in_one_replay_in_any_order_end_as_read_one_at_a_time(
    tmp_path: Path,
) -> None:
    plan = ["email", "cs", "email", "ev", "blank", "cs", "email"]
    paths = [_file(tmp_path / "in", n, kind) for n, kind in enumerate(plan)]
    chronological = make_config(tmp_path / "chronological")
    for path in paths:
        replay([path], chronological, enrich=False)
    expected = outcome(chronological)
    orders = [list(reversed(paths)), paths[1::2] + paths[0::2], paths[3:] + paths[:3]]
    orders += [list(order) for order in itertools.islice(itertools.permutations(paths), 0, 4)]
    for number, order in enumerate(orders):
        config = make_config(tmp_path / f"run{number}")
        replay(order, config, enrich=False)
        assert outcome(config) == expected, [p.name for p in order]


def _as_before(sighting: Sighting, tracked: Tracked) -> Sighting:
    """The judgement of lifecycle version 2: only holders not looked up were no news."""
    if sighting.details.holders is not None:
        return sighting
    carried = sighting.details.model_copy(update={"holders": tracked.details.holders})
    return sighting.model_copy(update={"details": carried})


def _rules_back_to_lifecycle_2(config: Config) -> None:
    """The ledger's recorded rules set back to lifecycle version 2, as the build before left
    them."""
    ledger = Ledger.open(config.state.path)
    try:
        with ledger.conn:
            ledger.conn.execute(
                "UPDATE lifecycle_rules SET rules = replace(rules, '\"lifecycle\": 3', "
                "'\"lifecycle\": 2')"
            )
    finally:
        ledger.close()


def test_a_ledger_the_judgement_before_built_is_folded_again_and_its_tickets_follow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stepped on from, the states an older build kept would not be what a fold of their
    # history is (the ids gone, the comments counted otherwise): the lifecycle's version
    # in the rules builds them again, once, and the tickets are brought to the fold.
    plan = ["email", "cs", "email", "cs", "email", "cs"]
    paths = [_file(tmp_path / "in", n, kind) for n, kind in enumerate(plan)]
    config = make_config(tmp_path / "state")
    monkeypatch.setattr(folding, "_carried", _as_before)
    for path in paths[:5]:
        replay([path], config, enrich=False)
    assert len(_comments(config)) == 4  # what that build wrote
    _rules_back_to_lifecycle_2(config)
    monkeypatch.undo()
    replay([paths[5]], config, enrich=False)
    (added,) = _comments(config)
    assert "object IDs added" in added and OID in added
    reference = make_config(tmp_path / "reference")
    for path in paths:
        replay([path], reference, enrich=False)
    assert outcome(config) == outcome(reference)
