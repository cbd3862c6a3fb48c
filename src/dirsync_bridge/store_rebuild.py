"""The local ticket store checked against the ledger, and rebuilt from it.

The ledger is the source of truth for what the local store should hold: every problem's
history, the key of every ticket, and a digest of what was written to it. The store is kept
in the ledger's own file, so the two cannot part ways any more; but a store of an earlier
release (a file of its own, ``tickets.db``) could be lost, or restored from an older backup
than the ledger, and it is moved in as it was (``local_import``). Writing on would give
tickets' keys to other tickets, or fail on tickets that are not there, so every run with
the local sink starts with ``check_store``, which costs two single-row reads (see
``ledger/pairing.py`` for how the two count writes).

``rebuild_store`` (``dirsync-bridge tickets rebuild``) makes the store hold what the ledger
says, under the same ticket keys:

1. move in a separate store of an earlier release, if one is still beside the ledger (one
   that cannot be read is set aside), and settle the writes a crashed run left unfinished;
2. work out the new store: each ticket the ledger records, kept from the store where it is
   there under its key, else restored from the ledger (its summary and status; the rest
   follows in step 4);
3. in one transaction: replace the store's tickets with those, as a new store, believe
   what it holds, flag every problem, and keep the ledger with it from now on;
4. reconcile: every ticket brought to what its history calls for, as in any run.

Killed anywhere, it is safe to repeat: before step 3 commits every run still says to
rebuild; after it, the flags make the next run, whichever it is, finish the job as after a
crash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from . import crashpoints, sqlite
from .config.settings import Config
from .errors import (
    ConfigError,
    Fatal,
    SinkMismatch,
    StoreMismatch,
)
from .ledger.lock import RunLock
from .ledger.pairing import Adopted, TicketRecord
from .ledger.store import Ledger
from .lifecycle import Policy
from .ports import TicketContent, TicketSnapshot
from .run_summary import RunSummary
from .sinks.local import KEY_PREFIX, RESOLUTION_DONE, LocalStore, ticket_number
from .sinks.local_import import move_in_or_set_aside
from .sinks.local_schema import ROLE
from .ticket_plan import TicketTexts, applied_from
from .ticket_sync import reconcile_until_settled, settle

log = logging.getLogger(__name__)

REBUILT_DESCRIPTION = (
    "(This ticket was rebuilt from the ledger after the local ticket store was lost or "
    "restored from an older backup. Its description was not kept in the ledger: it is "
    "written again when the problem next changes.)"
)


@dataclass(slots=True)
class RebuildSummary:
    """What a rebuild did, for its closing line."""

    path: Path
    """The ledger's file, which keeps the store."""
    kept: int = 0
    """Tickets copied from the old store (there under their key)."""
    restored: int = 0
    """Tickets restored from the ledger alone."""
    left_out: int = 0
    """Tickets in the old store that the ledger does not record."""
    writes: int = 0
    """Writes that brought the tickets to what their history calls for."""
    set_aside: Path | None = None
    """Where a separate store of an earlier release was set aside, if there was one."""

    def line(self) -> str:
        """The one line ``tickets rebuild`` prints."""
        text = (
            f"rebuilt the local ticket store in {self.path} from the ledger: "
            f"{self.kept + self.restored} ticket(s), "
            f"{self.kept} kept from the old store, {self.restored} restored from the ledger, "
            f"{self.writes} write(s)"
        )
        if self.left_out:
            text += f"; {self.left_out} ticket(s) the ledger does not know were left out"
        if self.set_aside is not None:
            text += f"; the separate store of an earlier release is kept as {self.set_aside}"
        return text


# ---------------------------------------------------------------------------------------------
# The check at the start of every run


def check_store(ledger: Ledger, store: LocalStore) -> None:
    """Make sure ``store`` is the store the ledger describes; ``StoreMismatch`` if not."""
    why = mismatch(ledger, store)
    if why is not None:
        raise _mismatch(store, why)
    pairing = ledger.store_pairing()
    if pairing is None or not ledger.has_tickets():
        ledger.pair_store(*store.identity())  # compared ticket by ticket once: from now on


def mismatch(ledger: Ledger, store: LocalStore) -> str | None:
    """Why ``store`` is not the store the ledger describes, or None if it is (reads only:
    ``doctor`` and ``tickets show`` say what every run would, from one snapshot of the
    ledger's file even while a run writes it)."""
    with sqlite.reading(ledger.conn):
        return _mismatch_now(ledger, store)


def _mismatch_now(ledger: Ledger, store: LocalStore) -> str | None:
    store_id, revision = store.identity()
    pairing = ledger.store_pairing()
    if pairing is not None and pairing[0] == store_id and revision >= pairing[1]:
        return None  # the store has taken every write the ledger recorded (or more: a crash)
    if pairing is None or not ledger.has_tickets():
        # Never paired (a new ledger, or one older than the pairing): compare ticket by
        # ticket, once. With nothing recorded, any store will do.
        difference = _first_difference(ledger, store)
        return None if difference is None else f"it does not match the ledger: {difference}"
    if pairing[0] != store_id:
        return (
            "it is not the store the ledger was kept with (the separate store of an "
            "earlier release was lost or replaced before it was moved into the ledger?)"
        )
    return (
        "it is older than the ledger (the separate store of an earlier release was "
        f"restored from a backup?): it has taken {revision} write(s), the ledger recorded "
        f"{pairing[1]}"
    )


