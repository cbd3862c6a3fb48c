"""How a command ends: every way out is one exit code, with one line per problem.

The command line runs here (``run_command``) rather than under click's own ``main``, which
says "Aborted!" and exits 1 on a signal, prints usage errors as plain text whatever
``--log-format`` says, and lets any other exception out as a traceback. The ways out:

============================================  ==========================================
the command ends (``sys.exit``, or returns)   its own exit code (0, 1, 2, 75)
a usage error (unknown command, bad option)   click's message (one JSON line with
                                              ``--log-format json``), exit 2
an error of ours (``DirsyncBridgeError``)     one line per problem, its exit code
SIGINT or SIGTERM                             one line, exit 130 (``interrupt``)
standard output cannot be written             one line; a full disk is 75 (free space);
                                              a reader that went away (EPIPE, ``| head``)
                                              or a stream closed from the start (``>&-``)
                                              is no failure: the command ends quietly
any other exception: a bug                    one line ``internal error (...)``, exit 70
                                              (EX_SOFTWARE); the traceback at -vv only
============================================  ==========================================

Whichever way it ends, a pass (``run``, ``replay``) then has its ``run-summary`` line written
last, with the code above (``pass_end``).
"""

from __future__ import annotations

import errno
import functools
import gc
import io
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from . import crashpoints, interrupt, logs, pass_end
from .errors import DirsyncBridgeError, Fatal, Retriable
from .failures import say
from .logs import LogFormat, options_in, setup_logging

EXIT_OK = 0
EXIT_INTERNAL = 70
"""EX_SOFTWARE (sysexits.h): a bug in dirsync-bridge, not in its input or its settings."""

_FIRST_LINE = 200  # characters of an unexpected error's message shown without -vv

log = logging.getLogger("dirsync_bridge.cli")


def run_command(args: Sequence[str]) -> int:
    """Run the command line ``args``; the exit code it ends with (module docstring)."""
    stdout: _WatchedStdout | None = None
    try:
        _hold_standard_descriptors()
        pass_end.forget()
        verbosity, log_format = options_in(args)
        # Now, not when click has read the options: a usage error, a signal or a bug met
        # before then is a log line like any other (JSON with --log-format json).
        setup_logging(verbosity, log_format)
        stdout = _watch_stdout()
        crashpoints.crash_point("command-line")
        code = _invoke(list(args), log_format)
        code = _after_output(code, stdout)
        return _close(code)
    except KeyboardInterrupt as exc:
        if stdout is not None and stdout.failure is None:
            # What is buffered for standard output (whole rows, an array's end) is written
            # now, for a few seconds at most; then what is left is dropped, not flushed as
            # the interpreter exits: a reader that stopped reading would hold it for ever.
            interrupt.within_grace(sys.stdout.flush)
            stdout.failure = InterruptedError(errno.EINTR, "interrupted")
        if not interrupt.within_grace(functools.partial(_stopped, exc)):
            # Standard error is held too (one stalled pipe for both): the closing lines, and
            # what stderr still holds, are dropped; everything else has unwound already.
            os._exit(interrupt.EXIT_INTERRUPTED)
        return interrupt.EXIT_INTERRUPTED
    except Exception as exc:  # a bug around the command (``_invoke`` guards the command)
        return _close(_internal_error(exc))


def _close(code: int) -> int:
    """The pass's ``run-summary`` (if a pass), then the command has ended (``done``): a
    signal meanwhile changes nothing, unless the line is still held by a stalled stderr
    DEFER_GRACE later; then the process ends there, 130 (``interrupt.last_line``)."""
    if not interrupt.last_line(functools.partial(pass_end.end, code)):
        os._exit(interrupt.EXIT_INTERRUPTED)  # what stderr holds is dropped, not flushed
    return code


def _stopped(exc: KeyboardInterrupt) -> None:
    """The interrupted command's line, then its pass's ``run-summary`` (130), if a pass."""
    pass_end.end(interrupt.stopped(exc))


def _invoke(args: list[str], log_format: LogFormat) -> int:
    from .cli import cli  # after the signal handlers (__main__)
    from .cli.group import complete

    completed = complete(os.environ)
    if completed is not None:
        return completed  # the shell asked for completions: nothing else runs

    # What the imports built lives until the end: out of the collector's sight from now on
    # (``__main__`` held the collector off while they ran).
    gc.freeze()
    gc.enable()

    try:
        with cli.make_context("dirsync-bridge", args) as ctx:
            try:
                cli.invoke(ctx)
            except DirsyncBridgeError as exc:  # inside: the loaded file is known here
                return say(exc)
        return EXIT_OK
    except SystemExit as exc:
        return _code(exc.code)
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except click.ClickException as exc:
        return _usage_error(exc, log_format)
    except DirsyncBridgeError as exc:
        return say(exc)
    except Exception as exc:  # a bug: never a traceback unless -vv asks for it
        return _internal_error(exc)


