"""Logging: one line per event, human or JSON, never a secret or a whole email body."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["human", "json"]


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": record.getMessage(),
            },
            ensure_ascii=False,
        )


def setup_logging(verbosity: int, log_format: LogFormat) -> None:
    """Send the package's log to stderr: warnings by default, info at -v, debug at -vv."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("dirsync-bridge: %(message)s"))
    logger = logging.getLogger("dirsync_bridge")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
