"""Logging: one line per event, human or JSON, never a secret or a whole email body.

Every record on stderr goes through one handler, ours and the libraries' alike (msal, the
Jira client, urllib3, Python warnings), so that ``--log-format json`` gives nothing but JSON
lines and the human format always starts with ``dirsync-bridge:``. The libraries speak only
at WARNING and above (INFO at ``-vv``): their debug output can carry request details.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final, Literal

from .terminal import shown

LogFormat = Literal["human", "json"]

PACKAGE: Final = "dirsync_bridge"


def _ours(record: logging.LogRecord) -> bool:
    return record.name == PACKAGE or record.name.startswith(PACKAGE + ".")


def _time(record: logging.LogRecord) -> str:
    stamp = datetime.fromtimestamp(record.created, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": " ".join(record.getMessage().splitlines()),
        }
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


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
        return line


_configured = False


def configured() -> bool:
    """Whether ``setup_logging`` has run (a command stopped during start-up has no log yet)."""
    return _configured


def setup_logging(verbosity: int, log_format: LogFormat) -> None:
    """Send every log record to stderr: the package's warnings by default, info at -v,
    debug at -vv; the libraries' warnings (info at -vv)."""
    global _configured
    _configured = True
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _HumanFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbosity >= 2 else logging.WARNING)
    ours = logging.getLogger(PACKAGE)
    ours.handlers.clear()
    ours.setLevel(level)
    ours.propagate = True
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
