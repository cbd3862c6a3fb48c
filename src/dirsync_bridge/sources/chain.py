"""Several sources read as one pass: ``run`` with a mailbox and Graph's provisioning errors.

One pass, not one per source, so that the lifecycle runs once over everything both read and
each source's after-actions still wait for every ticket write of the pass (design.md 4).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..errors import DirsyncBridgeError
from ..models import Report
from ..ports import Outcome, RawMessage, Source
from ..run_summary import RunSummary


class SourceChain:
    """A ``Source``: each source's items in turn; what became of an item goes back to the
    source that gave it; every source finishes, even after another's failure."""

    def __init__(self, sources: Sequence[Source]) -> None:
        """``sources``: read in this order."""
        self.sources = tuple(sources)
        self.name = " + ".join(source.name for source in self.sources)
        self._owners: dict[int, Source] = {}

    def messages(self, summary: RunSummary) -> Iterator[RawMessage | Report]:
        """Every source's items, one source after the other."""
        for source in self.sources:
            for item in source.messages(summary):
                # Keyed by identity: the pass holds the item until ``read`` is called for it.
                self._owners[id(item)] = source
                yield item

    def read(self, message: RawMessage | Report, outcome: Outcome) -> None:
        """Tell the source that gave ``message``."""
        self._owners.pop(id(message)).read(message, outcome)

    def finish(self, summary: RunSummary) -> None:
        """Every source's ``finish``; then the first failure one of them raised, if any (a
        mailbox's actions are not skipped because a Graph scan failed, nor the reverse)."""
        failure: DirsyncBridgeError | None = None
        for source in self.sources:
            try:
                source.finish(summary)
            except DirsyncBridgeError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
