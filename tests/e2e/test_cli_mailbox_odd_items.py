"""`run` as cron runs it, a mailbox listing page holding an item Graph would never send:
one line and exit 75 (incomplete: the next pass lists it again), the rest read; never an
internal error (exit 70)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..conftest import REPORTS
from ..integration.test_run import folder_of
from ..simulators.graph import mail
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from .test_cli_run import cli, config_file


def test_an_odd_item_in_a_listing_page_is_75_in_one_line_and_the_report_is_read(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """It used to be ``internal error (KeyError: 'receivedDateTime')``, exit 70, on every
    pass, and no report read while the item stayed listed."""
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    received = datetime.now(UTC) - timedelta(hours=1)
    msg = graph_sim.add_message(MAILBOX, "inbox", report, received=received)
    real = mail._list
    odd = {"id": "AAMk-odd-1", "lastModifiedDateTime": "2020-01-01T00:00:00Z"}

    def with_odd(req, box, folder, ctx):  # type: ignore[no-untyped-def]
        reply = real(req, box, folder, ctx)
        if isinstance(reply.body, dict) and isinstance(reply.body.get("value"), list):
            reply.body["value"] = [odd, *reply.body["value"]]
        return reply

    monkeypatch.setattr(mail, "_list", with_odd)
    done = cli(config_file(tmp_path, graph_sim.url, graph_sim.ca_path), "run")
    assert done.returncode == 75, (done.returncode, done.stderr)
    assert done.stderr.count("\n") == 1, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert "1 listed item(s) could not be read (receivedDateTime is not a date" in done.stderr
    assert folder_of(graph_sim, msg.id) == "elsewhere"
