"""A message as a source read it (``RawMessage``) and what became of it (``Outcome``).

Kept apart from ``port_values`` (which re-exports both): ``parse`` reads files into
``RawMessage``s, and must not build the ticket models that module also holds just to start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Outcome = Literal["processed", "rejected"]
"""What became of a message: it made (or could make) tickets, or it was refused."""


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message's bytes and where they came from (a path, ``path#n``, a mailbox id)."""

    source: str
    data: bytes
    ref: str | None = None
    """The source's own handle on the message (a Graph message id), for its after-actions."""
    at: datetime | None = None
    """When the source received it, if it knows (a mailbox does), or when its file was last
    written (a saved file: the time of an export that has none of its own)."""
