"""``dirsync-bridge report --html`` as a user runs it: the history it reads, the dates it
takes, how it writes the file (whole or not at all), and the ledger left untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dirsync_bridge.ledger.reporting import TicketSpan, ticket_spans
from dirsync_bridge.ledger.store import Ledger

from ..conftest import REPORTS
from ..reportgen import duplicate, report_email
from .test_cli_state import (  # noqa: F401  (small_disk: a fixture)
    _table_root_page,
    _without_dac_override,
    cli,
    one_line,
    small_disk,
    write_config,
)

START = datetime(2023, 1, 2, 6, 0, tzinfo=UTC)  # a Monday


def _reports(folder: Path, listed: list[bool]) -> Path:
    """Daily reports of one tenant; report i lists chewie's duplicate when ``listed[i]``."""
    folder.mkdir()
    for day, present in enumerate(listed):
        at = START + timedelta(days=day)
        rows = [("han@contoso.com", duplicate("ProxyAddresses", "smtp:han@contoso.com"))]
        if present:
            rows.append(("chewie@contoso.com", duplicate("Mail", "chewie@contoso.com")))
        name = f"r{day:02}.eml"
        (folder / name).write_bytes(report_email("Contoso", at, rows, f"{name}@example.com"))
    return folder


def test_a_ticket_resolved_and_reopened_is_read_as_two_spans(tmp_path: Path) -> None:
    # Seen, absent from three reports (resolved at the third), back two days later (reopened
    # within 30 days: the same ticket).
    config = write_config(tmp_path, tmp_path / "state")
    corpus = _reports(tmp_path / "mail", [True, False, False, False, True, True])
    assert cli(config, "replay", str(corpus)).returncode == 0
    ledger = Ledger.open_readonly(tmp_path / "state" / "state.db")
    try:
        spans = {s.details.conflicts[0].attribute: s for s in ticket_spans(ledger.conn)}
    finally:
        ledger.close()
    chewie = spans["Mail"]
    assert chewie.spans == (
        (START, START + timedelta(days=3)),
        (START + timedelta(days=4), None),
    )
    assert chewie.kind == "AttributeValueMustBeUnique"
    assert spans["ProxyAddresses"].spans == ((START, None),)


def test_since_must_be_a_calendar_date_or_time_one_line_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path / "state")
    fullwidth = "\uff12\uff10\uff12\uff14-01-05"  # strptime reads these digits as 2024
    for bad in ("2024-1-5", "2024-02-30", "yesterday", "2024-01-05T25:00", "2024-W01", fullwidth):
        done = cli(config, "report", "--html", str(tmp_path / "r.html"), "--since", bad)
        assert done.returncode == 2, (bad, done.stderr)
        line = one_line(done)
        assert "--since" in line and "YYYY-MM-DD" in line, line
    assert not (tmp_path / "r.html").exists()
    done = cli(config, "report", "--html", str(tmp_path / "r.html"), "--since", "2024-01-05")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.html").exists()


def test_since_leaves_out_what_was_resolved_before_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path / "state")
    assert cli(config, "replay", str(REPORTS)).returncode == 1  # the hostile fixtures
    page = tmp_path / "r.html"
    assert cli(config, "report", "--html", str(page)).returncode == 0
    everything = page.read_text(encoding="utf-8")
    assert cli(config, "report", "--html", str(page), "--since", "2019-01-01").returncode == 0
    recent = page.read_text(encoding="utf-8")
    assert "all time" in everything and "since 2019-01-01" in recent
    assert _tickets_in(recent) < _tickets_in(everything)
    assert "2011-11-14" in everything and "2011-11-14" not in recent  # weeks start at --since


def test_since_takes_a_time_as_tickets_since_does(tmp_path: Path) -> None:
    # Review rev14b: report took a day only, tickets a time too; one parser for both now.
    config = write_config(tmp_path, tmp_path / "state")
    assert cli(config, "replay", str(REPORTS)).returncode == 1  # the hostile fixtures
    page = tmp_path / "r.html"
    for since, shown in [
        ("2019-01-01T08:30:00", "since 2019-01-01 08:30:00 UTC"),
        ("2019-01-01T10:30:00.000+02:00", "since 2019-01-01 08:30:00 UTC"),
        ("2019-01-01T00:00:00Z", "since 2019-01-01"),
    ]:
        done = cli(config, "report", "--html", str(page), "--since", since)
        assert done.returncode == 0, (since, done.stderr)
        assert shown in page.read_text(encoding="utf-8"), since


