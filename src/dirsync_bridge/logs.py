"""Logging: one line per event, human or JSON, never a secret or a whole email body.

A JSON line carries the fields a log shipper filters on, not only the message: ``time``,
``level``, ``logger``, ``event`` (a stable name: ``ticket-created``, ``ticket-write``,
``message-rejected``, ``graph-scan``, ``run-summary``, ``metrics-written``... ``log`` for a
line that names none), ``message``, then whatever the call gave as ``extra=`` (``source``,
``ticket``, ``fingerprint``, ``kind``, ``counts``...). The human format shows the message
alone: it already says all of that in words.

Every record on stderr goes through one handler, ours and the libraries' alike (msal, the
Jira client, urllib3, Python warnings), so that ``--log-format json`` gives nothing but JSON
lines and the human format always starts with ``dirsync-bridge:``. The libraries speak only
at WARNING and above (INFO at ``-vv``): their debug output can carry request details. Every
line, whoever wrote it, has the secrets the tool sends made ``***`` (``secret_files``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

from .secret_files import redact
from .terminal import shown

LogFormat = Literal["human", "json"]

PACKAGE: Final = "dirsync_bridge"


def _ours(record: logging.LogRecord) -> bool:
    return record.name == PACKAGE or record.name.startswith(PACKAGE + ".")


def _time(record: logging.LogRecord) -> str:
    stamp = datetime.fromtimestamp(record.created, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


# What every LogRecord has: anything else on a record came from a call's ``extra=``.
_STANDARD: Final = frozenset(
    (*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "message", "asctime", "taskName")
)
_OWN: Final = ("time", "level", "logger", "message", "traceback")
"""Keys of the line itself, which a call's fields never replace."""


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a log call gave with ``extra=`` (``event``, ``ticket``, ``counts``...)."""
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and key not in _OWN and not key.startswith("_")
    }


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = fields(record)
        line: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": extra.pop("event", "log"),
            "message": " ".join(record.getMessage().splitlines()),
            **extra,
        }
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        # A value JSON has no word for (a path, a time) is written as its text.
        return redact(json.dumps(line, ensure_ascii=False, default=str))


class _HumanFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # A report's values and a server's answers reach these lines: escape sequences in
        # them are shown, never obeyed; a line break in one is shown too (one event, one line).
        message = shown(record.getMessage())
        if not _ours(record):
            message = f"{record.name}: {message}"  # msal, jira, py.warnings...
        if record.levelno >= logging.ERROR:
            message = f"error: {message}"
        line = f"dirsync-bridge: {message}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


_configured = False


def configured() -> bool:
    """Whether ``setup_logging`` has run (a command stopped during start-up has no log yet)."""
    return _configured


SUMMARY_LOGGER = "dirsync_bridge.summary"
"""The logger of a pass's closing summary (``run-summary``)."""


_lost = False


def stderr_lost() -> bool:
    """Whether a line could not be written to stderr (a log file on a full disk, a reader
    gone): what only stderr names (a table-format pass's rejections) may be named nowhere,
    so it is not marked named (``pipeline.mark_named``; review rev39)."""
    return _lost


def stderr_closed() -> None:
    """Stderr was closed when the command began (``2>&-``) and is /dev/null now: what it
    names is named nowhere, as for a reader gone (review rev40: such a pass's rejections
    were marked named, and no pass named them)."""
    global _lost
    _lost = True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Stderr's handler, remembering a line it could not write (``stderr_lost``)."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        global _lost
        if isinstance(sys.exc_info()[1], OSError):
            _lost = True  # nowhere to say it: stderr is what failed
            return
        super().handleError(record)


def setup_logging(verbosity: int, log_format: LogFormat) -> None:
    """Send every log record to stderr: the package's warnings by default, info at -v,
    debug at -vv; the libraries' warnings (info at -vv)."""
    global _configured
    _configured = True
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = _StderrHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _HumanFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbosity >= 2 else logging.WARNING)
    ours = logging.getLogger(PACKAGE)
    ours.handlers.clear()
    ours.setLevel(level)
    ours.propagate = True
    # A pass's summary is the line cron's log collector wants: in JSON, always (at -v else).
    summary = logging.getLogger(SUMMARY_LOGGER)
    summary.setLevel(logging.INFO if log_format == "json" else logging.NOTSET)
    # Python's own warnings (a library's DeprecationWarning...) as records, not bare lines.
    logging.captureWarnings(True)


def options_in(args: Sequence[str]) -> tuple[int, LogFormat]:
    """``-v`` and ``--log-format`` as given before the command, read before click reads them.

    For the lines written before click has read the options, or when it cannot: a usage
    error, a signal during start-up, a bug.
    """
    verbosity = 0
    log_format: LogFormat = "human"
    words = iter(args)
    for word in words:
        name, equals, value = word.partition("=")
        if name in ("--log-format", "--config") and not equals:
            value = next(words, "")  # the option's value, whatever it looks like
        if name == "--log-format" and value in ("human", "json"):
            log_format = "json" if value == "json" else "human"
        elif word == "--verbose":
            verbosity += 1
        elif re.fullmatch(r"-v+", word):
            verbosity += len(word) - 1
        elif word == "--" or not word.startswith("-"):
            break  # the command: what follows is its own
    return verbosity, log_format
