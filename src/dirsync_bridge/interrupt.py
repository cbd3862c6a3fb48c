"""SIGINT and SIGTERM: the command stops where it is, says so in one line, and exits 130.

Both signals raise ``Interrupted`` (a ``KeyboardInterrupt``) in the main thread, so that a
run unwinds as from any error: an open transaction rolls back, the run lock is released,
files and connections are closed. What the run leaves behind is what a crash leaves (an
intent, dirty flags, mailbox actions still owed), which the next run settles; so the state
is consistent at every moment a signal can arrive, and the command is safe to run again.
systemd stops a service with SIGTERM: it is handled exactly as Ctrl-C.

A signal reaches the main thread only, while Graph's requests are made by worker threads
that may be waiting out a ``Retry-After`` of a minute, with more work queued behind them;
and the interpreter does not exit until every worker has finished. So the handler also sets
an event that every retry wait watches (``pause``: a worker's wait ends at once, with
``Interrupted``; no new attempt starts, ``check``), and the thread pools cancel their
queued work when the main thread leaves them by an exception (``workers``): the command
stops within one request's time, not when the waits run out.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn

from . import logs

EXIT_INTERRUPTED = 130
"""128 + SIGINT, as shells report a command stopped by Ctrl-C (design.md section 5)."""

log = logging.getLogger(__name__)

_stopping = threading.Event()
_signal_name = "SIGINT"


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
    global _signal_name
    _signal_name = signal.Signals(signum).name
    _stopping.set()  # first: the workers' waits end while the main thread unwinds
    raise Interrupted(_signal_name)


def check() -> None:
    """``Interrupted`` if a signal asked the command to stop (in any thread)."""
    if _stopping.is_set():
        raise Interrupted(_signal_name)


def pause(seconds: float) -> None:
    """``time.sleep`` for any thread, that a signal ends at once with ``Interrupted``."""
    if _stopping.wait(seconds):
        raise Interrupted(_signal_name)


@contextmanager
def workers(count: int) -> Iterator[ThreadPoolExecutor]:
    """A thread pool of ``count`` that the main thread leaves by an exception (a signal, an
    error) without running the work still queued: it is cancelled, and only what is running
    is waited for (an interrupt ends its waits, ``pause``)."""
    pool = ThreadPoolExecutor(max_workers=count)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


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