def _mismatch(store: LocalStore, why: str) -> StoreMismatch:
    return StoreMismatch(
        f"{store.path}: the local ticket store cannot be used: {why}; {ROLE.repair}"
    )


def _first_difference(ledger: Ledger, store: LocalStore) -> str | None:
    pending = ledger.pending_tickets()
    for record in ledger.ticket_records():
        if (record.fingerprint, record.episode) in pending:
            continue  # the store may be ahead of the ledger there: settling will tell
        found = store.get(record.key)
        if found is None:
            return f"it has no ticket {record.key}"
        if found.idempotency_key != record.idempotency_key:
            return f"its {record.key} is another ticket"
        applied = applied_from(found)
        if (applied.content_digest, applied.comments, applied.status) != (
            record.content_digest,
            record.comments,
            record.status,
        ):
            return f"its {record.key} is not what the ledger recorded writing"
    return None


# ---------------------------------------------------------------------------------------------
# The rebuild


def rebuild_store(config: Config, texts: TicketTexts, policy: Policy) -> RebuildSummary:
    """Rebuild the local ticket store from the ledger (module docstring), under the run lock."""
    if config.sink.kind != "local":
        raise ConfigError(
            None, "[sink] kind", "is jira: `tickets rebuild` rebuilds the local ticket store only"
        )
    if not config.state.path.exists():
        raise Fatal(
            f"{config.state.path}: there is no ledger to rebuild the local ticket store from"
        )
    summary = RebuildSummary(path=config.state.path)
    with RunLock(config.state.lock_path):
        ledger = Ledger.open(config.state.path)
        ledger.use_rules(policy)
        ledger.use_texts(texts.fingerprint)
        try:
            try:
                ledger.keep_with_sink("local")
            except SinkMismatch:
                raise SinkMismatch(
                    f"{ledger.path}: this ledger's tickets are in Jira, not in a local ticket "
                    "store: `tickets rebuild` rebuilds the local store only, and there is "
                    "none to rebuild"
                ) from None
            store = LocalStore.in_ledger(ledger.conn, ledger.path)
            summary.set_aside = move_in_or_set_aside(
                store, config.state.local_tickets_path, ledger.store_pairing()
            )
            adopted, tickets, last = _plan(ledger, store, summary)
            with ledger.grouped():
                store_id, revision = store.replace_all(tickets, last)
                crashpoints.crash_point("rebuild-store-built")  # killed here: no rebuild
                ledger.adopt_store(adopted, store_id, revision)
            crashpoints.crash_point("rebuild-store-swapped")
            run = RunSummary()
            reconcile_until_settled(ledger, store, texts, policy, run)
            ledger.mark_processed()
            summary.writes = len(run.writes)
        finally:
            ledger.close()
    log.info("%s", summary.line())
    return summary


def _plan(
    ledger: Ledger, store: LocalStore, summary: RebuildSummary
) -> tuple[list[Adopted], list[TicketSnapshot], int]:
    """Steps 1 and 2: the tickets the store is to hold, what the ledger is to adopt, and
    the number new keys are to follow."""
    settle(ledger, store)
    records = ledger.ticket_records()
    known = {r.key for r in records}
    old_tickets = {t.key: t for t in store.tickets()}
    summary.left_out = len(old_tickets.keys() - known)
    numbers = [_number(r) for r in records]
    last = max([store.last_number(), *numbers, *(ticket_number(k) for k in old_tickets)])
    keys: dict[tuple[str, int], str] = {}
    given: set[str] = set()
    for record in records:
        key = record.key
        if key in given:
            last += 1  # a key given twice (a store lost before it was checked): a new one
            key = f"{KEY_PREFIX}{last}"
        given.add(key)
        keys[record.fingerprint, record.episode] = key
    tickets: list[TicketSnapshot] = []
    adopted: list[Adopted] = []
    for record in records:
        key = keys[record.fingerprint, record.episode]
        found = old_tickets.get(key)
        if (
            found is not None
            and key == record.key
            and found.idempotency_key == record.idempotency_key
        ):
            ticket = found
            summary.kept += 1
            applied = applied_from(found)
            digest, comments = applied.content_digest, applied.comments
        else:
            previous = keys.get((record.fingerprint, record.episode - 1))
            ticket = _from_ledger(record, key, previous)
            summary.restored += 1
            digest, comments = "", {}  # nothing written yet: every write is owed
        tickets.append(ticket)
        adopted.append(
            Adopted(record.fingerprint, record.episode, key, digest, comments, ticket.status)
        )
    return adopted, tickets, last


def _number(record: TicketRecord) -> int:
    try:
        return ticket_number(record.key)
    except ValueError:
        raise Fatal(
            f"the ledger records ticket {record.key}, which is not a local ticket: it was kept "
            "with Jira, and `tickets rebuild` rebuilds the local ticket store only"
        ) from None


def _from_ledger(record: TicketRecord, key: str, previous: str | None) -> TicketSnapshot:
    # A ticket links the problem's ticket before it (as ``render`` does): true of tickets
    # whose episode is gone too, whose content no history can render again.
    links = (previous,) if previous else ()
    return TicketSnapshot(
        key=key,
        idempotency_key=record.idempotency_key,
        fingerprint=record.fingerprint,
        content=TicketContent(summary=record.summary, description=REBUILT_DESCRIPTION, links=links),
        status=record.status,
        resolution=RESOLUTION_DONE if record.status == "resolved" else None,
    )
