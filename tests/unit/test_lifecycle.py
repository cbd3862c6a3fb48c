"""The lifecycle rules of design.md section 4, each with its boundaries; plain data in and out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from dirsync_bridge.lifecycle import (
    FIRST,
    GONE_FROM_GRAPH,
    REOPENED,
    VERIFIED,
    Coverage,
    Decision,
    Episode,
    Observation,
    Policy,
    Tracked,
    decide,
    fold,
)
from dirsync_bridge.models import Conflict
from dirsync_bridge.problem import Details, Problem, Sighting

T0 = datetime(2019, 6, 1, 10, 0, tzinfo=UTC)
A = Details(
    kinds=("AttributeValueMustBeUnique",),
    conflicts=(Conflict(attribute="Mail", values=("a@x.com",)),),
)
B = Details(
    kinds=("AttributeValueMustBeUnique",),
    conflicts=(Conflict(attribute="Mail", values=("b@x.com",)),),
)
Q = Details(kinds=("QuarantinedAttributeValueMustBeUnique",))
POLICY = Policy(resolve_after_reports=3, reopen_within=timedelta(days=30), never_reopen=frozenset())


def tracked(status: str = "open", **kw: object) -> Tracked:
    base: dict[str, object] = {"episode": 0, "status": status, "details": A, "last_seen": T0}
    base.update(kw)
    return Tracked(**base)  # type: ignore[arg-type]


SEEN_A = Observation(True, A)
SEEN_B = Observation(True, B)
ABSENT = Observation(False)


@pytest.mark.parametrize(
    ("state", "observation", "policy", "now", "action"),
    [
        (None, SEEN_A, POLICY, T0, "create"),
        (None, ABSENT, POLICY, T0, "none"),
        (tracked(), SEEN_A, POLICY, T0, "touch"),
        (tracked(), SEEN_B, POLICY, T0, "comment"),
        (tracked(absent=0), ABSENT, POLICY, T0, "none"),
        (tracked(absent=1), ABSENT, POLICY, T0, "none"),
        (tracked(absent=2), ABSENT, POLICY, T0, "resolve"),  # the third consecutive absence
        (tracked(absent=0), ABSENT, replace(POLICY, resolve_after_reports=1), T0, "resolve"),
        (tracked(details=Q, absent=1), ABSENT, POLICY, T0, "none"),  # counted where covered
        (tracked(details=Q, absent=2), ABSENT, POLICY, T0, "resolve"),  # (``observe``)
        (tracked("resolved", resolved_at=T0, resolution="Done"), ABSENT, POLICY, T0, "none"),
        (
            tracked("resolved", resolved_at=T0, resolution="Done"),
            SEEN_A,
            POLICY,
            T0 + timedelta(days=30),
            "reopen",
        ),
        (
            tracked("resolved", resolved_at=T0, resolution="Done"),
            SEEN_B,
            POLICY,
            T0 + timedelta(days=30, seconds=1),
            "create-new-and-link",
        ),
        (
            tracked("resolved", resolved_at=T0, resolution="Won't Do"),
            SEEN_A,
            replace(POLICY, never_reopen=frozenset({"Won't Do"})),
            T0 + timedelta(days=1),
            "create-new-and-link",
        ),
        (
            tracked("resolved", resolved_at=T0, resolution="Done"),
            SEEN_A,
            replace(POLICY, never_reopen=frozenset({"Won't Do"})),
            T0 + timedelta(days=1),
            "reopen",
        ),
    ],
)
def test_decide(
    state: Tracked | None, observation: Observation, policy: Policy, now: datetime, action: str
) -> None:
    decision = decide(state, observation, policy, now)
    assert isinstance(decision, Decision)
    assert decision.action == action
    assert decision.reason


# ---------------------------------------------------------------------------------------------
# fold: histories of reports

PROBLEM = Problem(
    fingerprint="f" * 64,
    tenant="Contoso",
    family="duplicate",
    identity="j@x.com",
    object_key="identity:j@x.com",
)


def history(
    pattern: str, *, step: timedelta = timedelta(hours=3)
) -> tuple[list[Sighting], list[tuple[datetime, str]]]:
    """'A.A..B' -> sightings with details A/B where the letter is, absences at '.'."""
    timeline = [(T0 + i * step, f"r{i:03d}") for i in range(len(pattern))]
    details = {"A": A, "B": B, "Q": Q}
    sightings = [
        Sighting(
            problem=PROBLEM,
            report_key=key,
            at=at,
            details=details[mark],
            messages=("m",),
            tracking_ids=(),
            source=f"{key}.eml",
            subject=None,
        )
        for (at, key), mark in zip(timeline, pattern, strict=True)
        if mark != "."
    ]
    return sightings, timeline


def summary(
    pattern: str, policy: Policy = POLICY, step: timedelta = timedelta(hours=3)
) -> list[tuple[str, list[str]]]:
    sightings, timeline = history(pattern, step=step)
    return [(e.status, [c.key for c in e.comments]) for e in fold(sightings, timeline, policy)]


def test_seen_every_time_is_one_open_ticket_without_comments() -> None:
    sightings, timeline = history("AAAA")
    [episode] = fold(sightings, timeline, POLICY)
    assert (episode.status, episode.comments, episode.occurrences) == ("open", [], 4)
    assert episode.first_seen == T0 and episode.last_seen == T0 + timedelta(hours=9)


def test_absent_twice_stays_open_three_times_resolves() -> None:
    assert summary("A..") == [("open", [])]
    assert summary("A...") == [("resolved", ["0:resolved:0"])]


def test_changed_details_comment_once_per_change() -> None:
    assert summary("AABBA") == [("open", ["0:changed:0", "0:changed:1"])]


def test_reappearing_within_the_window_reopens_the_same_ticket() -> None:
    assert summary("A...A") == [("open", ["0:resolved:0", "0:reopened:0"])]


def test_reappearing_after_the_window_opens_a_new_ticket() -> None:
    # Resolved at the third absence (day 120), seen again on day 160: 40 days later.
    result = summary("A...A", step=timedelta(days=40))
    assert result == [("resolved", ["0:resolved:0"]), ("open", [])]


def test_reports_before_the_first_sighting_do_not_count() -> None:
    assert summary("....A") == [("open", [])]


def test_a_quarantine_is_never_resolved_by_its_absence_from_emails() -> None:
    # The emails name a quarantine once: their silence proves nothing (every report here
    # is an email's, as in a ledger from before coverage was kept).
    assert summary("Q........") == [("open", [])]


COVERAGES: dict[str, Coverage | None] = {
    "E": "unquarantined",  # a complete email or csexport file
    "G": "quarantined",  # a complete Graph provisioning-errors scan
    "I": None,  # an incomplete report: an event-log export, a scan that lost a page
}


def covered(pattern: str, kinds: str) -> list[Episode]:
    """``pattern`` as ``history``'s; ``kinds``: each report's source, E/G/I (COVERAGES)."""
    sightings, timeline = history(pattern)
    coverage = {key: COVERAGES[k] for (_at, key), k in zip(timeline, kinds, strict=True)}
    return fold(sightings, timeline, POLICY, coverage=coverage)


def test_complete_graph_scans_that_no_longer_list_a_quarantine_resolve_it() -> None:
    [episode] = covered("Q......", "GEGEGEG")  # the emails between them say nothing of it
    assert episode.status == "resolved"
    [comment] = episode.comments
    assert (comment.kind, comment.absent_reports, comment.note) == (
        "resolved",
        3,
        GONE_FROM_GRAPH,
    )
    assert comment.at == T0 + 6 * timedelta(hours=3)  # the third scan without it


def test_graph_scans_never_resolve_a_problem_only_the_emails_carry() -> None:
    [episode] = covered("A.........", "EGGGGGGGGG")
    assert episode.status == "open" and episode.comments == []


def test_an_incomplete_report_neither_counts_an_absence_nor_breaks_a_run_of_them() -> None:
    [episode] = covered("A.....", "EEIEIE")
    [comment] = episode.comments
    assert (comment.kind, comment.absent_reports, comment.note) == ("resolved", 3, None)
    assert comment.at == T0 + 5 * timedelta(hours=3)
    assert covered("A....", "EIIII")[0].status == "open"  # incomplete only: nothing


def test_resolution_comment_carries_the_facts() -> None:
    sightings, timeline = history("A...")
    [episode] = fold(sightings, timeline, POLICY)
    [comment] = episode.comments
    assert comment.absent_reports == 3
    assert comment.last_seen == T0
    assert comment.at == timeline[3][0]


def test_fold_is_the_same_whatever_order_the_sightings_come_in() -> None:
    sightings, timeline = history("AB..A...BB.A")
    forward = fold(sightings, timeline, POLICY)
    backward = fold(list(reversed(sightings)), timeline, POLICY)
    assert [(e.status, [c.key for c in e.comments]) for e in forward] == [
        (e.status, [c.key for c in e.comments]) for e in backward
    ]


# -- resolutions given by people in the sink, folded in at their own time ---------------------


def with_resolutions(pattern: str, resolutions: dict[int, list[tuple[datetime, str]]]) -> list:
    sightings, timeline = history(pattern)
    policy = replace(POLICY, never_reopen=frozenset({"Won't Do"}))
    return [
        (e.status, e.resolution, [c.key for c in e.comments])
        for e in fold(sightings, timeline, policy, resolutions)
    ]


def test_a_person_resolving_then_a_sighting_reopens() -> None:
    # Resolved by hand between the second and third report (T0 + 4h).
    result = with_resolutions("AAA", {0: [(T0 + timedelta(hours=4), "Done")]})
    assert result == [("open", None, ["0:reopened:0"])]


def test_a_never_reopen_resolution_makes_the_next_sighting_a_new_ticket() -> None:
    result = with_resolutions("AAA", {0: [(T0 + timedelta(hours=4), "Won't Do")]})
    assert result == [("resolved", "Won't Do", []), ("open", None, [])]


def test_a_resolution_after_the_last_report_is_the_final_state() -> None:
    result = with_resolutions("AA", {0: [(T0 + timedelta(days=2), "Won't Do")]})
    assert result == [("resolved", "Won't Do", [])]


def test_a_persons_resolution_of_a_ticket_already_resolved_renames_its_resolution() -> None:
    # The ticket in the sink holds the person's resolution: a sighting then opens a new
    # ticket (never_reopen), where the tool's own "Done" would have reopened it.
    late = T0 + timedelta(days=5)
    assert with_resolutions("A...", {0: [(late, "Won't Do")]}) == [
        ("resolved", "Won't Do", ["0:resolved:0"])
    ]
    assert with_resolutions("A...........A", {0: [(T0 + timedelta(hours=20), "Won't Do")]}) == [
        ("resolved", "Won't Do", ["0:resolved:0"]),
        ("open", None, []),
    ]


def test_the_tools_own_verification_of_a_ticket_already_resolved_changes_nothing() -> None:
    late = T0 + timedelta(days=5)
    assert with_resolutions("A...", {0: [(late, VERIFIED + "Graph shows none")]}) == [
        ("resolved", "Done", ["0:resolved:0"])
    ]


def test_a_person_reopening_a_resolved_ticket_opens_it_and_counts_absences_afresh() -> None:
    # Resolved after three absences (r003), reopened by a person at T0 + 10h (after r003):
    # open again, and resolved again only after three more absences (r004-r006).
    reopened = {0: [(T0 + timedelta(hours=10), REOPENED)]}
    assert with_resolutions("A.....", reopened) == [("open", None, ["0:resolved:0"])]
    assert with_resolutions("A......", reopened) == [
        ("resolved", "Done", ["0:resolved:0", "0:resolved:1"])
    ]
    # A person's reopening after a Won't Do: the next sighting goes on in the same ticket.
    wont_then_open = {
        0: [(T0 + timedelta(hours=1), "Won't Do"), (T0 + timedelta(hours=2), REOPENED)]
    }
    assert with_resolutions("A.A", wont_then_open) == [("open", None, [])]


def test_a_persons_resolution_met_by_the_tools_own_resolve_replaces_the_tools() -> None:
    # The tool went to resolve the ticket (absent from reports) and found a person had
    # just resolved it as Won't Do: the ticket holds theirs, so it is never reopened.
    late = T0 + timedelta(days=5)
    assert with_resolutions("A...", {0: [(late, FIRST + "Won't Do")]}) == [
        ("resolved", "Won't Do", ["0:resolved:0"])
    ]
