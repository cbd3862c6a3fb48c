"""The mailbox as a ``Source``: one cron pass over a folder, and the actions it owes after.

A pass lists the folder from the watermark (``mail_listing`` says why a watermark on
``lastModifiedDateTime``, and why its pages cannot lose a message), skips what the ledger
already has and mail that is plainly not a report, and fetches the rest a few ahead. Each
message read is recorded in the ledger with the action it is owed (``after`` or
``after_rejected``); the actions are done in ``finish``, only once every ticket write the
pass caused is done, and only then does the watermark move. So a pass killed anywhere
leaves the actions owed, and the next pass does them.

One message never stops a pass: one deleted before it could be read, or over the size
limit, is named (exit 1) and recorded so that it is not fetched again. One whose answer
stays broken (``Unserved``: empty, blank, a page, past the retry policy) is passed over:
the rest is read, the watermark stays before it, and the pass ends with exit 75 naming it.
When Graph itself keeps failing (5xx/429, no answer: a plain ``Retriable``) the fetching
ends there instead, rather than spend the retry budget again on every later message; what
was read before it is still ticketed and marked, the watermark stays before it, exit 75. A listed
item that cannot be read (no id, no date: Graph never sends one) is passed over the same way:
the rest is read, the watermark stays before it, exit 75. The watermark never moves past the
pass's own time, whatever change time a message claims.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import as_completed
from datetime import datetime, timedelta
from typing import Final

from .. import interrupt
from ..config.settings import MailboxSettings
from ..errors import (
    DirsyncBridgeError,
    GraphError,
    MessageGone,
    Retriable,
    Skippable,
    TooLarge,
    Unserved,
)
from ..graph.client import MAX_IN_FLIGHT
from ..models import Rejected, Report
from ..ports import MailboxBook, Outcome, Progress, RawMessage
from ..run_summary import RunSummary
from .mail_folder import MailFolder, MailItem

log = logging.getLogger(__name__)

SKEW_WARNING: Final = timedelta(minutes=5)
"""How far ahead of the pass a listed change must be for a warning (below: host and Graph
clocks a little apart, which the cap handles; above: a clock or a stamp is wrong)."""


class MailboxSource:
    """A ``Source``: the messages of one pass over a mailbox folder, and their actions."""

    def __init__(
        self,
        folder: MailFolder,
        ledger: MailboxBook,
        *,
        trusted: Sequence[str],
        max_message_bytes: int,
        now: datetime,
        act: bool,
        progress: Progress | None = None,
    ) -> None:
        """``trusted``: report senders and forwarders (whose mail is always read); ``act``:
        False on a dry run (the actions are listed, not done); ``progress``: told how many
        messages the listing holds to read."""
        self.folder = folder
        self.settings: MailboxSettings = folder.settings
        self.name = folder.name
        self._ledger = ledger
        self._trusted = frozenset(address.casefold() for address in trusted)
        self._limit = max_message_bytes
        self._now = now
        self._act = act
        self._watermark: datetime | None = None
        self._newest: datetime | None = None
        self._stopped: Retriable | None = None
        self._progress = progress

    # -- Source --------------------------------------------------------------------------

    def messages(self, summary: RunSummary) -> Iterator[RawMessage]:
        """The pass's new messages that may be reports, fetched a few ahead, in order."""
        wanted = self._listed(summary)
        if self._progress is not None:
            self._progress.expect(len(wanted))
        for item, data in self.folder.fetched(wanted, self._limit):
            if isinstance(data, Retriable):
                # Not read, not recorded: the watermark stays before it, the next pass retries.
                # The pass's closing line: Graph failing says most (why the rest is unread);
                # else the first thing passed over (an odd listed item, an unserved message).
                failing = not isinstance(data, Unserved)
                self._stopped = data if failing else self._stopped or data
                newest = self._newest
                self._newest = item.changed if newest is None else min(newest, item.changed)
                if failing:
                    log.warning("stopped reading at %s: %s", self.folder.reference(item.id), data)
                    return  # Graph itself is failing: each later fetch would fail the same
                # Only this message's answer stays broken: the rest is read, as after an odd
                # listed item (else one message Graph never serves would block the folder).
                log.warning("passed over %s: %s", self.folder.reference(item.id), data)
                if self._progress is not None:
                    self._progress.advance(self.folder.reference(item.id))
                continue
            if isinstance(data, Skippable):
                self._unreadable(item, data, summary)
                if self._progress is not None:
                    self._progress.advance(self.folder.reference(item.id))
                continue
            yield RawMessage(self.folder.reference(item.id), data, ref=item.id, at=item.received)

    def read(self, message: RawMessage | Report, outcome: Outcome) -> None:
        """Record the message and the action it is now owed."""
        assert isinstance(message, RawMessage)  # a mailbox yields nothing else
        assert message.ref is not None and message.at is not None
        self._ledger.record_mailbox(message.ref, self.name, message.at, outcome)

    def finish(self, summary: RunSummary) -> None:
        """The owed actions (each recorded as done), then the watermark; on a dry run, the
        list of actions. Raises the ``Retriable`` that stopped the fetching, if one did."""
        if not self._act:
            summary.writes += [
                f"{self._action(o)} {self.folder.reference(i)}"
                for i, o, _ in self._ledger.mailbox_owed(self.name)
            ]
        elif not summary.unconfirmed:  # else a ticket may be missing: its mail stays put
            self._do_actions(summary)
            newest, watermark = self._newest, self._watermark
            if newest is not None and (watermark is None or newest > watermark):
                self._ledger.set_cursor(self.name, newest)
        if self._stopped is not None:
            raise self._stopped

    # -- the pass ------------------------------------------------------------------------

    def _listed(self, summary: RunSummary) -> list[MailItem]:
        settings = self.settings
        self._watermark = self._ledger.cursor(self.name)
        if self._watermark is not None and self._watermark > self._now:
            # Left by a version that followed a change stamped ahead: every pass since then
            # listed from the future and read nothing. Read again as a first pass does (known
            # messages are skipped), so that the reports delivered meanwhile are read.
            log.warning(
                "%s: the watermark (%s) is after this pass began: listing from the first "
                "pass's look-back",
                self.name,
                self._watermark.isoformat(),
            )
            self._watermark = None
        if self._watermark is None:
            since = self._now - settings.first_run_lookback
            listed = self.folder.list_since(since, received_since=since)
        else:
            # (A change Graph stamped 0001-01-01, a date it never set, may be the newest a
            # pass saw: the overlap reaches back to the start of time, not past it.)
            earliest = datetime.min.replace(tzinfo=self._watermark.tzinfo) + settings.overlap
            listed = self.folder.list_since(max(self._watermark, earliest) - settings.overlap)
        wanted: list[MailItem] = []
        for item in listed:  # each once, though the pages overlap
            newest = self._newest
            self._newest = item.changed if newest is None else max(newest, item.changed)
            if self._ledger.mailbox_known(item.id):
                summary.already_seen += 1
            elif not worth_reading(item, self._trusted):
                summary.ignored += 1
                log.debug(
                    "ignored %s: %r from %s",
                    self.folder.reference(item.id),
                    item.subject,
                    item.sender,
                )
            else:
                wanted.append(item)
        if listed.odd:
            # Not a guess at what it meant, and not a reason to read nothing (the item may
            # stay listed for ever): the rest is read, the watermark stays before it (below),
            # and the pass ends 75 naming it, so that each pass lists it again.
            self._stopped = Retriable(
                f"Graph: list {self.name}: {len(listed.odd)} listed item(s) could not be read "
                f"({listed.odd[0]}); the rest was read, the next pass lists them again"
            )
        if listed.unproven_from is not None and self._newest is not None:
            # The listing may have missed a message changed from then on (``mail_listing``):
            # the watermark stays there, so that the next pass lists it.
            self._newest = min(self._newest, listed.unproven_from)
        if self._newest is not None and self._newest > self._now:
            # A change stamped ahead of this pass (an item imported with its own stamps, a
            # server clock gone wrong) vouches for nothing: followed, the watermark would
            # jump past every message delivered until then, and no later pass would list
            # one. It stops at the pass's own time; the overlap still reaches back from it.
            # Seconds ahead are no fault (a clock drifting within NTP's reach, a message
            # changed while the pass starts): said at INFO; only a change more than
            # SKEW_WARNING ahead is a WARNING (on stderr, a cron mail every pass).
            ahead = self._newest - self._now
            log.log(
                logging.WARNING if ahead > SKEW_WARNING else logging.INFO,
                "%s lists a message changed at %s, after this pass began (%s): the "
                "watermark stays at the pass's time",
                self.name,
                self._newest.isoformat(),
                self._now.isoformat(),
            )
            self._newest = self._now
        return wanted

    def _unreadable(self, item: MailItem, error: Skippable, summary: RunSummary) -> None:
        """A message that cannot be read: named, and recorded so that it is not fetched again
        (a message too large still owes its ``after_rejected`` action; a deleted one nothing)."""
        reference = self.folder.reference(item.id)
        log.info("unreadable %s: %s", reference, error)  # named on stderr with the summary
        code = "too-large" if isinstance(error, TooLarge) else "unreadable"
        detail = str(error).removeprefix(f"read {reference}: ")
        # Counted as stderr names it: a message over the limit is rejected, not unreadable.
        if code == "too-large":
            summary.rejected += 1
        else:
            summary.unreadable += 1
        summary.problems.append(Rejected(source=reference, code=code, detail=detail))
        # Kept as a rejection to name: never fetched again, it is named by the next pass if
        # this one is stopped before its output.
        reason = f"{code}: {detail}"
        self._ledger.record_mailbox_rejected(item.id, self.name, item.received, reference, reason)
        if isinstance(error, MessageGone):
            self._ledger.mailbox_done(item.id)

    def _action(self, outcome: str) -> str:
        return self.settings.after if outcome == "processed" else self.settings.after_rejected

    def _do_actions(self, summary: RunSummary) -> None:
        """Every mailbox action owed, four at a time; each recorded as soon as it is done."""
        owed = self._ledger.mailbox_owed(self.name)
        with interrupt.workers(MAX_IN_FLIGHT) as pool:
            futures = {
                pool.submit(self.folder.apply, message_id, self._action(outcome)): message_id
                for message_id, outcome, _ in owed
            }
            failure: BaseException | None = None
            for future in as_completed(futures):
                message_id = futures[future]
                try:
                    done = future.result()
                except GraphError as exc:
                    if exc.status != 404:
                        failure = failure or exc
                        continue
                    # Moved or deleted by a person meanwhile: nothing left to do to it.
                    reference = self.folder.reference(message_id)
                    log.warning("%s is gone from the mailbox: %s", reference, exc)
                except DirsyncBridgeError as exc:
                    failure = failure or exc
                    continue
                self._ledger.mailbox_done(message_id)  # done, or not to be done any more
                summary.mailbox_actions += done
        if failure is not None:
            raise failure


def worth_reading(item: MailItem, trusted: Iterable[str]) -> bool:
    """Whether a listed message may be a report (or a spoof of one) and must be read.

    ``trusted``: the report senders and forwarders. Plainly unrelated mail (neither from
    those nor with a report subject) is left alone: not fetched, not marked. A spoof has to
    look like a report to matter, and then it is read, rejected and marked as such.
    """
    sender = item.sender.casefold()
    if any(sender == address.casefold() for address in trusted):
        return True
    return "synchronization error report" in item.subject.casefold()
