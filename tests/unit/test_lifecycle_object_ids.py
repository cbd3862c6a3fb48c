"""The fold and a sighting without on-premises object ids (design.md section 9): a source that
does not carry them (an email without that column) has not seen them go, as a sighting
without holders has not seen them change."""

from __future__ import annotations

from datetime import timedelta

from dirsync_bridge.lifecycle import Episode, fold
from dirsync_bridge.problem import Sighting

from .test_lifecycle import POLICY, PROBLEM, T0, A, B

NO_IDS = A  # an email without the "On-premises object ID" column
X = A.model_copy(update={"object_ids": ("oid-x",)})  # a csexport, an event 6941 export
Y = A.model_copy(update={"object_ids": ("oid-y",)})  # another object, same identity
B_NO_IDS = B  # the values changed, seen by an email
DETAILS = {"A": NO_IDS, "X": X, "Y": Y, "B": B_NO_IDS}


def folded(pattern: str, *, backwards: bool = False) -> list[Episode]:
    """'AXAX.' -> each letter a sighting with those details (``DETAILS``), '.' an absence."""
    timeline = [(T0 + i * timedelta(hours=3), f"r{i:03d}") for i in range(len(pattern))]
    sightings = [
        Sighting(
            problem=PROBLEM,
            report_key=key,
            at=at,
            details=DETAILS[mark],
            messages=("m",),
            tracking_ids=(),
            source=f"{key}.{'eml' if mark in 'AB' else 'xml'}",
            subject=None,
        )
        for (at, key), mark in zip(timeline, pattern, strict=True)
        if mark != "."
    ]
    if backwards:
        sightings.reverse()
    return fold(sightings, timeline, POLICY)


def test_sources_taking_turns_comment_once_when_the_id_is_first_learnt() -> None:
    [episode] = folded("AXAXA")
    [comment] = episode.comments
    assert comment.kind == "changed" and comment.key == "0:changed:0"
    assert comment.before is not None and comment.before.object_ids == ()
    assert comment.after is not None and comment.after.object_ids == ("oid-x",)
    assert episode.details.object_ids == ("oid-x",) and episode.occurrences == 5


def test_opened_with_the_id_no_source_without_it_changes_anything() -> None:
    [episode] = folded("XAXAAX")
    assert episode.comments == [] and episode.details == X and episode.changed_by is None


def test_another_id_from_a_source_that_carries_them_is_a_change() -> None:
    [episode] = folded("XAYA")
    [comment] = episode.comments
    assert comment.before == X and comment.after == Y
    assert episode.details == Y


def test_a_change_seen_by_a_source_without_ids_keeps_the_ids() -> None:
    [episode] = folded("XB")
    [comment] = episode.comments
    assert comment.after is not None and comment.after.object_ids == ("oid-x",)
    assert comment.after.conflicts == B.conflicts
    assert episode.changed_by is not None and episode.changed_by.details.object_ids == ("oid-x",)


def test_reopened_by_a_source_without_ids_keeps_the_ids() -> None:
    [episode] = folded("X...A")
    assert [c.kind for c in episode.comments] == ["resolved", "reopened"]
    assert episode.comments[1].after == X and episode.details == X


def test_the_same_whatever_order_the_sightings_come_in() -> None:
    for pattern in ("AXAXA", "XAYA.A", "XB..AXA"):
        assert folded(pattern) == folded(pattern, backwards=True), pattern