def _tickets_in(page: str) -> int:
    header = page.split("<header>", 1)[1]
    return int(header.split("<p>", 1)[1].split(" ticket(s)", 1)[0])


def test_the_page_replaces_the_file_whole_and_the_ledger_is_left_as_it_was(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, tmp_path / "state")
    assert cli(config, "replay", str(REPORTS)).returncode == 1
    ledger = tmp_path / "state" / "state.db"
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    out = tmp_path / "out"
    out.mkdir()
    page = out / "report.html"
    page.write_text("an older page", encoding="utf-8")
    done = cli(config, "report", "--html", str(page))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"report: wrote {page}\n"
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.iterdir()] == ["report.html"]  # no temporary file left
    assert page.stat().st_mode & 0o777 == 0o644  # readable like any file made here (umask 022)
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before


def test_a_page_that_cannot_be_written_is_one_line_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path / "state")
    done = cli(config, "report", "--html", str(tmp_path / "missing" / "report.html"))
    assert done.returncode == 2
    line = one_line(done)
    assert f"cannot write {tmp_path / 'missing' / 'report.html'}" in line, line


def test_a_full_disk_exits_75_and_keeps_the_older_page_whole(
    tmp_path: Path,
    small_disk: Path,  # noqa: F811
) -> None:
    config = write_config(tmp_path, tmp_path / "state")
    assert cli(config, "replay", str(REPORTS)).returncode == 1
    page = small_disk / "report.html"
    page.write_text("an older page", encoding="utf-8")
    done = cli(config, "report", "--html", str(page))  # ~350 KB onto 64 KiB
    assert done.returncode == 75
    line = one_line(done)
    assert "the disk is full" in line and "free space" in line, line
    assert page.read_text(encoding="utf-8") == "an older page"
    assert [p.name for p in small_disk.iterdir()] == ["report.html"]


def test_report_reads_a_ledger_it_may_not_write(tmp_path: Path) -> None:
    prefix = _without_dac_override()
    state = tmp_path / "state"
    config = write_config(tmp_path, state)
    assert cli(config, "replay", str(REPORTS)).returncode == 1
    (state / "state.db").chmod(0o444)
    state.chmod(0o555)
    try:
        done = cli(config, "report", "--html", str(tmp_path / "r.html"), prefix=prefix)
    finally:
        state.chmod(0o755)
        (state / "state.db").chmod(0o644)
    assert done.returncode == 0, done.stderr
    assert "Open tickets" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_problems_without_a_lifecycle_state_are_read_from_their_ticket_rows(
    tmp_path: Path,
) -> None:
    # A ledger from before states were kept (state NULL), or one whose state this version
    # cannot read: the ticket rows still say when each ticket opened and, resolved, until when.
    config = write_config(tmp_path, tmp_path / "state")
    corpus = _reports(tmp_path / "mail", [True, False, False, False])
    assert cli(config, "replay", str(corpus)).returncode == 0
    db = tmp_path / "state" / "state.db"
    with sqlite3.connect(db) as conn:
        # (States are kept apart, in problem_states: migration 0008-scale.)
        conn.execute(
            "DELETE FROM problem_states WHERE problem IN "
            "(SELECT rowid FROM problems WHERE data LIKE '%chewie%')"
        )
        conn.execute(
            "UPDATE problem_states SET state = 'not json' WHERE problem IN "
            "(SELECT rowid FROM problems WHERE data LIKE '%han@%')"
        )
    conn.close()
    got = sorted((s.spans for s in _all_spans(db)), key=lambda spans: spans[0][1] is None)
    assert got == [((START, START),), ((START, None),)]  # chewie resolved, at last seen; han open


