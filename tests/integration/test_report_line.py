"""The "Report:" line of a ticket read from a Graph mailbox: the report's subject and date,
never the opaque Graph message id the tool names it by in logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dirsync_bridge.pipeline import run

from ..reportgen import duplicate, report_email
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from .conftest import make_config, outcome
from .test_run import ENV, run_config


def test_a_mailbox_report_is_named_by_subject_and_date_not_by_its_graph_id(
    tmp_path: Path, graph_sim: GraphSimulator, ca_bundle_env: str
) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    rows = [("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com"))]
    message = graph_sim.add_message(
        MAILBOX, "inbox", report_email("Contoso", at, rows, "line@t"), received=at
    )
    config = run_config(graph_sim, tmp_path / "state")

    run(config, env=ENV)

    (ticket,) = outcome(make_config(config.state.path.parent))["tickets"].values()
    report_line = next(
        line for line in ticket["description"].splitlines() if line.startswith("Report:")
    )
    assert report_line == (
        f'Report: "Directory Synchronization Error Report" of {at:%Y-%m-%d %H:%M} UTC'
    )
    assert "graph:" not in ticket["description"] and message.id[-16:] not in ticket["description"]
