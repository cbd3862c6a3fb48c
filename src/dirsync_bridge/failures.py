"""How a failure is told: one log line per problem, naming the configuration file loaded."""

from __future__ import annotations

import logging

import click

from .config.settings import Config
from .errors import ConfigError, ConfigErrors, DirsyncBridgeError

log = logging.getLogger("dirsync_bridge.cli")


def say(exc: DirsyncBridgeError) -> int:
    """Say what failed, one log line per problem (JSON with --log-format json); its exit code."""
    if isinstance(exc, ConfigError):
        # Adapters know their section, not the file: name the file that was loaded.
        ctx = click.get_current_context(silent=True)
        config = ctx.find_object(Config) if ctx is not None else None
        exc.located(config.file if config is not None else None)
    # One line per problem, never per line break: a message that echoes user input (a key,
    # a file name) may hold one, which the log formatter escapes rather than obeys.
    problems = exc.problems if isinstance(exc, ConfigErrors) else (exc,)
    for problem in problems:
        log.error("%s", str(problem) or type(exc).__name__)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("where it failed (-vv)", exc_info=exc)
    return exc.exit_code
