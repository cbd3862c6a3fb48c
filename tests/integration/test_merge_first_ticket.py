"""Both problems of one object already had tickets when the pair was learned: the first
ticket stays (design.md section 9), whichever problem it was made for.

Run 1 reads an event 6941 (the object by its id alone: ticket A), run 2 an email (the
object by its identity alone: ticket B), run 3 a csexport file that names both keys: the
object-id problem is merged into the identity's. A, the older, the one the helpdesk has been
working in, stays open and is refreshed to name the identity; B is resolved as merged into
A. The mirror (the identity's ticket made first) keeps the identity's ticket.
"""

from __future__ import annotations

import signal
from datetime import timedelta
from pathlib import Path

import pytest

from dirsync_bridge import bootstrap
from dirsync_bridge.fingerprint import fingerprint, label
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay

from ..exportgen import csexport, events_6941
from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator
from .conftest import local_tickets, outcome
from .jira_scenes import markers
from .test_cross_source import OBJECTS, START, cli_replayer, make_config, write
from .test_jira_sink import jira_config, outcome_leftovers, token_env
from .test_tenant_pairs import ANN, BOB, cfg, email

WHO, OBJECT_ID = OBJECTS[0]
BY_ID = fingerprint("contoso", "duplicate", f"object-id:{OBJECT_ID}")
BY_IDENTITY = fingerprint("contoso", "duplicate", f"identity:{WHO}")


def inputs(folder: Path) -> tuple[Path, Path, Path]:
    """The event 6941 (id alone), the email (identity alone), the csexport (both), an hour
    apart in that order of report time."""
    ev = write(folder, "ev.xml", events_6941([(OBJECT_ID, WHO)], START))
    email = write(
        folder,
        "email.eml",
        report_email(
            "Contoso",
            START + timedelta(hours=1),
            [(WHO, duplicate("UserPrincipalName", WHO))],
            "e@x",
        ),
    )
    cs = write(folder, "cs.xml", csexport([(OBJECT_ID, WHO, WHO)], START + timedelta(hours=2)))
    return ev, email, cs


def test_the_object_ids_older_ticket_stays_and_the_identitys_newer_one_is_merged_into_it(
    tmp_path: Path,
) -> None:
    ev, email, cs = inputs(tmp_path / "in")
    config = make_config(tmp_path / "state")
    assert replay([ev], config).created == 1
    (a,) = local_tickets(config)
    assert WHO not in a.content.summary
    assert replay([email], config).created == 1
    (b,) = [t for t in local_tickets(config) if t.key != a.key]
    assert b.idempotency_key.startswith(f"{BY_IDENTITY}:")

    third = replay([cs], config)
    assert third.created == 0 and list(third.problems) == [], third
    now = {t.key: t for t in local_tickets(config)}
    assert set(now) == {a.key, b.key}
    kept, merged = now[a.key], now[b.key]
    # A: open, its key and label unchanged, now naming the identity.
    assert kept.status == "open", kept
    assert kept.idempotency_key == a.idempotency_key
    assert WHO in kept.content.summary
    assert f"Fingerprint: {BY_ID}" in kept.content.description
    # B: resolved, naming A by its label.
    assert merged.status == "resolved", merged
    notes = [body for k, body in merged.comments.items() if ":superseded:" in k]
    assert notes == [
        f"Merged into the ticket labelled {label(BY_ID)}: reports read later show this was "
        "one problem all along."
    ], merged.comments
    assert not any(":superseded:" in k for k in kept.comments), kept.comments
    for ticket in (kept, merged):
        bodies = list(ticket.comments.values())
        assert len(bodies) == len(set(bodies)), ticket.comments
    # The ledger tracks A under the survivor (the identity's problem), B under the retired.
    ledger = Ledger.open(config.state.path)
    try:
        assert ledger.merged_into(BY_ID) == BY_IDENTITY
        assert ledger.ticket_of(a.key) == (BY_IDENTITY, 0)
        assert ledger.ticket_of(b.key) == (BY_ID, 0)
    finally:
        ledger.close()

    before = outcome(config)
    again = replay([ev, email, cs], config)
    assert (again.created, again.updated, again.resolved) == (0, 0, 0), again
    assert outcome(config) == before
    assert before["leftovers"] == {"intents": 0, "dirty": 0, "pending": 0}


