"""Jira API economy and wall time against the simulator with 50 ms latency per request.

A report with 500 new problems: the minimum is 500 requests (one create each); the wall
time's floor is those 500 requests at 50 ms. Then a replay of the same report: the target
is 0 writes (the ledger already has it).
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.reportgen import duplicate, report_email
from tests.simulators.jira import JiraSimulator

from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import replay

LATENCY = 0.05
PROBLEMS = 500


def bench_jira() -> None:
    rows = [
        (f"user{n:04d}@contoso.com", duplicate("ProxyAddresses", f"SMTP:user{n:04d}@contoso.com"))
        for n in range(PROBLEMS)
    ]
    raw = report_email("Contoso", datetime(2020, 6, 1, 9, tzinfo=UTC), rows, "bench@jira")
    with JiraSimulator("cloud", seed=1) as sim, tempfile.TemporaryDirectory() as tmp:
        mail = Path(tmp) / "mail"
        mail.mkdir()
        (mail / "report.eml").write_bytes(raw)
        config = Config.model_validate(
            {
                "state": {"path": str(Path(tmp) / "state" / "state.db")},
                "sink": {"kind": "jira"},
                "jira": {"url": sim.url, "project": "OPS", "email": sim.email},
            }
        )
        env = {"DIRSYNC_JIRA_TOKEN": sim.api_token}
        sim.faults.latency = LATENCY
        start = time.perf_counter()
        summary = replay([mail], config, env=env)
        elapsed = time.perf_counter() - start
        assert summary.created == PROBLEMS, summary
        requests = len(sim.log)
        writes = len(sim.log.writes())
        floor = PROBLEMS * LATENCY
        print(
            f"jira: report with {PROBLEMS} new problems, {LATENCY * 1000:.0f} ms/request: "
            f"{requests} requests ({writes} writes) vs minimum {PROBLEMS}, ratio "
            f"{requests / PROBLEMS:.3f}; wall {elapsed:.1f} s vs floor {floor:.1f} s, "
            f"ratio {elapsed / floor:.2f}"
        )
        sim.reset_log()
        start = time.perf_counter()
        again = replay([mail], config, env=env)
        elapsed = time.perf_counter() - start
        assert again.already_seen == 1
        print(
            f"jira: replay of the same report: {len(sim.log)} requests, "
            f"{len(sim.log.writes())} writes (target 0), {len(sim.log.searches())} searches, "
            f"wall {elapsed:.2f} s"
        )


if __name__ == "__main__":
    bench_jira()