def _usage_error(exc: click.ClickException, log_format: LogFormat) -> int:
    """One line, as every other error: what is wrong and where the usage is told. Only no
    command at all shows click's help (on a terminal, what someone trying the tool wants)."""
    no_command = isinstance(exc, click.exceptions.NoArgsIsHelpError)
    if no_command and log_format != "json":
        exc.show()
        return exc.exit_code
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if isinstance(ctx, click.Context) else "dirsync-bridge"
    # No command at all: click's "message" is the whole help text.
    message = "no command given" if no_command else exc.format_message()
    if log_format == "json":
        log.error("%s: %s (see %s --help)", where, message, where)
    else:
        log.error("%s (see %s --help)", message, where)
    return exc.exit_code


def _internal_error(exc: Exception) -> int:
    signal = interrupt.signalled()
    if signal is not None:  # not a bug: what a signal broke on its way (``signalled``)
        return interrupt.stopped(signal)
    first = next(iter(str(exc).splitlines()), "")
    if len(first) > _FIRST_LINE:
        first = first[: _FIRST_LINE - 3] + "..."
    what = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    log.error("internal error (%s); please report it; -vv shows where", what)
    log.debug("where it failed (-vv)", exc_info=exc)
    return EXIT_INTERNAL


def _code(value: Any) -> int:
    if value is None:
        return EXIT_OK
    if isinstance(value, int):
        return value
    return _internal_error(RuntimeError(f"exit with {value!r}"))


# ---------------------------------------------------------------------------------------------
# Standard output that cannot be written


_PIPE_WORTH = 64 * 1024
"""A Linux pipe's buffer: written at most this much at a time (``_WatchedStdout``)."""


class _WatchedStdout(io.FileIO):
    """Standard output's file: the first error that stops a write is kept, and whatever
    follows is dropped, so that the command finishes its work (its tickets, its lines on
    stderr) and its end says what was lost (``_after_output``)."""

    def __init__(self, fd: int) -> None:
        super().__init__(fd, "wb", closefd=False)
        self.failure: OSError | None = None

    def write(self, data: Any, /) -> int:
        """Write ``data``, a pipe's worth at a time (each a sign of a reader still reading,
        ``interrupt.progressed``); after a failure, drop it (its length, as if written)."""
        view = memoryview(data).cast("B")
        done = 0
        while self.failure is None and done < len(view):
            try:
                wrote = super().write(view[done : done + _PIPE_WORTH])
            except OSError as exc:
                self.failure = exc
                break
            if wrote is None:  # (non-blocking and full: nothing taken; only a blocking fd here)
                break
            done += wrote
            interrupt.progressed()
        return len(view) if self.failure is not None else done


def _hold_standard_descriptors() -> None:
    """A standard stream closed when the command began (``>&-``: a cron wrapper, a daemon
    manager) is given /dev/null: what goes to it is dropped, as for a reader that went away.
    Python leaves such a ``sys.stdout`` None (every print an internal error), and left free,
    the descriptor would be the next file opened, a database that output would write into."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
            continue
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if fd == 2:
                logs.stderr_closed()  # its rejections named nowhere: not marked named
        if null != fd:  # (the lowest free descriptor: this one, unless a lower one is free too)
            os.dup2(null, fd)
            os.close(null)
        if getattr(sys, name) is None:
            mode = "r" if fd == 0 else "w"
            setattr(sys, name, open(fd, mode, encoding="utf-8", closefd=False))  # noqa: SIM115


def _watch_stdout() -> _WatchedStdout | None:
    current = sys.stdout
    try:
        fd = current.fileno()
        current.flush()
    except (AttributeError, OSError, ValueError):
        return None  # no standard output (closed), or not a file: nothing to watch
    raw = _WatchedStdout(fd)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=current.encoding,
        errors=current.errors,
        line_buffering=getattr(current, "line_buffering", False),
    )
    return raw


def _after_output(code: int, stdout: _WatchedStdout | None) -> int:
    """``code``, unless standard output could not be written out: then one line, and 75 for
    a full disk (free space and run again, as for the state) or 2 (where it points)."""
    failure = stdout.failure if stdout is not None else None
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as exc:
        failure = failure or exc
    if stdout is not None:
        failure = failure or stdout.failure
    if failure is None or failure.errno == errno.EPIPE:
        return code  # `| head` read what it wanted: the command ends quietly, as others do
    reason = failure.strerror or str(failure)
    what = "standard output: the output could not be written"
    if failure.errno in (errno.ENOSPC, errno.EDQUOT):
        log.error("%s: the disk is full (%s); free space and run again", what, reason)
        failed = Retriable.exit_code
    elif failure.errno == errno.EIO:
        log.error("%s: I/O error (%s); check the disk, run again", what, reason)
        failed = Retriable.exit_code
    else:
        log.error("%s (%s); send it to a file or a pipe that can be written", what, reason)
        failed = Fatal.exit_code
    # A command that failed otherwise has said so already, with its own code.
    return failed if code in (EXIT_OK, 1) else code