def test_the_identitys_older_ticket_stays_as_before(tmp_path: Path) -> None:
    """The mirror: the identity's ticket was made first; it stays, the object id's is
    resolved, naming it (the outcome before this change)."""
    ev, email, cs = inputs(tmp_path / "in")
    config = make_config(tmp_path / "state")
    replay([email], config)
    (b,) = local_tickets(config)
    replay([ev], config)
    (a,) = [t for t in local_tickets(config) if t.key != b.key]
    replay([cs], config)
    now = {t.key: t for t in local_tickets(config)}
    assert now[b.key].status == "open" and now[b.key].idempotency_key == b.idempotency_key
    assert now[a.key].status == "resolved"
    assert any(
        body.startswith(f"Merged into the ticket labelled {label(BY_IDENTITY)}:")
        for body in now[a.key].comments.values()
    ), now[a.key].comments
    before = outcome(config)
    replay([ev, email, cs], config)
    assert outcome(config) == before


def test_in_jira_the_older_issue_stays_and_the_newer_is_resolved_naming_it(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim = jira_cloud
    ev, email, cs = inputs(tmp_path / "in")
    config = jira_config(sim, tmp_path / "state").model_copy(
        update={"tenants": make_config(tmp_path).tenants, "trust": make_config(tmp_path).trust}
    )
    env = token_env(sim)
    assert replay([ev], config, env=env).created == 1
    (a,) = sim.issues
    labels = list(sim.issues[a].fields["labels"])
    assert replay([email], config, env=env).created == 1
    (b,) = [k for k in sim.issues if k != a]

    third = replay([cs], config, env=env)
    assert third.created == 0 and third.attention == third.unconfirmed == [], third
    assert sorted(sim.issues) == sorted([a, b])  # no third issue
    assert sim.issues[a].status != "Done"
    assert sim.issues[a].fields["labels"] == labels
    assert WHO in sim.issues[a].fields["summary"]
    assert sim.issues[b].status == "Done"
    assert any(
        f"Merged into the ticket labelled {label(BY_ID)}:" in c.body for c in sim.issues[b].comments
    ), [c.body for c in sim.issues[b].comments]
    for key in (a, b):
        ms = markers(sim, key)
        assert len(ms) == len(set(ms)), (key, ms)
    assert not any(":superseded:" in m for m in markers(sim, a))

    sim.reset_log()
    again = replay([ev, email, cs], config, env=env)
    assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]
    assert again.created == again.updated == again.resolved == 0


@pytest.mark.parametrize("never_reopen", [["Won't Do"], []])
def test_in_jira_an_older_issue_a_person_closed_does_not_displace_the_open_one(
    tmp_path: Path, jira_cloud: JiraSimulator, never_reopen: list[str]
) -> None:
    """A person closed A as Won't Do before the identity's B was made: B, open, the one
    being worked, stays; A stays closed as they left it, with a note naming B. (Review
    rev33: A was kept, B resolved as merged into the closed A, and without ``never_reopen``
    a third issue C opened for the object.)"""
    sim = jira_cloud
    ev, email, cs = inputs(tmp_path / "in")
    config = jira_config(sim, tmp_path / "state", never_reopen=never_reopen).model_copy(
        update={"tenants": make_config(tmp_path).tenants, "trust": make_config(tmp_path).trust}
    )
    env = token_env(sim)
    replay([ev], config, env=env)
    (a,) = sim.issues
    sim.resolve_by_hand(a, "Won't Do")
    replay([email], config, env=env)
    (b,) = [k for k in sim.issues if k != a]
    replay([cs], config, env=env)
    assert sorted(sim.issues) == sorted([a, b])  # no third issue
    assert (sim.issues[a].status, sim.issues[a].resolution) == ("Done", "Won't Do")
    assert sim.issues[b].status != "Done"
    assert any(
        f"Merged into the ticket labelled {label(BY_IDENTITY)}:" in c.body
        for c in sim.issues[a].comments
    ), [c.body for c in sim.issues[a].comments]
    for key in (a, b):
        ms = markers(sim, key)
        assert len(ms) == len(set(ms)), (key, ms)
    sim.reset_log()
    replay([ev, email, cs], config, env=env)
    assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]


