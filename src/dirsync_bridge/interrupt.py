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

This module is imported before anything else (``__main__``), and loads nothing but the C
module ``_signal`` (``signal`` would load ``enum`` and ``functools`` first, 7 ms): the handlers
are in place about a millisecond after the interpreter's own start-up (10-15 ms, during which
the signals' default actions apply: that much no Python program can avoid).

A signal reaches the main thread only, while Graph's requests are made by worker threads
that may be waiting out a ``Retry-After`` of a minute, with more work queued behind them;
and the interpreter does not exit until every worker has finished. So the handler also sets
an event that every retry wait watches (``pause``: a worker's wait ends at once, with
``Interrupted``; no new attempt starts, ``check``), and the thread pools cancel their
queued work when the main thread leaves them by an exception (``workers``): the command
stops within one request's time, not when the waits run out.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: this module loads before anything else (docstring)
if TYPE_CHECKING:
    import signal as _signal
    import threading
    from collections.abc import Callable
    from concurrent.futures import ThreadPoolExecutor
    from types import FrameType
else:
    import _signal

EXIT_INTERRUPTED = 130
"""128 + SIGINT, as shells report a command stopped by Ctrl-C (design.md section 5)."""

_SIGNALS = (_signal.SIGINT, _signal.SIGTERM)
_NAMES: dict[int, str] = {_signal.SIGINT: "SIGINT", _signal.SIGTERM: "SIGTERM"}
_quiet = False
"""Set once a signal has been raised, or the command has ended: no more signals raise."""
_signal_name: str | None = None
"""The signal that asked the command to stop, once one has."""
_stopping: threading.Event | None = None
"""Set by a signal, watched by every retry wait (made by ``install``, after the handlers)."""
_deferring = 0
"""Inside this many ``deferred`` parts: a signal is raised as the outermost one ends."""
_armed = False
"""A signal came inside a ``deferred`` part: the alarm that cuts it short is set."""
DEFER_GRACE = 2.0
"""Seconds a signal waits for a ``deferred`` part to end (a write to a reader that stopped
reading never does): then it is raised there, the part cut in two, and the command stops."""


class Interrupted(KeyboardInterrupt):
    """A signal asked the command to stop."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def install() -> None:
    """From now on SIGINT and SIGTERM raise ``Interrupted`` in the main thread (once)."""
    global _stopping
    for signum in _SIGNALS:
        _signal.signal(signum, _raise)
    # After the handlers (threading loads in a few milliseconds): what worker threads watch.
    import threading

    _stopping = threading.Event()
    if _signal_name is not None:
        _stopping.set()


def _raise(signum: int, frame: FrameType | None) -> None:
    global _quiet
    if _quiet:
        return  # already stopping, or ended: the first signal decided
    _quiet = True
    global _signal_name
    _signal_name = _NAMES.get(signum, "SIGINT")
    if _stopping is not None:
        _stopping.set()  # first: the workers' waits end while the main thread unwinds
    if _deferring:
        # Raised as the part that must not be cut in two ends (``deferred``), or, should it
        # not end within DEFER_GRACE (a pipe whose reader stalled), by the alarm.
        global _armed
        _armed = True
        _signal.signal(_signal.SIGALRM, _cut_short)
        _signal.setitimer(_signal.ITIMER_REAL, DEFER_GRACE)
        return
    raise Interrupted(_signal_name)


def _cut_short(signum: int, frame: FrameType | None) -> None:
    if _deferring and _signal_name is not None:
        raise Interrupted(_signal_name)


class _Late(BaseException):
    """The grace of ``within_grace`` ran out (a BaseException: logging's handlers, which
    catch an Exception from a write, must not swallow it)."""


def _late(signum: int, frame: FrameType | None) -> None:
    raise _Late


def within_grace(step: Callable[[], object]) -> bool:
    """Run ``step`` (a flush of standard output, the closing line on stderr, as a stopped
    command ends), giving up after DEFER_GRACE seconds: a reader that stopped reading would
    hold it, and the command's exit, for ever. Whether it ended in time."""
    previous = _signal.signal(_signal.SIGALRM, _late)
    _signal.setitimer(_signal.ITIMER_REAL, DEFER_GRACE)
    try:
        step()
        return True
    except _Late:
        return False
    except (OSError, ValueError, AttributeError):
        return True  # a stream already closed or broken: nothing held
    finally:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
        _signal.signal(_signal.SIGALRM, previous)


