"""SIGINT and SIGTERM: the command stops where it is, says so in one line, and exits 130.

Both signals raise ``Interrupted`` (a ``KeyboardInterrupt``) in the main thread, so that a
run unwinds as from any error: an open transaction rolls back, the run lock is released,
files and connections are closed. What the run leaves behind is what a crash leaves (an
intent, dirty flags, mailbox actions still owed), which the next run settles; so the state
is consistent at every moment a signal can arrive, and the command is safe to run again.
systemd stops a service with SIGTERM: it is handled exactly as Ctrl-C.
"""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType
from typing import NoReturn

from . import logs

EXIT_INTERRUPTED = 130
"""128 + SIGINT, as shells report a command stopped by Ctrl-C (design.md section 5)."""

log = logging.getLogger(__name__)


class Interrupted(KeyboardInterrupt):
    """A signal asked the command to stop."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def install() -> None:
    """From now on SIGINT and SIGTERM raise ``Interrupted`` in the main thread."""
    signal.signal(signal.SIGINT, _raise)
    signal.signal(signal.SIGTERM, _raise)


def _raise(signum: int, frame: FrameType | None) -> NoReturn:
    raise Interrupted(signal.Signals(signum).name)


def stop(exc: KeyboardInterrupt) -> NoReturn:
    """Say the command was interrupted, in one line, and exit 130."""
    # The command is already stopping: a second Ctrl-C must not turn into a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log.debug("interrupted here", exc_info=exc)  # the traceback, at -vv only
    name = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
    line = f"interrupted by {name}; nothing is half-written: run the same command again to finish"
    if logs.configured():
        log.warning("%s", line)  # as every other line: JSON with --log-format json
    else:  # stopped during start-up, before logging was set up
        sys.stderr.write(f"dirsync-bridge: {line}\n")
    sys.exit(EXIT_INTERRUPTED)
