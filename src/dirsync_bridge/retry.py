"""The one retry policy for every upstream: how long to wait, and when to give up.

A server that answers 429 or 503 usually says how long to wait (``Retry-After``, in seconds
or as an HTTP date), and we wait exactly that. Without it we back off exponentially (1, 2,
4, 8 s...) with jitter: each wait is drawn between half and all of its step, so the four
requests a throttled pass has in flight do not all come back at the same instant, and no
wait is ever near zero (Graph: "avoid immediate retries, because all requests accrue
against your usage limits", apis.md 1.4). Either way the total time is bounded, so a cron
pass never hangs: past the budget the caller gets ``Retriable`` (exit 75) and the next pass
starts over. The clock, the sleep and the random draw are parameters, so the policy is
tested without waiting.
"""

from __future__ import annotations

import math
import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final, TypeVar

from . import interrupt

T = TypeVar("T")

RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
"""Statuses that mean "busy or briefly down", never "your request is wrong". A 500 is in:
Graph answers ``generalException`` and Jira an internal error for faults that pass, and a
request that keeps failing so ends in ``Retriable`` (exit 75), not in a configuration error.
A *write* answered 5xx is different: it may have happened (the sinks settle it by reading)."""


def no_answer(status: int, location: str | None) -> str:
    """A 3xx that is no redirect followed or named (Graph, its login host, Jira), said as it
    is: no answer, retried like a 503."""
    # 300, 304 and 305 are no redirect to requests, Location or not: "without a Location"
    # was said of them too (left by reviews). An empty Location is none.
    if (location or "").strip():
        return f"HTTP {status} with a Location, which is no redirect to follow (not an answer)"
    return f"HTTP {status} without a Location (not an answer)"


FIRST_BACKOFF: Final = 1.0
MAX_SINGLE_WAIT: Final = 60.0
"""No single wait is longer than this, whatever ``Retry-After`` asks for."""


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (it may be a number or an HTTP date); None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # "nan" reads as a float, and max(0.0, nan) is 0.0: every attempt would go at once.
        return None if math.isnan(seconds) else max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class Budget:
    """Attempts and time left for one operation's retries."""

    total_seconds: float
    max_attempts: int = 8
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = interrupt.pause
    """How to wait: by default a sleep that a signal ends at once, in any thread."""
    random: Callable[[], float] = _random.random
    """A draw in [0, 1) for the jitter of a backoff (never applied to ``Retry-After``)."""
    attempts: int = 0
    waited: float = 0.0
    _started: float | None = field(default=None, repr=False)

    def wait(self, retry_after: float | None) -> bool:
        """Sleep before the next attempt; False (no sleep) when the budget is spent.

        ``retry_after``: the seconds the server asked for; None when it did not say (then
        the jittered exponential backoff decides).
        """
        if self._started is None:
            self._started = self.clock()
        self.attempts += 1
        if self.attempts >= self.max_attempts:
            return False
        if retry_after is not None:
            delay = retry_after
        else:
            step = FIRST_BACKOFF * 2 ** (self.attempts - 1)
            delay = step * (0.5 + self.random() / 2)
        delay = min(delay, MAX_SINGLE_WAIT)
        if self.clock() - self._started + delay > self.total_seconds:
            return False
        self.sleep(delay)
        self.waited += delay
        return True


class TryAgain(Exception):
    """Raised by one attempt that failed in a way that may pass (busy, down, a broken answer).

    ``retry_after``: the seconds the server asked for, if it said; ``error``: what to raise
    once the budget is spent (else the caller's ``give_up`` decides).
    """

    def __init__(
        self, problem: str, retry_after: float | None = None, error: Exception | None = None
    ) -> None:
        super().__init__(problem)
        self.problem, self.retry_after, self.error = problem, retry_after, error


def retrying(
    attempt: Callable[[], T],
    budget: Budget,
    give_up: Callable[[TryAgain, Budget], Exception] | None = None,
) -> T:
    """``attempt()`` until it returns, waiting as ``budget`` says after each ``TryAgain``.

    The one retry loop of every upstream (Graph requests and sign-in, the ``$batch``
    look-ups, Jira): each caller only says what is worth another attempt. Once the budget is
    spent, the error is ``give_up(last, budget)``, else the last ``TryAgain``'s ``error``.
    """
    while True:
        interrupt.check()  # stopping: no new attempt (a worker's queued work included)
        try:
            return attempt()
        except TryAgain as again:
            if budget.wait(again.retry_after):
                continue
            error = give_up(again, budget) if give_up is not None else again.error
            raise (error or again) from None
