"""SIGINT and SIGTERM: the command stops where it is, says so in one line, and exits 130.

Both signals raise ``Interrupted`` (a ``KeyboardInterrupt``) in the main thread, so that a
run unwinds as from any error: an open transaction rolls back, the run lock is released,
files and connections are closed. What the run leaves behind is what a crash leaves (an
intent, dirty flags, mailbox actions still owed), which the next run settles; so the state
is consistent at every moment a signal can arrive, and the command is safe to run again.
systemd stops a service with SIGTERM: it is handled exactly as Ctrl-C.

At most one ``Interrupted`` is ever raised: a second Ctrl-C while the first unwinds must
not break the clean-up it is running, nor turn into a traceback. Once the command has
ended (``done``), a signal changes nothing: the command's own exit code stands, through
the interpreter's exit too (Python puts its default handlers back as it exits, and a
signal then would kill the process: exit -2 or -15).

This module is imported before anything else (``__main__``): it loads ``signal`` alone, so
that the handlers are in place a few milliseconds after the interpreter starts.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

EXIT_INTERRUPTED = 130
"""128 + SIGINT, as shells report a command stopped by Ctrl-C (design.md section 5)."""

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_quiet = False
"""Set once a signal has been raised, or the command has ended: no more signals raise."""


class Interrupted(KeyboardInterrupt):
    """A signal asked the command to stop."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def install() -> None:
    """From now on SIGINT and SIGTERM raise ``Interrupted`` in the main thread (once)."""
    for signum in _SIGNALS:
        signal.signal(signum, _raise)


def _raise(signum: int, frame: FrameType | None) -> None:
    global _quiet
    if _quiet:
        return  # already stopping, or ended: the first signal decided
    _quiet = True
    raise Interrupted(signal.Signals(signum).name)


def stopped(exc: KeyboardInterrupt) -> int:
    """Say the command was interrupted, in one line; the exit code to end with (130)."""
    global _quiet
    _quiet = True
    # Imported here, not above: this module must load before anything else (docstring).
    import logging

    from . import logs

    log = logging.getLogger(__name__)
    name = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
    line = f"interrupted by {name}; nothing is half-written: run the same command again to finish"
    if not logs.configured():  # stopped during start-up: as the command line asks
        logs.setup_logging(*logs.options_in(sys.argv[1:]))
    log.debug("interrupted here", exc_info=exc)  # the traceback, at -vv only
    log.warning("%s", line)  # as every other line: JSON with --log-format json
    return EXIT_INTERRUPTED


def done() -> None:
    """The command has ended: from now on SIGINT and SIGTERM change nothing.

    Blocked first, so that none is caught half-way between the handler and ``SIG_IGN``;
    then ignored, which Python keeps while it exits (it resets only handlers of its own).
    """
    global _quiet
    _quiet = True
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    for signum in _SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
