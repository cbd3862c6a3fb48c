"""The one error tree of dirsync-bridge, sorted by what the runner does with an error.

::

    DirsyncBridgeError
    ├── Fatal        abort the run; the CLI exits 2 (usage, configuration, permissions)
    │   └── ConfigError      one line: file, key, problem (several problems: one line each)
    │   ├── GraphError, BadRequest       a service refused what a person must fix
    │   └── TicketMissing, StoreMismatch the local store is not the ledger's
    │   └── SinkMismatch                 the ledger's tickets are in the other sink
    ├── Retriable    upstream unavailable or busy; leave state, exit 75, the next pass retries
    │   ├── WriteUnconfirmed             a write's answer was lost: read before writing again
    │   ├── NotWritten                   a write that certainly did not happen
    │   ├── SignInUnavailable            the login host may recover
    │   └── Unserved                     Graph never served one answer whole: that one only
    └── Skippable    one bad input; quarantine it with its reason, carry on, exit 1 at the end
        ├── TicketGone, TransitionMissing   one ticket needs a person (or a new ticket)
        ├── ResolvedMeanwhile               a person resolved it first: learned as theirs
        └── TooLarge, MessageGone           one message cannot be read

Parsing never raises: a bad email becomes a ``Rejected`` record. These exceptions are for
the edges (configuration, files, servers); each adapter raises its own from this tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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


class TransitionMissing(Skippable):
    """The workflow offers no transition of the configured name on this ticket."""

    def __init__(self, key: str, wanted: str, available: Sequence[str]) -> None:
        names = ", ".join(repr(n) for n in available) or "none"
        super().__init__(
            f"{key}: no transition named {wanted!r} (available: {names}); "
            "set [jira] resolve_transition / reopen_transition to one of these, or move "
            "the ticket by hand"
        )
        self.key, self.wanted, self.available = key, wanted, tuple(available)


class ResolvedMeanwhile(Skippable):
    """The tool went to resolve a ticket a person had just resolved: the resolution is the
    person's (``name``, ``at``), to be learned as theirs, not recorded as the tool's."""

    def __init__(self, key: str, name: str, at: datetime) -> None:
        super().__init__(f"{key} was resolved in the sink as {name!r} before the tool did")
        self.key, self.name, self.at = key, name, at


class BadRequest(Fatal):
    """Jira refused a request that concerns no one ticket (HTTP 400): a search, say."""

    def __init__(self, message: str, messages: Sequence[str]) -> None:
        super().__init__(message)
        self.messages = tuple(messages)


class TicketMissing(Fatal, KeyError):
    """A ticket the ledger names is not in the store: the store is not the ledger's."""

    def __init__(self, path: Path | str, key: str) -> None:
        super().__init__(
            f"{path}: the local ticket store has no ticket {key}, which the ledger recorded "
            "(the store was lost or restored from an older backup); run "
            "`dirsync-bridge tickets rebuild` to rebuild it from the ledger"
        )
        self.key = key

    def __str__(self) -> str:
        # KeyError would quote the message.
        return str(self.args[0])


# -- raised by the Graph client and the mailbox ----------------------------------------


class SignInUnavailable(Retriable):
    """The login host could not give a token for a reason that may pass by itself."""


class Unserved(Retriable):
    """Graph kept answering one request with a broken body (empty, cut off, a proxy's page)
    until the retry budget ran out, while the service itself answered: the fault is that one
    answer's, so a pass goes on to the next message (a transport failure or a 5xx/429 past
    the budget is a plain ``Retriable``: Graph itself is failing, and the pass stops)."""


class GraphError(Fatal):
    """Graph refused a request for a reason a person must fix."""

    def __init__(self, message: str, status: int, code: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


class TooLarge(Skippable):
    """A download is over the size limit: refused without reading it whole."""


class MessageGone(Skippable):
    """A listed message is no longer in the mailbox (deleted before it could be read)."""


# -- raised by the local state ---------------------------------------------------------


class StoreMismatch(Fatal):
    """The local ticket store is not the one the ledger describes (exit 2, one line)."""


class SinkMismatch(Fatal):
    """The ledger's tickets live in one sink and the run names the other (exit 2, one line)."""
