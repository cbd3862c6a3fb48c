"""The one error tree of dirsync-bridge, sorted by what the runner does with an error.

::

    DirsyncBridgeError
    ├── Fatal        abort the run; the CLI exits 2 (usage, configuration, permissions)
    │   └── ConfigError
    ├── Retriable    upstream unavailable or busy; leave state, exit 75, the next pass retries
    └── Skippable    one bad input; quarantine it with its reason, carry on, exit 1 at the end

Parsing never raises: a bad email becomes a ``Rejected`` record. These exceptions are for
the edges (configuration, files, servers).
"""

from __future__ import annotations

from pathlib import Path


class DirsyncBridgeError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code = 1


class Fatal(DirsyncBridgeError):
    """The run cannot go on: a human must change something first."""

    exit_code = 2


class ConfigError(Fatal):
    """The configuration is invalid; the message names the file, the key and the problem."""

    def __init__(self, path: Path | None, key: str, problem: str) -> None:
        where = str(path) if path is not None else "built-in defaults"
        super().__init__(f"{where}: {key}: {problem}")
        self.path = path
        self.key = key
        self.problem = problem


class Retriable(DirsyncBridgeError):
    """Temporary failure (upstream busy or down, lock held): safe to repeat later."""

    exit_code = 75


class Skippable(DirsyncBridgeError):
    """One input cannot be used; it is reported and the run carries on."""

    exit_code = 1