def test_in_jira_the_kept_issue_deleted_by_a_person_gives_back_the_survivors_own(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """After the trade, the survivor's own issue (resolved as merged) holds the key a new
    issue for its episode would be made with: once a person deletes the kept one, that issue
    is reopened, not a second made under its key (nor a run stopped on the ledger's
    uniqueness of keys)."""
    sim = jira_cloud
    ev, email, cs = inputs(tmp_path / "in")
    config = jira_config(sim, tmp_path / "state").model_copy(
        update={"tenants": make_config(tmp_path).tenants, "trust": make_config(tmp_path).trust}
    )
    env = token_env(sim)
    for path in (ev, email, cs):
        replay([path], config, env=env)
    (a,) = [k for k in sim.issues if label(BY_ID) in sim.issues[k].fields["labels"]]
    (b,) = [k for k in sim.issues if k != a]
    assert sim.issues[b].status == "Done"
    sim.delete_by_hand(a)
    later = write(
        tmp_path / "in",
        "later.eml",
        report_email(
            "Contoso",
            START + timedelta(hours=3),
            [(WHO, duplicate("UserPrincipalName", WHO))],
            "l@x",
        ),
    )
    for _ in range(2):  # the first pass may learn of the deletion only when it writes
        summary = replay([later], config, env=env)
        assert list(summary.problems) == [] and summary.attention == [], summary
    assert list(sim.issues) == [b]
    assert sim.issues[b].status != "Done"
    assert WHO in sim.issues[b].fields["summary"]
    assert not any(":superseded:" in m for m in markers(sim, b))
    ledger = Ledger.open(config.state.path)
    try:
        assert ledger.ticket_of(b) == (BY_IDENTITY, 0)
        assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
    finally:
        ledger.close()


def test_joined_tenant_spellings_keep_the_older_ticket_of_the_other_spelling(
    tmp_path: Path,
) -> None:
    """Two spellings of one tenant, each with a ticket for ann: the other spelling's
    ("Contoso Ltd.", run 2) made before the established one's ("Contoso", run 3). Once the
    alias joins them, the older stays open, refreshed; the newer is resolved, naming it."""
    state = tmp_path / "state"
    before = cfg(state)
    replay([email(tmp_path, "Contoso", 0, [BOB], "e0")], before)  # "Contoso" established
    replay([email(tmp_path, "Contoso Ltd.", 1, [ANN], "o1")], before)
    replay([email(tmp_path, "Contoso", 2, [ANN, BOB], "e2")], before)
    older, newer = [t for t in local_tickets(before) if ANN in t.content.summary]
    after = cfg(state, aliases={"Contoso": ["Contoso Ltd."]})
    replay([email(tmp_path, "Contoso Ltd.", 3, [ANN, BOB], "o3")], after)
    now = {t.key: t for t in local_tickets(after)}
    assert now[older.key].status == "open", now[older.key]
    assert now[older.key].idempotency_key == older.idempotency_key
    assert now[older.key].content.summary.endswith(f"{ANN} (Contoso)")
    assert now[newer.key].status == "resolved"
    first = older.idempotency_key.rpartition(":")[0]
    assert any(
        body.startswith(f"Merged into the ticket labelled {label(first)}:")
        for body in now[newer.key].comments.values()
    ), now[newer.key].comments
    assert len([t for t in now.values() if t.status == "open"]) == 2  # ann's and bob's
    snapshot = outcome(after)
    replay([email(tmp_path, "Contoso Ltd.", 3, [ANN, BOB], "o3")], after)
    assert outcome(after) == snapshot


@pytest.mark.slow
def test_killed_after_the_merge_before_any_ticket_write_a_rerun_ends_the_same(
    tmp_path: Path,
) -> None:
    ev, email, cs = inputs(tmp_path / "in")
    calm = make_config(tmp_path / "calm")
    for path in (ev, email, cs):
        replay([path], calm)
    expected = outcome(calm)

    config = make_config(tmp_path / "crashed")
    replay_cli = cli_replayer(config, tmp_path / "crashed.toml")
    assert replay_cli(ev) == 0
    assert replay_cli(email) == 0
    # The pair learned, the tickets traded (committed), then death before any ticket write.
    assert replay_cli(cs, crash="after-identities:1") == -signal.SIGKILL
    assert replay_cli(cs) == 0
    assert outcome(config) == expected
    assert replay_cli(ev, email, cs) == 0
    assert outcome(config) == expected


def test_a_write_of_unknown_outcome_on_either_ticket_keeps_the_survivors_as_before(
    tmp_path: Path,
) -> None:
    """An intent left on the older ticket (a write whose outcome is not known yet) is
    settled against the (problem, episode) it was begun for: no trade then, the identity's
    ticket stays (the safe outcome of before). Without the intent, the same ledger trades."""
    ev, email, _cs = inputs(tmp_path / "in")
    for name, unsure in (("unsure", True), ("sure", False)):
        config = make_config(tmp_path / name)
        replay([ev], config)
        (a,) = local_tickets(config)
        replay([email], config)
        ledger = Ledger.open(config.state.path)
        try:
            ledger.use_rules(bootstrap.policy(config))
            if unsure:
                ledger.begin(BY_ID, 0, f"{BY_ID}:0", "put-comment")
            assert ledger.learn_identities("Contoso", [(OBJECT_ID, WHO)], START) == 1
            kept_by = BY_ID if unsure else BY_IDENTITY
            assert ledger.ticket_of(a.key) == (kept_by, 0), name
        finally:
            ledger.close()


@pytest.mark.parametrize(
    ("made", "steps"),
    [("XAB", "merge, join"), ("AXB", "join, merge"), ("ABX", "join, merge")],
)
def test_a_chain_of_merges_leaves_every_merged_ticket_naming_the_one_that_stays(
    tmp_path: Path, made: str, steps: str
) -> None:
    """Three tickets for ann, in the order ``made``: A (event 6941, object id alone), B (an
    email of "Contoso"), X (an email of "Contoso Ltd."). Then the pair is learned (merge)
    and the spellings are joined (join), in the order ``steps``. Each trade changes which
    ticket the survivor keeps: every ticket resolved as merged, including one merged by an
    earlier step, must name the one left open, not one closed as merged since."""
    state = tmp_path / "state"
    before = cfg(state, default="Contoso")
    after = cfg(state, default="Contoso", aliases={"Contoso": ["Contoso Ltd."]})
    replay([email(tmp_path, "Contoso", 0, [BOB], "e0")], before)  # "Contoso" established
    files = {
        "A": write(tmp_path / "in", "ev.xml", events_6941([(OBJECT_ID, WHO)], START)),
        "B": email(tmp_path, "Contoso", 1, [ANN, BOB], "b1"),
        "X": email(tmp_path, "Contoso Ltd.", 1, [ANN], "x1"),
    }
    for name in made:
        assert replay([files[name]], before).created == 1
    cs = write(tmp_path / "in", "cs.xml", csexport([(OBJECT_ID, WHO, WHO)], START + timedelta(2)))
    join = email(tmp_path, "Contoso Ltd.", 3, [ANN, BOB], "o3")
    for step in steps.split(", "):
        if step == "merge":
            replay([cs], before)
        else:
            replay([join], after)

    anns = [t for t in local_tickets(after) if t.key != "LOCAL-1"]  # LOCAL-1: bob's
    (kept,) = [t for t in anns if t.status == "open"]
    # The one kept is the one made first (keys are numbered in the order of the creates).
    assert kept.idempotency_key == min(anns, key=lambda t: int(t.key[6:])).idempotency_key
    name = label(kept.idempotency_key.rpartition(":")[0])
    for ticket in anns:
        if ticket is kept:
            continue
        assert ticket.status == "resolved", ticket.key
        notes = [b for k, b in ticket.comments.items() if ":superseded:" in k]
        assert len(notes) == 1 and f"labelled {name}:" in notes[0], (ticket.key, name, notes)
    snapshot = outcome(after)
    again = replay([*files.values(), cs, join], after)
    assert (again.created, again.updated, again.resolved) == (0, 0, 0), again
    assert outcome(after) == snapshot


@pytest.mark.parametrize("never_reopen", [["Won't Do"], []])
def test_in_jira_an_older_identity_issue_a_person_closed_does_not_displace_the_open_one(
    tmp_path: Path, jira_cloud: JiraSimulator, never_reopen: list[str]
) -> None:
    """The mirror of the test above (review rev36): the identity's B was made first and a
    person closed it as Won't Do before the object id's A was made. A, open, the one being
    worked, must stay open whichever problem the closed ticket was made for: the kept ticket
    must not hang on the order the reports were read in."""
    sim = jira_cloud
    ev, email, cs = inputs(tmp_path / "in")
    config = jira_config(sim, tmp_path / "state", never_reopen=never_reopen).model_copy(
        update={"tenants": make_config(tmp_path).tenants, "trust": make_config(tmp_path).trust}
    )
    env = token_env(sim)
    replay([email], config, env=env)
    (b,) = sim.issues
    sim.resolve_by_hand(b, "Won't Do")
    replay([ev], config, env=env)
    (a,) = [k for k in sim.issues if k != b]
    replay([cs], config, env=env)
    assert sorted(sim.issues) == sorted([a, b])  # no third issue
    assert (sim.issues[b].status, sim.issues[b].resolution) == ("Done", "Won't Do")
    assert sim.issues[a].status != "Done", [c.body for c in sim.issues[a].comments]
    for key in (a, b):
        ms = markers(sim, key)
        assert len(ms) == len(set(ms)), (key, ms)
    sim.reset_log()
    replay([ev, email, cs], config, env=env)
    assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]


