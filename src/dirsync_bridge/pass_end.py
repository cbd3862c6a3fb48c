"""The ``run-summary`` log line: the last line of every pass, however the pass ends.

A pass is a ``run`` or ``replay`` whose command line was understood: it opens (``begin``)
as the command starts, or as its configuration file is refused (a cron job whose file was
broken by an edit fails every pass: a log shipper keyed on ``run-summary`` must see it). Its
counts are handed over once it has them (``counted``). The line itself is written by
``exits.run_command`` as the process ends (``end``), so that it comes after every other line
(the error that stopped the pass, ``metrics-written``, a standard output that could not be
written, the line of a signal) and carries the exit code the process ends with: 0, 1, 2,
75, 130 or 70. A signal while it is written changes neither, but a stderr that stalls then
holds it DEFER_GRACE at most (``interrupt.last_line``): then the process ends, 130. A pass
that ended before it counted anything (another run holding the lock, Graph unreachable, a
damaged ledger, a configuration error) has ``counts`` null.

A usage error (an unknown option, a bad value click refuses) is no pass: nothing ran.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from . import crashpoints
from .logs import SUMMARY_LOGGER

PASS_COMMANDS = ("run", "replay")


@dataclass(slots=True)
class _Pass:
    command: str
    dry_run: bool
    said: str | None = None
    counts: dict[str, Any] | None = field(default=None)


_open: _Pass | None = None


def begin(command: str, dry_run: bool) -> None:
    """A pass of ``command`` has started; its line is owed when the process ends."""
    global _open
    _open = _Pass(command, dry_run)


def forget() -> None:
    """No pass open: a command line starts (one run in-process before it owes nothing)."""
    global _open
    _open = None


def counted(said: str, counts: dict[str, Any]) -> None:
    """What the open pass did: ``said`` for people, ``counts`` for the JSON field."""
    if _open is not None:
        _open.said, _open.counts = said, counts


def end(code: int) -> None:
    """Write the open pass's ``run-summary`` with the exit code ``code``; nothing when no
    pass is open (another command, or the line written already)."""
    global _open
    done, _open = _open, None
    if done is None:
        return
    crashpoints.crash_point("run-summary")  # a signal as the line is written (tests)
    said = done.said if done.said is not None else f"ended before counting, exit {code}"
    logging.getLogger(SUMMARY_LOGGER).info(
        "%s%s: %s",
        done.command,
        " (dry run)" if done.dry_run else "",
        said,
        extra={
            "event": "run-summary",
            "command": done.command,
            "dry_run": done.dry_run,
            "counts": done.counts,
            "exit_code": code,
        },
    )
