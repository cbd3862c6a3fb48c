"""Reports dated in the future (own time, or a file's mtime) resolve nothing; one unchanged
file read on many days is one report (third review).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge import ingest
from dirsync_bridge.pipeline import replay

from .test_export_copies import EMPTY, ann_tickets, dated, opening, upn_mail


def at_day(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    class Fixed(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return when if tz is None else when.astimezone(tz)

    monkeypatch.setattr(ingest, "datetime", Fixed)


@pytest.mark.parametrize("mtime", ["future", "past"])
def test_one_unchanged_timeless_export_re_read_on_later_days_is_one_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mtime: str
) -> None:
    """The same empty csexport, never rewritten, left in the folder a daily cron replays:
    with a past mtime it is one report (known by its mtime); with a skewed future mtime it
    should be too, not one new absence per day the folder is replayed."""
    config, now, folder = opening(tmp_path)
    e1 = upn_mail(folder, "e1", now - timedelta(days=1), ["ann@contoso.com"])
    at_day(monkeypatch, now)
    replay([e1], config)
    (folder / "old.xml").write_bytes(EMPTY)
    dated(
        folder / "old.xml",
        now + timedelta(days=400) if mtime == "future" else now - timedelta(hours=1),
    )
    parsed = 0
    for day in range(4):
        at_day(monkeypatch, now + timedelta(days=day, minutes=5))
        parsed += replay([folder], config).parsed
    ann = ann_tickets(config)
    assert [t["status"] for t in ann] == ["open"], "one stale file resolved a live problem"
    assert parsed == 1, f"one unchanged file ingested as {parsed} reports"


@pytest.mark.parametrize("source", ["csexport", "email"])
def test_reports_dated_in_the_future_by_their_own_time_do_not_hide_later_sightings(
    tmp_path: Path, source: str
) -> None:
    """The mtime cap's twin: an export whose records say a future time (a DC's clock years
    ahead), or an email whose Date is in the future."""
    from ..exportgen import csexport

    config, now, folder = opening(tmp_path)

    replay(
        [upn_mail(folder, "e1", now - timedelta(days=2), ["ann@contoso.com", "bob@contoso.com"])],
        config,
    )
    for n in range(3):
        at = datetime(2030, 1, 1 + n, tzinfo=UTC)
        if source == "csexport":
            p = folder / f"f{n}.xml"
            p.write_bytes(csexport([("Qk9C", "bob@contoso.com", "bob@contoso.com")], at))
        else:
            p = upn_mail(folder, f"f{n}", at, ["bob@contoso.com"])
        replay([p], config)
    replay(
        [upn_mail(folder, "e2", now - timedelta(hours=1), ["ann@contoso.com", "bob@contoso.com"])],
        config,
    )
    ann = ann_tickets(config)
    assert any(t["status"] == "open" for t in ann), [(t["status"], t["summary"]) for t in ann]
