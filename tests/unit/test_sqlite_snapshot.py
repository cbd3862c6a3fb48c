"""When a copy of a WAL database taken without locks is one state of it (``consistent``)."""

from __future__ import annotations

from dataclasses import replace

from dirsync_bridge.sqlite_snapshot import COARSE_SETTLE_NS, SETTLE_NS, FileState, Stamp, consistent

NOW = 1_765_000_000_123_456_789
OLD = NOW - 10 * COARSE_SETTLE_NS + 7  # changed long ago (not on a whole second)
HEADER = bytes(range(32))

FILE = FileState(dev=1, ino=10, size=4096 * 60, mtime_ns=OLD, ctime_ns=OLD)
LOG = FileState(dev=1, ino=11, size=32 + 24 * 4120, mtime_ns=NOW - 5, ctime_ns=NOW - 5)
WITH_LOG = Stamp(FILE, LOG, HEADER)
WITHOUT_LOG = Stamp(FILE, None, b"")


def test_a_log_that_kept_its_header_vouches_for_a_file_checkpointed_meanwhile() -> None:
    later = replace(FILE, mtime_ns=NOW + 9, ctime_ns=NOW + 9, size=FILE.size + 4096)
    grown = replace(LOG, size=LOG.size + 4120, mtime_ns=NOW + 9)
    assert consistent(WITH_LOG, Stamp(later, grown, HEADER), NOW)


def test_a_log_emptied_or_restarted_meanwhile_tears_the_copy() -> None:
    emptied = Stamp(FILE, replace(LOG, size=0), b"")
    restarted = Stamp(FILE, LOG, HEADER[:24] + bytes(8))  # new salts
    gone = Stamp(FILE, None, b"")
    assert not consistent(WITH_LOG, emptied, NOW)
    assert not consistent(WITH_LOG, restarted, NOW)
    assert not consistent(WITH_LOG, gone, NOW)


def test_a_file_put_in_its_place_tears_the_copy() -> None:
    restored = replace(FILE, ino=99)
    assert not consistent(WITH_LOG, Stamp(restored, LOG, HEADER), NOW)
    assert not consistent(WITHOUT_LOG, Stamp(restored, None, b""), NOW)


def test_without_a_log_nothing_may_change() -> None:
    assert consistent(WITHOUT_LOG, WITHOUT_LOG, NOW)
    touched = Stamp(replace(FILE, mtime_ns=NOW + 1), None, b"")
    assert not consistent(WITHOUT_LOG, touched, NOW)
    appeared = Stamp(FILE, replace(LOG, size=0), b"")
    assert not consistent(WITHOUT_LOG, appeared, NOW)


def test_an_unchanged_time_proves_nothing_within_the_clocks_step() -> None:
    """A change in the same step of the file system's clock as the last one leaves the
    time as it was: only a file changed longer ago than that step is proved unchanged."""
    just_now = Stamp(replace(FILE, mtime_ns=NOW - SETTLE_NS // 2), None, b"")
    assert not consistent(just_now, just_now, NOW)
    whole_second = (NOW // 1_000_000_000 - 1) * 1_000_000_000  # a second-grained file system
    coarse = Stamp(replace(FILE, mtime_ns=whole_second, ctime_ns=whole_second), None, b"")
    assert not consistent(coarse, coarse, NOW)
    empty_log_just_now = Stamp(FILE, replace(LOG, size=0), b"")
    assert not consistent(empty_log_just_now, empty_log_just_now, NOW)
