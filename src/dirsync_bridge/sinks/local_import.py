"""The local ticket store of an earlier release, moved into the ledger's file.

Earlier releases kept the local tickets in a file of their own beside the ledger
(``tickets.db``). The first run of this release with the local sink (or ``tickets
rebuild``) copies that store into the ledger's tables as it is: its tickets' numbers, keys,
times and comments, and its identity and count of writes, so that ``check_store`` still
tells a store that was lost or restored from an older backup, exactly as before. Then the
file is set aside (``tickets.db.moved-into-ledger``), so that nobody takes it for the live
store, and nothing reads it again.

Killed anywhere, it is safe to repeat. Before the copy commits, nothing was copied. After
it, the ledger records which store it took (``imported_from``), and a file still there with
that id is only set aside. A dry run copies into its in-memory ledger and sets nothing aside.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from .. import crashpoints
from ..errors import DirsyncBridgeError, Fatal, Retriable
from ..sqlite import os_failure
from .local import LocalStore

log = logging.getLogger(__name__)

SET_ASIDE_SUFFIX = ".moved-into-ledger"


Verdict = Literal["take", "moved", "later", "other"]
"""What a separate store file is to the store in the ledger: to be moved in (``take``); the
one moved in already (``moved``); a later copy of that one, which cannot be taken since the
store was written to or rebuilt (``later``); another store altogether (``other``)."""


class Unreadable(Fatal):
    """A separate store file that cannot be read (damaged, not SQLite...): its own fault,
    not the ledger's, nor a full disk's."""


def verdict(store: LocalStore | None, old: LocalStore, paired: tuple[str, int] | None) -> Verdict:
    """What the separate store ``old`` is to ``store``, kept in the ledger (None: a ledger
    no run of this release has opened, which takes it); ``paired``: the store the ledger
    was kept with (its id, writes recorded), if the ledger says.

    A store moved in that every run has refused since (nothing written, no rebuild) gives
    way to the right one put back: the store the ledger was kept with, where the one moved
    in is not (another ledger's, put there by mistake), or a later copy of the same store
    (an older backup moved in by mistake). Nothing else replaces a store moved in.
    """
    old_id, old_revision = old.identity()
    if store is None:
        return "take"
    taken = store.imported_from()
    if taken is None:
        return "take" if store.untouched() else "other"
    unchanged = store.identity() == taken
    if paired is not None and old_id == paired[0] != taken[0]:
        return "take" if unchanged else "other"
    if taken[0] != old_id:
        return "other"
    if old_revision > taken[1]:
        return "take" if unchanged else "later"
    return "moved"


def move_in(
    store: LocalStore, separate: Path, paired: tuple[str, int] | None, *, set_aside: bool
) -> Path | None:
    """The separate store at ``separate``, if there is one, moved into ``store`` (the one
    kept in the ledger) unless it was already (``verdict``); returns where it was set
    aside, if it was. Another store's file is not read into it, and is left where it is,
    with a warning. ``Unreadable`` for a file that cannot be read."""
    if not separate.is_file():
        return None
    try:
        old = read_separate(separate)
    except Unreadable as exc:
        if store.untouched():
            raise  # the store to move in: every run says so, until `tickets rebuild`
        log.warning(
            "%s; it is not used: the local tickets are kept in the ledger %s since an "
            "earlier run; move the file away to silence this warning",
            exc,
            store.path,
        )
        return None
    try:
        what = verdict(store, old, paired)
        if what == "take":
            _take(store, old, separate)
        elif what == "later":
            log.warning(
                "%s is a later copy of the local ticket store moved into the ledger %s, "
                "which has been written to since: it is not moved in, and is set aside",
                separate,
                store.path,
            )
        elif what == "other":
            log.warning(
                "%s is not used: the local tickets are kept in the ledger %s since an "
                "earlier run; move the file away to silence this warning",
                separate,
                store.path,
            )
            return None
    finally:
        old.close()
    return _aside_or_warn(separate) if set_aside else None


def move_in_or_set_aside(
    store: LocalStore, separate: Path, paired: tuple[str, int] | None
) -> Path | None:
    """As ``move_in`` (for ``tickets rebuild``), but a separate file that is not moved in is
    set aside all the same: one that cannot be read (with a warning: the rebuild puts back
    from the ledger what it held), and another store's (a warning said so)."""
    if not separate.is_file():
        return None
    try:
        old = read_separate(separate)
    except Unreadable as exc:
        log.warning("the old local ticket store cannot be read, set aside: %s", exc)
        return _aside_or_warn(separate)
    try:
        try:
            what = verdict(store, old, paired)
        except Fatal:
            # The store in the ledger is damaged (it is being replaced): only the store the
            # ledger was kept with, as far on as it recorded, is taken in its place.
            found = old.identity()
            right = paired is not None and found[0] == paired[0] and found[1] >= paired[1]
            what = "take" if right else "other"
        if what == "take":
            _take(store, old, separate)
    finally:
        old.close()
    return _aside_or_warn(separate)


def read_separate(separate: Path) -> LocalStore:
    """A copy of the separate store (the file is left as it was), its identity readable;
    ``Unreadable`` if it cannot be read, a full disk's error as it is."""
    old = None
    try:
        old = LocalStore.copy_of(separate)
        old.identity()
    except Retriable:
        if old is not None:
            old.close()
        raise
    except DirsyncBridgeError as exc:
        if old is not None:
            old.close()
        raise Unreadable(str(exc)) from None
    return old


def _take(store: LocalStore, old: LocalStore, separate: Path) -> None:
    store.take_in(old)
    crashpoints.crash_point("store-moved-in")  # killed here: only set aside next time
    log.info(
        "moved the local ticket store %s into the ledger %s",
        separate,
        store.path,
        extra={"event": "store-moved-in"},
    )


def _aside_or_warn(separate: Path) -> Path | None:
    """``aside``, or a warning if the file cannot be renamed (another account's, in a
    sticky directory): it is of no use to the store any more, only in the way."""
    try:
        return aside(separate)
    except DirsyncBridgeError as exc:
        log.warning("%s; the ledger does not need it: move it away yourself", exc)
        return None


def aside(separate: Path) -> Path:
    """Set the file ``separate`` (and its log, if it has one) aside under a name no file
    has; where it went. Its log first: a file without the log it needs would read as an
    older store, a log without its file is never read."""
    target = unused(separate.with_name(separate.name + SET_ASIDE_SUFFIX))
    try:
        for suffix in ("-wal", "-shm"):
            side = separate.with_name(separate.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        separate.rename(target)
    except OSError as exc:
        raise os_failure(
            exc, f"{separate}: cannot set the moved local ticket store aside"
        ) from None
    return target


def unused(wanted: Path) -> Path:
    """``wanted``, or ``wanted-2``, ``-3``...: the first name that neither it nor its
    ``-wal`` and ``-shm`` already have."""
    candidate, number = wanted, 1
    while any(
        candidate.with_name(candidate.name + suffix).exists() for suffix in ("", "-wal", "-shm")
    ):
        number += 1
        candidate = wanted.with_name(f"{wanted.name}-{number}")
    return candidate


@contextmanager
def store_to_be_used(
    conn: sqlite3.Connection,
    ledger: Path | str,
    separate: Path,
    paired: tuple[str, int] | None,
) -> Iterator[LocalStore]:
    """The store the next run will use, read-only (``tickets show``, ``doctor``): the one
    kept in the ledger whose connection is ``conn``, the separate store of an earlier
    release that the next run will move in (``verdict``), or, with neither, the empty store
    the next run will make (a throw-away one in memory)."""
    store = LocalStore.in_ledger_readonly(conn, ledger)
    if separate.is_file():
        try:
            old = read_separate(separate)  # as the run reads it (a copy, brought up to date)
        except DirsyncBridgeError:
            if separate.exists() and (store is None or store.untouched()):
                raise  # the store the run would move in: it says so too
            old = None  # set aside meanwhile by a run, or not used: the ledger's it is
        if old is not None:
            try:
                if verdict(store, old, paired) == "take":
                    yield old
                    return
            finally:
                old.close()
    if store is not None:
        yield store
        return
    empty = LocalStore(":memory:")
    try:
        yield empty
    finally:
        empty.close()
