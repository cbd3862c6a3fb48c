"""What a run did: counted as it goes, printed at the end, mapped to the exit code."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from .errors import Retriable
from .models import Rejected


class NamedRejection(Protocol):
    """What naming a rejected input takes: where it came from, and why (``Rejected`` has
    it, and so does what a spool gives back, ``rejections.Rejection``)."""

    @property
    def source(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def reason(self) -> str: ...


class Problems(Protocol):
    """Rejected or unreadable inputs, in the order met: a list, or a pass's spool
    (``rejections.Rejections``: a pass can reject hundreds of thousands)."""

    def append(self, result: Rejected, /) -> None:
        """One more, to be named after the output."""

    def __iter__(self) -> Iterator[NamedRejection]:
        """Each one, in order; as often as asked."""

    def __len__(self) -> int:
        """How many."""


@dataclass(slots=True)
class RunSummary:
    """What a run did, for the closing line, the JSON output and the exit code."""

    parsed: int = 0
    rejected: int = 0
    already_seen: int = 0
    unreadable: int = 0
    created: int = 0
    commented: int = 0
    updated: int = 0
    resolved: int = 0
    reopened: int = 0
    unchanged: int = 0
    problems: Problems = field(default_factory=list[Rejected])
    """Rejected or unreadable inputs, each to be named on stderr (and listed by the JSON
    summary) after the output. A pass keeps them in a spool (``pipeline.run_pass``), never
    all in memory: an archive can hold hundreds of thousands."""
    attention: list[str] = field(default_factory=list)
    """Tickets the tool could not bring up to date (a missing transition...), one line each."""
    ignored: int = 0
    """Mailbox messages that are plainly not reports (neither sender nor subject): unread."""
    mailbox_actions: int = 0
    """Mailbox messages moved, marked or categorised after processing."""
    unconfirmed: list[str] = field(default_factory=list)
    """Problems whose ticket write had an unknown outcome even after settling (exit 75)."""
    writes: list[str] = field(default_factory=list)
    """Every ticket write, described (the plan, on a dry run)."""
    scans: list[str] = field(default_factory=list)
    """Directory scans read (Graph's provisioning errors), one line each: what they found."""
    fatal: list[str] = field(default_factory=list)
    """Configuration problems the run worked around (a look-up it could not make): exit 2."""
    named_for_earlier: int = 0
    """Rejections (or unreadable messages) an earlier pass met and never named, named by
    this one and not read by it: in no count of what it read (review lowsc: they made
    "messages: N read" more than it read). One read again counts rejected instead."""
    named_late: int = 0
    """The ledger's mark as the pass began (``Ledger.messages_mark``) when it names
    rejections an earlier pass recorded but never named (``pipeline._unnamed_before``),
    counted rejected already; 0: none. Such a message read again is not counted again."""
    late_met: set[str] = field(default_factory=set)
    """Those of them read again by this pass (their keys): a second copy is already seen."""
    named_up_to: int | None = None
    """The pass's mark in its ledger (``Ledger.messages_mark``) when its caller names its
    rejections after writing its output: then the caller marks them named up to it
    (``pipeline.mark_named``). None: nothing left to mark (marked already, or a dry run)."""


class CutShort(Retriable):
    """A pass that did its work (read, recorded, ticketed, marked) and then met the temporary
    failure a source held back until ``finish``: exit 75 as that failure, but with the
    pass's summary, which still goes out (its rejections named: their mail is marked, no
    later pass names them again; its counts on stdout, in ``run-summary`` and the metrics)."""

    def __init__(self, failure: Retriable, summary: RunSummary) -> None:
        super().__init__(str(failure))
        self.summary = summary
