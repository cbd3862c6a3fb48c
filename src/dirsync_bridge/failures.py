"""How a failure is told: one log line per problem, naming the configuration file loaded."""

from __future__ import annotations

import logging

import click

from .config.settings import Config
from .errors import ConfigError, DirsyncBridgeError

log = logging.getLogger("dirsync_bridge.cli")


def say(exc: DirsyncBridgeError) -> int:
    """Say what failed, one log line per problem (JSON with --log-format json); its exit code."""
    if isinstance(exc, ConfigError):
        # Adapters know their section, not the file: name the file that was loaded.
        ctx = click.get_current_context(silent=True)
        config = ctx.find_object(Config) if ctx is not None else None
        exc.located(config.file if config is not None else None)
    for line in str(exc).splitlines() or [type(exc).__name__]:
        log.error("%s", line)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("where it failed (-vv)", exc_info=exc)
    return exc.exit_code
