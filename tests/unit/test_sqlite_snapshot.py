"""When a copy of a WAL database taken without locks is one state of it (``consistent``)."""

from __future__ import annotations

from dataclasses import replace

from dirsync_bridge.sqlite_snapshot import COARSE_SETTLE_NS, SETTLE_NS, FileState, Stamp, consistent

NOW = 1_765_000_000_123_456_789
END = NOW + 3_000_000  # the clock after the copy (3 ms later)
OLD = NOW - 10 * COARSE_SETTLE_NS + 7  # changed long ago (not on a whole second)
HEADER = bytes(range(32))

FILE = FileState(dev=1, ino=10, size=4096 * 60, mtime_ns=OLD, ctime_ns=OLD)
LOG = FileState(dev=1, ino=11, size=32 + 24 * 4120, mtime_ns=NOW - 5, ctime_ns=NOW - 5)
WITH_LOG = Stamp(FILE, LOG, HEADER)
WITHOUT_LOG = Stamp(FILE, None, b"")


def test_a_log_that_kept_its_header_vouches_for_a_file_checkpointed_meanwhile() -> None:
    later = replace(FILE, mtime_ns=NOW + 9, ctime_ns=NOW + 9, size=FILE.size + 4096)
    grown = replace(LOG, size=LOG.size + 4120, mtime_ns=NOW + 9)
    assert consistent(WITH_LOG, Stamp(later, grown, HEADER), NOW, END)


def test_a_log_emptied_or_restarted_meanwhile_tears_the_copy() -> None:
    emptied = Stamp(FILE, replace(LOG, size=0), b"")
    restarted = Stamp(FILE, LOG, HEADER[:24] + bytes(8))  # new salts
    gone = Stamp(FILE, None, b"")
    assert not consistent(WITH_LOG, emptied, NOW, END)
    assert not consistent(WITH_LOG, restarted, NOW, END)
    assert not consistent(WITH_LOG, gone, NOW, END)


def test_a_file_put_in_its_place_tears_the_copy() -> None:
    restored = replace(FILE, ino=99)
    assert not consistent(WITH_LOG, Stamp(restored, LOG, HEADER), NOW, END)
    assert not consistent(WITHOUT_LOG, Stamp(restored, None, b""), NOW, END)


def test_without_a_log_nothing_may_change() -> None:
    assert consistent(WITHOUT_LOG, WITHOUT_LOG, NOW, END)
    touched = Stamp(replace(FILE, mtime_ns=NOW + 1), None, b"")
    assert not consistent(WITHOUT_LOG, touched, NOW, END)
    appeared = Stamp(FILE, replace(LOG, size=0), b"")
    assert not consistent(WITHOUT_LOG, appeared, NOW, END)


def test_an_unchanged_time_proves_nothing_within_the_clocks_step() -> None:
    """A change in the same step of the file system's clock as the last one leaves the
    time as it was: only a file changed longer ago than that step is proved unchanged."""
    recent = NOW - SETTLE_NS // 2
    just_now = Stamp(replace(FILE, mtime_ns=recent, ctime_ns=recent), None, b"")
    assert not consistent(just_now, just_now, NOW, END)
    whole_second = (NOW // 1_000_000_000 - 1) * 1_000_000_000  # a second-grained file system
    coarse = Stamp(replace(FILE, mtime_ns=whole_second, ctime_ns=whole_second), None, b"")
    assert not consistent(coarse, coarse, NOW, END)
    empty_log_just_now = Stamp(FILE, replace(LOG, size=0), b"")
    assert not consistent(empty_log_just_now, empty_log_just_now, NOW, END)


def test_one_time_a_change_could_not_give_proves_the_file_unchanged() -> None:
    """Every write sets both times to the clock's: an old ctime shows a change as well as an
    old mtime does (``cp -p`` leaves an old mtime and a new ctime, ``touch -d`` the
    reverse)."""
    recent = NOW - SETTLE_NS // 2
    restored = Stamp(replace(FILE, mtime_ns=OLD, ctime_ns=recent), None, b"")
    assert consistent(restored, restored, NOW, END)
    touched = Stamp(replace(FILE, mtime_ns=recent, ctime_ns=OLD), None, b"")
    assert consistent(touched, touched, NOW, END)


def test_a_time_later_than_the_copy_proves_the_file_unchanged() -> None:
    """A ledger restored with its times from a host whose clock ran ahead (``cp -p``,
    ``rsync -a``), or a clock stepped back since: a change during the copy would set a time
    no later than the clock after it, so it would show; nothing is to wait for (rev24)."""
    just_now = NOW - SETTLE_NS // 2
    ahead = Stamp(replace(FILE, mtime_ns=NOW + 600 * 10**9, ctime_ns=just_now), None, b"")
    assert consistent(ahead, ahead, NOW, END)
    stepped_back = Stamp(
        replace(FILE, mtime_ns=NOW + 10**9 + 1, ctime_ns=NOW + 10**9 + 1), None, b""
    )
    assert consistent(stepped_back, stepped_back, NOW, END)
    whole_second_ahead = (END // 10**9 + 5) * 10**9
    coarse = Stamp(replace(FILE, mtime_ns=whole_second_ahead, ctime_ns=just_now), None, b"")
    assert consistent(coarse, coarse, NOW, END)


def test_a_time_within_the_copy_proves_nothing() -> None:
    """A time after the clock before the copy but not after the clock after it may be that
    of a change made during the copy: the copy is taken again."""
    during = Stamp(replace(FILE, mtime_ns=NOW + 1_000_000, ctime_ns=NOW + 1_000_000), None, b"")
    assert not consistent(during, during, NOW, END)
    at_end = Stamp(replace(FILE, mtime_ns=END, ctime_ns=END), None, b"")
    assert not consistent(at_end, at_end, NOW, END)
