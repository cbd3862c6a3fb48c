"""The retry policy: Retry-After read in both forms, waits bounded in attempts and time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.retry import MAX_SINGLE_WAIT, Budget, retry_after_seconds

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Sat, 28 Nov 2026 12:00:30 GMT", 30.0),
        ("Sat, 28 Nov 2026 11:00:00 GMT", 0.0),  # a date in the past: go now
        ("soon", None),
        ("nan", None),  # not a number: no wait asked (was 0 s, every attempt at once)
        ("-NaN", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_waits_what_the_server_asks_then_backs_off_exponentially_without_it() -> None:
    t = FakeTime()
    budget = Budget(total_seconds=1000, clock=t.clock, sleep=t.sleep, random=lambda: 0.999)
    assert budget.wait(5.0) and budget.wait(None) and budget.wait(None) and budget.wait(None)
    assert t.slept == pytest.approx([5.0, 2.0, 4.0, 8.0], abs=0.01)


def test_backoff_without_retry_after_has_jitter_and_never_drops_below_half() -> None:
    # Several clients throttled together must not come back together: each wait is drawn
    # between half and all of the exponential step (1, 2, 4, 8 s...), never near zero.
    t = FakeTime()
    draws = iter([0.0, 0.5, 0.25, 0.0])
    budget = Budget(total_seconds=1000, clock=t.clock, sleep=t.sleep, random=lambda: next(draws))
    assert all(budget.wait(None) for _ in range(4))
    assert t.slept == [0.5, 1.5, 2.5, 4.0]


def test_retry_after_is_honoured_as_given_whatever_the_jitter() -> None:
    t = FakeTime()
    budget = Budget(total_seconds=1000, clock=t.clock, sleep=t.sleep, random=lambda: 0.0)
    assert budget.wait(3.0) and budget.wait(0.0)
    assert t.slept == [3.0, 0.0]


def test_no_single_wait_is_longer_than_the_cap() -> None:
    t = FakeTime()
    budget = Budget(total_seconds=10_000, clock=t.clock, sleep=t.sleep)
    assert budget.wait(3600.0)
    assert t.slept == [MAX_SINGLE_WAIT]


def test_gives_up_when_the_next_wait_would_pass_the_total() -> None:
    t = FakeTime()
    budget = Budget(total_seconds=10, clock=t.clock, sleep=t.sleep)
    assert budget.wait(6.0)
    assert not budget.wait(6.0)
    assert t.slept == [6.0]


def test_gives_up_after_the_last_attempt() -> None:
    t = FakeTime()
    budget = Budget(total_seconds=1000, max_attempts=3, clock=t.clock, sleep=t.sleep)
    assert [budget.wait(0.0) for _ in range(4)] == [True, True, False, False]