def _all_spans(db: Path) -> list[TicketSpan]:
    ledger = Ledger.open_readonly(db)
    try:
        return list(ticket_spans(ledger.conn))
    finally:
        ledger.close()


def test_a_damaged_ledger_is_one_line_exit_2_and_no_page(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path / "state")
    assert cli(config, "replay", str(REPORTS)).returncode == 1
    ledger = tmp_path / "state" / "state.db"
    page = _table_root_page(ledger, "problems")
    with ledger.open("r+b") as handle:
        handle.seek(4096 * (page - 1))
        handle.write(b"\xde\xad" * 2048)
    done = cli(config, "report", "--html", str(tmp_path / "r.html"))
    assert done.returncode == 2
    line = one_line(done)
    assert line.startswith(f"dirsync-bridge: error: {ledger}: the ledger is damaged ("), line
    assert not (tmp_path / "r.html").exists()


def _with_a_report_dated(tmp_path: Path, at: datetime) -> Path:
    config = write_config(tmp_path, tmp_path / "state")
    rows = [("f@contoso.com", duplicate("UserPrincipalName", "f@contoso.com"))]
    (tmp_path / "future.eml").write_bytes(report_email("Future", at, rows, "fut@example.com"))
    done = cli(
        config, "replay", str(REPORTS / "aadsync_th_thead.eml"), str(tmp_path / "future.eml")
    )
    assert done.returncode == 0, done.stderr
    return config


def test_a_report_dated_9999_12_31_leaves_the_page_working(tmp_path: Path) -> None:
    # A garbled Date header, taken as sent: the weekly loop overflowed (exit 70) on every
    # later page; now the weeks end this week and the page says why.
    config = _with_a_report_dated(tmp_path, datetime(9999, 12, 31, 20, 0, tzinfo=UTC))
    page = tmp_path / "page.html"
    done = cli(config, "report", "--html", str(page))
    assert done.returncode == 0, done.stderr
    assert "lie after this week (newest 9999-12-31" in page.read_text()


def test_a_report_dated_year_5000_does_not_blow_up_the_page(tmp_path: Path) -> None:
    # Was one weekly point for every week up to the year 5000: a 33 MB page.
    config = _with_a_report_dated(tmp_path, datetime(5000, 6, 1, tzinfo=UTC))
    page = tmp_path / "page.html"
    assert cli(config, "report", "--html", str(page)).returncode == 0
    assert page.stat().st_size < 2_000_000, page.stat().st_size


def test_since_the_last_day_of_year_9999_is_a_page_not_an_internal_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path / "state")
    assert cli(config, "replay", str(REPORTS / "aadsync_th_thead.eml")).returncode == 0
    page = tmp_path / "page.html"
    done = cli(config, "report", "--html", str(page), "--since", "9999-12-31")
    assert done.returncode == 0, done.stderr
    assert "since 9999-12-31" in page.read_text()


def test_a_sigkill_while_the_page_is_written_leaves_a_temporary_file_the_next_page_removes(
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    config = write_config(tmp_path, tmp_path / "state")
    assert cli(config, "replay", str(REPORTS / "aadsync_th_thead.eml")).returncode == 0
    site = tmp_path / "www"
    site.mkdir()
    page = site / "report.html"
    page.write_text("old page")
    (site / ".other.html.1.abcdefgh.tmp").write_text("not this page's")
    env = {**os.environ, "DIRSYNC_BRIDGE_CRASH_AT": "report-written:1"}
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "dirsync_bridge",
            "--config",
            str(config),
            "report",
            "--html",
            str(page),
        ],
        capture_output=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert killed.returncode == -9  # a real SIGKILL, after the page was written, before the rename
    assert page.read_text() == "old page"
    (left,) = site.glob(".report.html.*.tmp")
    done = cli(config, "report", "--html", str(page))
    assert done.returncode == 0, done.stderr
    # It used to stay there for good, one more per kill.
    assert sorted(p.name for p in site.iterdir()) == [
        ".other.html.1.abcdefgh.tmp",
        "report.html",
    ], left
    assert "Directory sync problems" in page.read_text()