def progressed() -> None:
    """Standard output took more of a ``deferred`` part: a reader that is still reading,
    only slower than the command, is given another DEFER_GRACE (one large element is
    finished, not cut because it takes long)."""
    if _armed:
        _signal.setitimer(_signal.ITIMER_REAL, DEFER_GRACE)


def signalled() -> Interrupted | None:
    """The signal's ``Interrupted``, once one has asked the command to stop: an error raised
    after it is its doing (Python 3.11 wraps an exception raised while a class is made, as
    an import may be doing, in a ``RuntimeError``)."""
    return Interrupted(_signal_name) if _signal_name is not None else None


def check() -> None:
    """``Interrupted`` if a signal asked the command to stop (in any thread)."""
    if _signal_name is not None:
        raise Interrupted(_signal_name)


def pause(seconds: float) -> None:
    """``time.sleep`` for any thread, that a signal ends at once with ``Interrupted``."""
    if _stopping is None:  # no handlers installed (a library use, a test): a plain sleep
        import time

        time.sleep(seconds)
        return
    if _stopping.wait(seconds):
        raise Interrupted(_signal_name or "SIGINT")


class workers:  # noqa: N801  (used as a function: ``with workers(4) as pool``)
    """A thread pool of ``count`` that the main thread leaves by an exception (a signal, an
    error) without running the work still queued: it is cancelled, and only what is running
    is waited for (an interrupt ends its waits, ``pause``)."""

    def __init__(self, count: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=count)

    def __enter__(self) -> ThreadPoolExecutor:
        return self._pool

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=kind is not None)


class deferred:  # noqa: N801  (used as a function: ``with deferred():``)
    """A short part of the main thread that a signal must not cut in two (one element of a
    JSON array on standard output: cut, the document cannot be read): a signal that comes
    inside is raised as the part ends, unless it ends by an error of its own."""

    def __enter__(self) -> None:
        global _deferring
        _deferring += 1

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        global _deferring, _armed
        _deferring -= 1
        if not _deferring and _armed:
            _armed = False
            _signal.setitimer(_signal.ITIMER_REAL, 0)  # ended in time: no alarm
        if kind is None and not _deferring:
            check()


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


def last_line(step: Callable[[], object]) -> bool:
    """Run ``step``, the command's last line on stderr (a pass's ``run-summary``), then end
    the command (``done``). Whether the line was written.

    The command has ended and the line carries its exit code: a signal that comes while
    the line is written changes neither the line nor the code (as after ``done``), but it
    bounds the write by DEFER_GRACE, as for the closing line of a stopped command. A stderr
    whose reader stopped reading (a hung log pipe) would hold the write for ever, and
    ``done`` would have made SIGTERM powerless over it: then the write is cut, and the
    caller must end the process at once (what stderr still holds could not be flushed on
    the way out either). A signal that came before, whose own closing this is (an error it
    caused), bounds it from the start."""
    global _deferring, _armed
    _deferring += 1  # a signal now arms the alarm (``_raise``), raising nothing itself
    if _signal_name is not None:
        _armed = True
        _signal.signal(_signal.SIGALRM, _cut_short)
        _signal.setitimer(_signal.ITIMER_REAL, DEFER_GRACE)
    written = False
    try:
        step()
        written = True
        done()  # still deferring: a signal between the line and this arms only the alarm
    except Interrupted:  # the alarm, DEFER_GRACE after the signal (``_cut_short``)
        pass
    finally:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
        _armed = False
        _deferring -= 1
    return written


def done() -> None:
    """The command has ended: from now on SIGINT and SIGTERM change nothing.

    Blocked first, so that none is caught half-way between the handler and ``SIG_IGN``;
    then ignored, which Python keeps while it exits (it resets only handlers of its own).
    """
    global _quiet
    _quiet = True
    _signal.pthread_sigmask(_signal.SIG_BLOCK, _SIGNALS)
    for signum in _SIGNALS:
        _signal.signal(signum, _signal.SIG_IGN)
