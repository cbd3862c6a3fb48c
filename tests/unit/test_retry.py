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
    budget = Budget(total_seconds=1000, clock=t.clock, sleep=t.sleep)
    assert budget.wait(5.0) and budget.wait(None) and budget.wait(None) and budget.wait(None)
    assert t.slept == [5.0, 2.0, 4.0, 8.0]


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
