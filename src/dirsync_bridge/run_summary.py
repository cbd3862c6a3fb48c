"""What a run did: counted as it goes, printed at the end, mapped to the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Rejected


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
    problems: list[Rejected] = field(default_factory=list)
    """Rejected or unreadable inputs, each to be named on stderr."""
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
