"""The local ticket store checked against the ledger, and rebuilt from it.

The ledger (``state.db``) is the source of truth for what the local store (``tickets.db``)
should hold: every problem's history, the key of every ticket, and a digest of what was
written to it. Two files can part ways: the store lost, or restored from an older backup
than the ledger. Writing on would give tickets' keys to other tickets, or fail on tickets
that are not there, so every run with the local sink starts with ``check_store``, which
costs two single-row reads (see ``ledger_store`` for how the two files count writes).

``rebuild_store`` (``dirsync-bridge tickets rebuild``) makes a new store that holds what
the ledger says, under the same ticket keys:

1. settle the writes a crashed run left unfinished, against the old store if it can be read;
2. build the new store beside the old one: each ticket the ledger records, copied from the
   old store where it is there under its key, else restored from the ledger (its summary
   and status; the rest follows in step 5);
3. set the old store aside (``tickets.db.before-rebuild-<time>``, under a name no file has:
   a second rebuild in the same second never overwrites the first one's) and move the new
   one in, in one rename, so that ``tickets.db`` is never missing;
4. in one ledger transaction: believe what the new store holds, flag every problem, and
   keep the ledger with the new store from now on;
5. reconcile: every ticket brought to what its history calls for, as in any run.

Killed anywhere, it is safe to repeat: before step 4 every run still says to rebuild;
after it, the flags make the next run, whichever it is, finish the job as after a crash.
A full disk is a full disk here too (exit 75, free space): the half-made new store is
removed, and the old one is where it was.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import crashpoints
from .config.settings import Config
from .errors import (
    ConfigError,
    DirsyncBridgeError,
    Fatal,
    Retriable,
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
from .sinks.local_schema import ROLE
from .sqlite import nearly_full, os_failure
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
    kept: int = 0
    """Tickets copied from the old store (there under their key)."""
    restored: int = 0
    """Tickets restored from the ledger alone."""
    left_out: int = 0
    """Tickets in the old store that the ledger does not record."""
    writes: int = 0
    """Writes that brought the tickets to what their history calls for."""
    set_aside: Path | None = None
    """Where the old store was kept, if there was one."""

    def line(self) -> str:
        """The one line ``tickets rebuild`` prints."""
        text = (
            f"rebuilt {self.path} from the ledger: {self.kept + self.restored} ticket(s), "
            f"{self.kept} kept from the old store, {self.restored} restored from the ledger, "
            f"{self.writes} write(s)"
        )
        if self.left_out:
            text += f"; {self.left_out} ticket(s) the ledger does not know were left out"
        if self.set_aside is not None:
            text += f"; the old store is kept as {self.set_aside}"
        return text


# ---------------------------------------------------------------------------------------------
# The check at the start of every run


def check_store(ledger: Ledger, store: LocalStore) -> None:
    """Make sure ``store`` is the store the ledger describes; ``StoreMismatch`` if not."""
    store_id, revision = store.identity()
    pairing = ledger.store_pairing()
    if pairing is not None and pairing[0] == store_id and revision >= pairing[1]:
        return  # the store has taken every write the ledger recorded (or more: a crash)
    if pairing is None or not ledger.has_tickets():
        # Never paired (a new ledger, or one older than the pairing): compare ticket by
        # ticket, once. With nothing recorded, any store will do.
        difference = _first_difference(ledger, store)
        if difference is not None:
            raise _mismatch(store, f"it does not match the ledger {ledger.path}: {difference}")
        ledger.pair_store(store_id, revision)
        return
    if pairing[0] != store_id:
        raise _mismatch(
            store,
            f"it is not the store the ledger {ledger.path} was kept with (lost or replaced?)",
        )
    raise _mismatch(
        store,
        f"it is older than the ledger {ledger.path} (restored from a backup?): it has taken "
        f"{revision} write(s), the ledger recorded {pairing[1]}",
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


def rebuild_store(
    config: Config, texts: TicketTexts, policy: Policy, now: datetime | None = None
) -> RebuildSummary:
    """Rebuild the local ticket store from the ledger (module docstring), under the run lock.

    ``now`` names the old store set aside (default: the clock).
    """
    if config.sink.kind != "local":
        raise ConfigError(
            None, "[sink] kind", "is jira: `tickets rebuild` rebuilds the local ticket store only"
        )
    if not config.state.path.exists():
        raise Fatal(
            f"{config.state.path}: there is no ledger to rebuild the local ticket store from"
        )
    path = config.state.local_tickets_path
    summary = RebuildSummary(path=path)
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
            try:
                adopted, store_id, revision = _build(ledger, path, summary)
                crashpoints.crash_point("rebuild-store-built")
                summary.set_aside = _swap(path, now or datetime.now(UTC))
            except OSError as exc:
                raise os_failure(exc, f"{path}: cannot rebuild the local ticket store") from None
            crashpoints.crash_point("rebuild-store-swapped")
            ledger.adopt_store(adopted, store_id, revision)
            store = LocalStore(path)
            try:
                run = RunSummary()
                reconcile_until_settled(ledger, store, texts, policy, run)
                ledger.mark_processed()
                summary.writes = len(run.writes)
            finally:
                store.close()
        finally:
            ledger.close()
    log.info("%s", summary.line())
    return summary


def _build(ledger: Ledger, path: Path, summary: RebuildSummary) -> tuple[list[Adopted], str, int]:
    """Steps 1 and 2: the new store, built beside the old one; what the ledger is to adopt."""
    old = _old_store(path)
    try:
        if old is not None:
            settle(ledger, old)
        else:
            for intent in ledger.pending_intents():
                ledger.settle(intent, None)  # no store to ask: the write is as if undone
        records = ledger.ticket_records()
        known = {r.key for r in records}
        old_tickets = {t.key: t for t in old.tickets()} if old is not None else {}
        last = old.last_number() if old is not None else 0
    finally:
        if old is not None:
            old.close()
    summary.left_out = len(old_tickets.keys() - known)
    numbers = [_number(r) for r in records]
    last = max([last, *numbers, *(ticket_number(k) for k in old_tickets)])
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
    scratch = path.with_name(path.name + ".rebuild")
    _remove(scratch)
    try:
        new = LocalStore(scratch)
        try:
            new.restore(tickets, last)
            whole = new.write_out()
            store_id, revision = new.identity()
        finally:
            new.close()
        wal = scratch.with_name(scratch.name + "-wal")
        if not whole or (wal.exists() and wal.stat().st_size):
            room = "the disk is full; free space on it" if nearly_full(path.parent) else "run"
            raise Retriable(
                f"{scratch}: the rebuilt store could not be written out whole; {room} "
                "and run again: the old store is as it was"
            )
    except BaseException:
        # Nothing half-made is left beside the ledger (a full disk, a signal...).
        _remove(scratch)
        raise
    return adopted, store_id, revision


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


def _old_store(path: Path) -> LocalStore | None:
    """The old store, if there is one that can be read."""
    if not path.exists():
        return None
    try:
        # A copy in memory: the old file is kept aside exactly as it was found.
        return LocalStore.copy_of(path)
    except DirsyncBridgeError as exc:
        log.warning("the old store cannot be read, rebuilding from the ledger alone: %s", exc)
        return None


def _swap(path: Path, now: datetime) -> Path | None:
    """Step 3: the old store set aside, the new one in its place; never no ``tickets.db``.

    No file is ever overwritten on the way: the old store goes under a name that no file
    has, and it is linked or copied there exclusively (``O_EXCL``), never renamed over.
    """
    scratch = path.with_name(path.name + ".rebuild")
    aside: Path | None = None
    if path.exists():
        aside = _unused(path.with_name(f"{path.name}.before-rebuild-{now:%Y%m%dT%H%M%SZ}"))
        # Its log goes with it (SQLite pairs "<file>-wal" with "<file>"), and must not be
        # applied to the new file that takes its name.
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                _keep(side, aside.with_name(aside.name + suffix))
                side.unlink()
        _keep(path, aside)
    scratch.replace(path)  # atomic: tickets.db is the old store or the new, never neither
    return aside


def _unused(wanted: Path) -> Path:
    """``wanted``, or ``wanted-2``, ``-3``...: the first name that neither it nor its
    ``-wal`` and ``-shm`` already have."""
    candidate, number = wanted, 1
    while any(
        candidate.with_name(candidate.name + suffix).exists() for suffix in ("", "-wal", "-shm")
    ):
        number += 1
        candidate = wanted.with_name(f"{wanted.name}-{number}")
    return candidate


def _keep(source: Path, copy: Path) -> None:
    """``source`` also under the new name ``copy``: a hard link, else a copy; never over a
    file that exists (``FileExistsError``), never a half copy left behind."""
    try:
        os.link(source, copy)
        return
    except FileExistsError:
        raise
    except OSError:
        pass  # no hard links here (another file system, a FAT disk...): copy it
    try:
        with source.open("rb") as reading, copy.open("xb") as writing:
            shutil.copyfileobj(reading, writing)
        shutil.copystat(source, copy)
    except FileExistsError:
        raise
    except BaseException:
        copy.unlink(missing_ok=True)
        raise


def _remove(path: Path) -> None:
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        each.unlink(missing_ok=True)