def test_in_jira_an_older_issue_a_person_closed_then_reopened_stays(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """A person closed A as Won't Do and then reopened it: A is worked again, the older
    one, and stays; B is resolved as merged into it (review rev36: any resolution ever
    recorded for A, reopened since or not, kept B and closed A as merged into it)."""
    sim = jira_cloud
    ev, email, cs = inputs(tmp_path / "in")
    config = jira_config(sim, tmp_path / "state", never_reopen=["Won't Do"]).model_copy(
        update={"tenants": make_config(tmp_path).tenants, "trust": make_config(tmp_path).trust}
    )
    env = token_env(sim)
    replay([ev], config, env=env)
    (a,) = sim.issues
    later = [
        write(
            tmp_path / "in",
            f"ev{n}.xml",
            events_6941([(OBJECT_ID, WHO)], START + timedelta(minutes=n)),
        )
        for n in (10, 20)
    ]
    sim.resolve_by_hand(a, "Won't Do")
    replay([later[0]], config, env=env)  # the resolution is seen and recorded
    sim.move_by_hand(a, "To Do", resolution=False)  # a person reopens it
    replay([later[1]], config, env=env)  # the reopening is seen and recorded
    assert sim.issues[a].status != "Done"
    replay([email], config, env=env)
    (b,) = [k for k in sim.issues if k != a]
    replay([cs], config, env=env)
    assert sorted(sim.issues) == sorted([a, b])  # no third issue
    assert sim.issues[a].status != "Done", [c.body for c in sim.issues[a].comments]
    assert sim.issues[b].status == "Done"
    assert any(
        f"Merged into the ticket labelled {label(BY_ID)}:" in c.body for c in sim.issues[b].comments
    ), [c.body for c in sim.issues[b].comments]
    sim.reset_log()
    replay([ev, email, cs], config, env=env)
    assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]


