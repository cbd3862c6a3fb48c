"""A mailbox pass against the Graph simulator with 50 ms latency per request.

1,000 messages in the inbox, 200 of them reports (the rest other mail). First pass: wall
time, requests per message, and the ratio to the same requests made one after another (the
floor without concurrency); second pass: requests after the token (target: 1).
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.simulators.graph.fixtures import mime_message, tool_settings
from tests.simulators.graph.server import GraphSimulator
from tests.simulators.graph.tenant import CLIENT_SECRET, MAILBOX

from bench.corpus import backlog
from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import run

LATENCY = 0.05
MESSAGES = 1_000
REPORTS = 200


def bench_graph() -> None:
    with GraphSimulator(seed=1) as sim, tempfile.TemporaryDirectory() as tmp:
        reports = Path(tmp) / "reports"
        backlog(reports, REPORTS)
        files = sorted(reports.glob("*.eml"))
        start = datetime.now(UTC) - timedelta(days=2)
        other = mime_message("Weekly digest", "News <news@example.com>", "Hello")
        for n in range(MESSAGES):
            raw = files[n // 5].read_bytes() if n % 5 == 0 else other
            sim.add_message(MAILBOX, "inbox", raw, received=start + timedelta(minutes=n))
        config = Config.model_validate(
            {
                "state": {"path": str(Path(tmp) / "state" / "state.db")},
                "graph": tool_settings(sim),
                "source": {"mailbox": {"mailbox": MAILBOX}},
            }
        )
        env = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}
        sim.faults.latency = LATENCY
        began = time.perf_counter()
        first = run(config, env=env)
        elapsed = time.perf_counter() - began
        assert first.parsed == REPORTS and first.ignored == MESSAGES - REPORTS, first
        requests = len(sim.log.graph())
        serial = requests * LATENCY
        print(
            f"graph: first pass over {MESSAGES:,} messages ({REPORTS} reports), "
            f"{LATENCY * 1000:.0f} ms/request: {requests} requests "
            f"({requests / MESSAGES:.2f} per message), wall {elapsed:.1f} s vs "
            f"{serial:.1f} s one at a time, ratio {elapsed / serial:.2f}; "
            f"{first.created} tickets created"
        )
        sim.reset_log()
        began = time.perf_counter()
        second = run(config, env=env)
        elapsed = time.perf_counter() - began
        assert second.parsed == 0
        print(
            f"graph: second pass: {len(sim.log.graph())} request(s) after the token "
            f"(target 1), wall {elapsed:.2f} s"
        )


if __name__ == "__main__":
    bench_graph()
