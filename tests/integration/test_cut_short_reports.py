"""A report read while it is still being written, then whole: every row ticketed once (rev21).

An ``.eml`` a save or a copy has not finished, or an mbox a delivery agent is still appending
to, is read by one cron replay cut short and by the next one whole. The cut message used to
be taken as a complete report of its complete rows (exit 0, no warning); the whole one was
then the same report "already seen" (same Message-ID, other bytes), so the rows written after
the first read were never ticketed. Now the cut message is rejected ``truncated`` (named,
exit 1) and makes no ticket; it is remembered by the sha256 of its cut bytes only, so the
whole file, other bytes, is read by the next run, and every row ticketed once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config

from ..conftest import REPORTS
from ..unit.test_cut_short_shapes import gmail_html_forward
from .conftest import cli

FULL = (REPORTS / "aadconnect_extra_columns.eml").read_bytes()
LAST_ROW = b"<tr><td>christie.cline@contoso.com</td>"
CUT = FULL[: FULL.index(LAST_ROW) + len(LAST_ROW) + 40]  # the writer is inside the last row
ENVELOPE = b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
EARLIER = ENVELOPE + (REPORTS / "aadsync_th_thead.eml").read_bytes() + b"\n" + ENVELOPE
IDENTITIES = {"brian.johnson@contoso.com", "christie.cline@contoso.com"}


def _tickets(config: Config) -> list[dict[str, object]]:
    listed = cli(config, "tickets", "--status", "all", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    tickets: list[dict[str, object]] = json.loads(listed.stdout)
    return tickets


def _identities(config: Config) -> list[object]:
    return sorted(t["identity"] for t in _tickets(config) if t["identity"] in IDENTITIES)


@pytest.mark.parametrize("container", ["eml", "mbox"])
def test_the_rows_written_after_a_first_read_are_ticketed_by_the_rerun(
    tmp_path: Path, config: Config, container: str
) -> None:
    path = tmp_path / ("report.eml" if container == "eml" else "inbox.mbox")
    before = EARLIER if container == "mbox" else b""
    path.write_bytes(before + CUT)
    done = cli(config, "replay", str(path))
    assert done.returncode == 1, done.stderr  # rejected, named on stderr
    assert "truncated: the HTML ends inside a table" in done.stderr
    assert "Traceback" not in done.stderr
    assert _identities(config) == []  # none of its complete rows ticketed either
    stalled = cli(config, "replay", str(path))  # the writer stalls: the same bytes again
    assert stalled.returncode == 0, stalled.stderr  # those bytes are known (their sha256)
    assert _identities(config) == []
    path.write_bytes(before + FULL)  # the writer finishes
    again = cli(config, "replay", str(path))
    assert again.returncode == 0, again.stderr
    assert "1 parsed, 0 rejected" in again.stdout
    tickets = _identities(config)
    assert tickets == sorted(["brian.johnson@contoso.com", "christie.cline@contoso.com"]), tickets
    assert cli(config, "replay", str(path)).returncode == 0
    assert _identities(config) == tickets  # each problem ticketed exactly once


def test_a_cut_copy_of_a_report_already_ticketed_changes_nothing(
    tmp_path: Path, config: Config
) -> None:
    whole = tmp_path / "whole.eml"
    whole.write_bytes(FULL)
    assert cli(config, "replay", str(whole)).returncode == 0
    before = _tickets(config)
    assert before
    cut = tmp_path / "copy.eml"
    cut.write_bytes(CUT)
    done = cli(config, "replay", str(cut))
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1), done.stderr
    assert _tickets(config) == before
    assert cli(config, "replay", str(whole), str(cut)).returncode in (0, 1)
    assert _tickets(config) == before


def test_an_inline_html_forward_read_cut_then_whole_tickets_every_row(
    tmp_path: Path, config: Config
) -> None:
    # rev26: the cut inline forward (single-part HTML from a trusted forwarder) was parsed
    # (exit 0) as a complete report of the rows before the cut; the whole forward, read
    # next, was already seen: the rows written after the first read were never ticketed.
    whole = gmail_html_forward()
    path = tmp_path / "fwd.eml"
    path.write_bytes(whole[: whole.index(b"</tr>") + len(b"</tr>")])  # after the header row
    first = cli(config, "replay", str(path))
    assert first.returncode == 1 and "truncated" in first.stderr, first.stderr
    assert _identities(config) == []
    path.write_bytes(whole)
    again = cli(config, "replay", str(path))
    assert again.returncode == 0, again.stderr
    assert "1 parsed, 0 rejected" in again.stdout
    assert _identities(config) == sorted(IDENTITIES)  # every row's problem, once each
