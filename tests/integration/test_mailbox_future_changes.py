"""The mailbox watermark and messages whose ``lastModifiedDateTime`` lies ahead (an item
imported with its own stamps, a server clock gone wrong): the watermark never moves past the
pass's own time, so one such message cannot keep every later pass from listing new mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import run

from ..conftest import REPORTS
from ..simulators.graph.fixtures import mime_message
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from .test_run import ENV, NOW, folder_of, run_config

pytestmark = pytest.mark.usefixtures("ca_bundle_env")


def test_one_message_changed_in_the_future_does_not_blind_every_later_pass(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """Graph lists one message (a newsletter, not even a report) with a lastModifiedDateTime
    a year ahead (an item imported with its own stamps, a server clock gone wrong). Followed,
    the watermark would jump a year ahead and no later pass would list the report delivered
    next: it stops at the pass's own time (as export files dated ahead vouch for nothing)."""
    junk = mime_message("Your weekly digest", "News <news@example.com>", "Hello")
    graph_sim.add_message(MAILBOX, "inbox", junk, received=NOW + timedelta(days=365))
    config = run_config(graph_sim, tmp_path / "state")
    run(config, env=ENV)
    assert cursor(config) <= datetime.now(UTC)
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    msg = graph_sim.add_message(MAILBOX, "inbox", report)
    summary = run(config, env=ENV)
    assert summary.created == 3, (summary.created, summary.problems)
    assert folder_of(graph_sim, msg.id) == "elsewhere"


def test_a_watermark_already_in_the_future_is_read_again_from_the_look_back(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """A ledger whose watermark an earlier version moved a year ahead: the report delivered
    during the blind passes is read (the pass lists as a first pass does), and the
    watermark comes back to this pass's time."""
    config = run_config(graph_sim, tmp_path / "state")
    run(config, env=ENV)  # makes the ledger
    name = f"{MAILBOX}/inbox".casefold()
    ledger = Ledger.open(config.state.path)
    try:
        ledger.set_cursor(name, NOW + timedelta(days=365))
    finally:
        ledger.close()
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    msg = graph_sim.add_message(MAILBOX, "inbox", report, received=NOW - timedelta(hours=2))
    summary = run(config, env=ENV)
    assert summary.created == 3, (summary.created, summary.problems)
    assert folder_of(graph_sim, msg.id) == "elsewhere"
    assert cursor(config) <= NOW + timedelta(hours=1)


def cursor(config: Config) -> datetime:
    """The mailbox's watermark in the ledger."""
    ledger = Ledger.open(config.state.path)
    try:
        found = ledger.cursor(f"{MAILBOX}/inbox".casefold())
    finally:
        ledger.close()
    assert found is not None
    return found


def ahead_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING" and "after this pass began" in r.getMessage()
    ]


def test_a_host_clock_a_few_seconds_behind_graph_is_not_a_warning_every_pass(
    tmp_path: Path, graph_sim: GraphSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Graph's clock 3 s ahead of the host's (ordinary drift), or a report delivered while
    the pass starts: the cap applies, but it is no fault, so no WARNING (a cron mail every
    pass); only a change more than ``mailbox.SKEW_WARNING`` ahead is one."""
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    graph_sim.add_message(MAILBOX, "inbox", report)  # stamped by Graph's clock: now
    config = run_config(graph_sim, tmp_path / "state")
    with caplog.at_level("WARNING"):
        summary = run(config, env=ENV, now=datetime.now(UTC) - timedelta(seconds=3))
    assert summary.created == 3
    assert ahead_warnings(caplog) == []


def test_a_host_clock_an_hour_behind_graph_is_still_a_warning(
    tmp_path: Path, graph_sim: GraphSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    graph_sim.add_message(MAILBOX, "inbox", report)
    config = run_config(graph_sim, tmp_path / "state")
    with caplog.at_level("WARNING"):
        summary = run(config, env=ENV, now=datetime.now(UTC) - timedelta(hours=1))
    assert summary.created == 3
    assert len(ahead_warnings(caplog)) == 1
