"""From a hostile review: the ledger's time text does not read back for years before 1000:
``stamp`` falls back to strftime, which does not zero-pad the year ('1-01-01T...'), and
``moment`` (fromisoformat) refuses it. Any foreign time that reaches the ledger (Graph's
unset-date 0001-01-01T00:00:00Z as a message's receivedDateTime, a watermark) is then an
internal error on every later read (see test_listing_year_one.py).
Now stamps pad the year (isoformat), and unpadded stamps of earlier builds read back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.ledger.history import moment, stamp


@pytest.mark.parametrize("year", [1, 99, 999, 1000])
def test_stamp_reads_back(year: int) -> None:
    value = datetime(year, 1, 1, 0, 0, tzinfo=UTC)
    assert moment(stamp(value)) == value
