"""From a hostile review: Graph cutting every /$value off mid-body (a proxy or a link dying under
load: the connection drops inside the chunked body, ``ChunkedEncodingError``) is classed
``Unserved`` per message (wire.answers_own), so the pass goes on and spends the whole
``retry_for`` budget again on every later message, the cost the Unserved split said it
avoids for a Graph that is failing. A pass over N messages then lasts about N x retry_for
(2 minutes by default: 30 queued reports = an hour, overlapping the next cron runs).
Now a body cut off mid-way is a transport failure: the pass stops, as for a 503 storm."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from dirsync_bridge.errors import Retriable
from dirsync_bridge.pipeline import run

from ..conftest import REPORTS
from ..simulators.graph.faults import DROP, TRUNCATE
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from .test_run import ENV, NOW, run_config

pytestmark = pytest.mark.usefixtures("ca_bundle_env")

N = 24
BUDGET = 2  # seconds of retry_for


@pytest.mark.parametrize(
    "fault", [TRUNCATE, 503, DROP], ids=["cut-mid-body", "control-503", "control-dropped"]
)
def test_every_body_cut_off_stops_the_pass_like_a_503_storm(
    tmp_path: Path, graph_sim: GraphSimulator, fault: int
) -> None:
    reports = (sorted(REPORTS.glob("*.eml")) * 10)[:N]
    for n, path in enumerate(reports):
        graph_sim.add_message(
            MAILBOX,
            "inbox",
            path.read_bytes(),
            received=NOW - timedelta(hours=5) + timedelta(minutes=n),
        )
    config = run_config(graph_sim, tmp_path / "state")
    config = config.model_copy(
        update={"graph": config.graph.model_copy(update={"retry_for": timedelta(seconds=BUDGET)})}
    )
    graph_sim.faults.path_contains = "/$value"
    graph_sim.faults.fail_next(fault, times=10_000)
    started = time.monotonic()
    with pytest.raises(Retriable):
        run(config, env=ENV)
    took = time.monotonic() - started
    values = [r for r in graph_sim.log if "/$value" in getattr(r, "path", "")]
    # A 503 storm stops at the first message: about one budget. Cut bodies everywhere
    # should cost no more than a couple of budgets, not one per message.
    assert took < 2 * BUDGET + 1.5, (
        f"pass took {took:.1f}s for {N} messages ({len(values)} body requests), "
        f"budget {BUDGET}s each"
    )
