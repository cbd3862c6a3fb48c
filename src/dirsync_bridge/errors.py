"""The one error tree of dirsync-bridge, sorted by what the runner does with an error.

::

    DirsyncBridgeError
    ├── Fatal        abort the run; the CLI exits 2 (usage, configuration, permissions)
    │   └── ConfigError      one line: file, key, problem (several problems: one line each)
    ├── Retriable    upstream unavailable or busy; leave state, exit 75, the next pass retries
    └── Skippable    one bad input; quarantine it with its reason, carry on, exit 1 at the end

Parsing never raises: a bad email becomes a ``Rejected`` record. These exceptions are for
the edges (configuration, files, servers).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class DirsyncBridgeError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code = 1


class Fatal(DirsyncBridgeError):
    """The run cannot go on: a human must change something first."""

    exit_code = 2


class ConfigError(Fatal):
    """The configuration is invalid; the message names the file, the key and the problem.

    Adapters that see only their own section raise it with ``path=None``; whoever knows
    which file was loaded fills it in with ``located`` before the message is shown, so the
    message names that file (``built-in defaults`` only when no file was read at all).
    """

    def __init__(self, path: Path | None, key: str, problem: str) -> None:
        super().__init__(key, problem)
        self.path = path
        self.key = key
        self.problem = problem

    def __str__(self) -> str:
        where = str(self.path) if self.path is not None else "built-in defaults"
        return f"{where}: {self.key}: {self.problem}"

    def located(self, path: Path | None) -> ConfigError:
        """This error, naming ``path`` as its file unless it already names one."""
        if self.path is None:
            self.path = path
        return self


class ConfigErrors(ConfigError):
    """Every problem found in one configuration file: ``str`` gives one line per problem.

    ``key`` and ``problem`` are the first problem's, for callers that show only one.
    """

    def __init__(self, problems: Sequence[ConfigError]) -> None:
        if not problems:
            raise ValueError("ConfigErrors needs at least one problem")
        first = problems[0]
        super().__init__(first.path, first.key, first.problem)
        self.problems = tuple(problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

    def located(self, path: Path | None) -> ConfigError:
        """Every problem, naming ``path`` unless it already names a file."""
        for problem in self.problems:
            problem.located(path)
        return super().located(path)


class Retriable(DirsyncBridgeError):
    """Temporary failure (upstream busy or down, lock held): safe to repeat later."""

    exit_code = 75


class Skippable(DirsyncBridgeError):
    """One input cannot be used; it is reported and the run carries on."""

    exit_code = 1


# -- raised by sinks --------------------------------------------------------------------


class WriteUnconfirmed(Retriable):
    """A write got no clear answer: it may or may not have happened. The ticket is read
    (a create: searched for) before anything is written again."""


class NotWritten(Retriable):
    """A write that certainly did not happen (the sink unreachable, or busy past the retry
    budget): temporary, and its intent can be dropped."""


class TicketGone(Skippable):
    """The ticket no longer exists in the sink (a person deleted it)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
