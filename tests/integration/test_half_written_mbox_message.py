"""An mbox read while a delivery agent still appends its last message, then read whole; and a
report cut short at any point of its table (rev25, 4): guards.

The rev25 review found the half-written last message ingested (exit 0, the rows after the
cut counted absent, with ``resolve_after_reports = 1`` resolved) and the whole one then
"already seen"; and a report cut at 50-60% parsed as one listing 0 or 2 of its 5 rows. The
``truncated`` refusal (``parse/cuts.py``, the rev21 fix merged after the review branched)
already settles both: these tests passed on the code they were first run on, and stay as
guards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import replay

from ..reportgen import duplicate, report_email
from .conftest import local_tickets, make_config

T1 = datetime(2026, 11, 2, 8, tzinfo=UTC)
ROWS = [
    (f"{name}@contoso.com", duplicate("ProxyAddresses", f"smtp:{name}@contoso.com"))
    for name in ("ann", "bob", "carol", "dave", "erin")
]


def _mbox(messages: list[bytes]) -> bytes:
    out = b""
    for message in messages:
        out += b"From MAILER-DAEMON Mon Nov  2 08:00:00 2026\n" + message.replace(b"\r\n", b"\n")
        out += b"" if out.endswith(b"\n") else b"\n"
        out += b"\n"
    return out


def _state(config: Config) -> list[tuple[str, str, int]]:
    return sorted((t.content.summary, t.status, len(t.comments)) for t in local_tickets(config))


def _reports() -> list[bytes]:
    return [
        report_email("Contoso", T1 + timedelta(days=d), ROWS, f"r{d}@rev25.test") for d in range(4)
    ]


@pytest.mark.parametrize("after", [3, 1])
def test_a_half_written_last_message_then_the_whole_mbox_ends_as_a_clean_read(
    tmp_path: Path, after: int
) -> None:
    """The first replay refuses the half-written last report; the second reads it whole
    (not "already seen"), and the tickets end as one replay of the whole archive leaves
    them, with ``resolve_after_reports = 1`` too (no cut-off problem resolved)."""
    reports = _reports()
    whole = _mbox(reports)
    clean_config = make_config(tmp_path / "clean", resolve_after_reports=after)
    (tmp_path / "whole.mbox").write_bytes(whole)
    replay([tmp_path / "whole.mbox"], clean_config)

    config = make_config(tmp_path / "grown", resolve_after_reports=after)
    last_start = whole.rindex(b"From MAILER-DAEMON")
    # The delivery agent has written the last message's head and half its table so far.
    part = whole[: last_start + (len(whole) - last_start) * 55 // 100]
    (tmp_path / "inbox.mbox").write_bytes(part)
    first = replay([tmp_path / "inbox.mbox"], config)
    (tmp_path / "inbox.mbox").write_bytes(whole)  # the agent finished
    second = replay([tmp_path / "inbox.mbox"], config)
    assert (first.parsed, first.rejected, first.resolved) == (3, 1, 0)
    assert (second.parsed, second.already_seen) == (1, 3), "the whole last message unread"
    assert _state(config) == _state(clean_config)


@pytest.mark.parametrize("percent", [50, 60, 90])
def test_a_truncated_report_is_not_taken_for_a_whole_one(tmp_path: Path, percent: int) -> None:
    """A report cut inside its table (a half-written file, an interrupted copy) is refused,
    not read as a report of the rows before the cut (at 50%: none, "no errors")."""
    report = report_email("Contoso", T1, ROWS, "cut@rev25.test").replace(b"\r\n", b"\n")
    cut = tmp_path / "cut.eml"
    cut.write_bytes(report[: len(report) * percent // 100])
    config = make_config(tmp_path / "s")
    summary = replay([cut], config)
    assert (summary.parsed, summary.rejected) == (0, 1)
    assert local_tickets(config) == []
    assert next(iter(summary.problems)).code == "truncated"
