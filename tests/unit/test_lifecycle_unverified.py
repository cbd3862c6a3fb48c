"""The re-check's withdrawal of a verification (``UNVERIFIED``) in the fold.

Hostile review rev25: the fold withdrew a verification whenever the last *comment* was the
"verified" one; a person's resolution or reopening adds no comment, so a ticket a person
closed since (Won't Do, or reopened and closed again) was reopened by the withdrawal. Only
a ticket still resolved by the verification itself is reopened.
"""

from __future__ import annotations

from datetime import timedelta

from dirsync_bridge.lifecycle import REOPENED, UNVERIFIED, VERIFIED

from .test_lifecycle import T0, with_resolutions

VERIFIED_AT = T0 + timedelta(hours=1)
WITHDRAWN_AT = T0 + timedelta(days=1)


def test_a_verification_that_still_stands_is_withdrawn() -> None:
    events = [(VERIFIED_AT, VERIFIED + "only a"), (WITHDRAWN_AT, UNVERIFIED + "no id")]
    assert with_resolutions("A", {0: events}) == [
        ("open", None, ["0:verified:0", "0:unverified:0"])
    ]


def test_a_persons_resolution_since_the_verification_is_not_withdrawn() -> None:
    for persons in (
        [(VERIFIED_AT + timedelta(minutes=1), "Won't Do")],
        [
            (VERIFIED_AT + timedelta(minutes=1), REOPENED),
            (VERIFIED_AT + timedelta(minutes=2), "Won't Do"),
        ],
        # Reopened and closed as Done by hand: the same name as the tool's, but theirs.
        [
            (VERIFIED_AT + timedelta(minutes=1), REOPENED),
            (VERIFIED_AT + timedelta(minutes=2), "Done"),
        ],
    ):
        events = [(VERIFIED_AT, VERIFIED + "only a"), *persons, (WITHDRAWN_AT, UNVERIFIED + "x")]
        (episode,) = with_resolutions("A", {0: events})
        status, resolution, comments = episode
        assert status == "resolved", persons
        assert resolution == persons[-1][1]
        assert comments == ["0:verified:0"], persons
