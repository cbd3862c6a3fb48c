"""One line of ``doctor``'s report, how a failure becomes one, and how progress is told.

Shared by the doctor modules (``doctor`` for the whole and Jira, ``doctor_graph``,
``doctor_onprem``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError, DirsyncBridgeError, Fatal, Retriable

Outcome = Literal["ok", "warn", "fail"]
Progress = Callable[[str], None]
"""Told what doctor is doing while it waits on a server (one short line each time)."""


def quiet(_: str) -> None:
    """A ``Progress`` that tells nobody."""


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    name: str
    outcome: Outcome
    detail: str
    exit_code: int = 0
    """What a failure means for the exit code: 2 (fix the configuration) or 75 (try later)."""
    error: DirsyncBridgeError | None = field(default=None, compare=False)
    """The error behind a failure, so that a configuration error can name the file."""
    hint: str = ""
    """Appended to a failure's detail: what to look at."""

    def renamed(self, name: str, hint: str = "") -> Check:
        """The same outcome under another name, with a hint appended to a failure."""
        if self.outcome != "fail":
            return replace(self, name=name)
        return replace(self, name=name, detail=self.detail + hint, hint=self.hint + hint)

    def located(self, file: Path | None) -> Check:
        """A failure from a configuration error names ``file`` (the file that was loaded)."""
        if not isinstance(self.error, ConfigError) or self.error.path is not None:
            return self
        self.error.located(file)
        return replace(self, detail=str(self.error) + self.hint)


def step(fn: Callable[[], Any]) -> Any:
    """The call's answer, or a failed ``Check`` saying why (renamed by the caller)."""
    try:
        return fn()
    except DirsyncBridgeError as exc:
        return failed("", exc)


def failed(name: str, exc: DirsyncBridgeError) -> Check:
    """A failed check from an error: 75 for a temporary one, 2 for one a person must fix."""
    code = 75 if isinstance(exc, Retriable) else 2 if isinstance(exc, Fatal) else 1
    return Check(name, "fail", str(exc), code, error=exc)


def waiting(progress: Progress, sleep: Callable[[float], None]) -> Callable[[float], None]:
    """A ``sleep`` for the retry policy that first says that doctor is waiting, and how long."""

    def announce_then_sleep(seconds: float) -> None:
        progress(f"no usable answer yet: trying again in {seconds:.0f}s")
        sleep(seconds)

    return announce_then_sleep


def exit_code(results: list[Check]) -> int:
    """0 when nothing failed, else the most telling failure's code (2 before 75)."""
    codes = {c.exit_code for c in results if c.outcome == "fail"}
    if not codes:
        return 0
    return 2 if 2 in codes else max(codes)


def quoted(items: list[str]) -> str:
    """``'A', 'B'`` (or ``none``), for messages."""
    return ", ".join(repr(i) for i in items) or "none"