def test_an_older_ticket_this_tool_verified_cleared_is_still_the_first(tmp_path: Path) -> None:
    """A, the object id's older ticket, was resolved by this tool's own verification (Graph
    showed the conflict gone), not by a person: like one closed by the reports, it is still
    the first and stays; B is resolved as merged into it (review rev36: any resolution
    recorded, the tool's own included, kept B)."""
    from dirsync_bridge.lifecycle import VERIFIED

    ev, email, cs = inputs(tmp_path / "in")
    config = make_config(tmp_path / "state")
    replay([ev], config)
    (a,) = local_tickets(config)
    ledger = Ledger.open(config.state.path)
    try:
        ledger.record_resolution(
            BY_ID,
            0,
            VERIFIED + "the conflict is gone",
            START + timedelta(minutes=30),
            in_sink=False,
        )
    finally:
        ledger.close()
    replay([email], config)
    (b,) = [t for t in local_tickets(config) if t.key != a.key]
    replay([cs], config)
    now = {t.key: t for t in local_tickets(config)}
    assert set(now) == {a.key, b.key}
    assert now[b.key].status == "resolved", now[b.key]
    assert any(
        body.startswith(f"Merged into the ticket labelled {label(BY_ID)}:")
        for body in now[b.key].comments.values()
    ), now[b.key].comments
    assert now[a.key].status == "open", now[a.key]
    before = outcome(config)
    replay([ev, email, cs], config)
    assert outcome(config) == before
