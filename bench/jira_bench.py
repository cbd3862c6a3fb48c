"""Jira API economy and wall time against the simulator with 50 ms latency per request.

(1) A report with 500 new problems. One at a time, that is 500 creates: the floor of the old
    way is those 500 requests at 50 ms each. In bulk, 50 to a request: target at most 15
    requests in all, and a wall time at most 0.15x that floor.
(2) A replay of the same report: the ledger already has it; target 0 requests.
(3) A report in which every one of the 500 problems changes: a comment each (and the read
    of each ticket's comments that comes before it, in a new run), and its summary and
    description refreshed (one PUT each). The floor is those requests one after another;
    they go 4 at a time, so the ideal ratio is 0.25.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.reportgen import duplicate, report_email
from tests.simulators.jira import JiraSimulator

from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import replay

LATENCY = 0.05
PROBLEMS = 500
MAX_REQUESTS = 15
MAX_RATIO = 0.15
AT = datetime(2020, 6, 1, 9, tzinfo=UTC)


def report(folder: Path, name: str, at: datetime, *extra: str) -> None:
    rows = [
        (
            f"user{n:04d}@contoso.com",
            duplicate("ProxyAddresses", f"SMTP:user{n:04d}@contoso.com", *extra),
        )
        for n in range(PROBLEMS)
    ]
    (folder / name).write_bytes(report_email("Contoso", at, rows, f"{name}@jira.bench"))


def bench_jira() -> None:
    with JiraSimulator("cloud", seed=1) as sim, tempfile.TemporaryDirectory() as tmp:
        mail = Path(tmp) / "mail"
        mail.mkdir()
        report(mail, "report.eml", AT)
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
        assert summary.created == PROBLEMS and len(sim.issues) == PROBLEMS, summary
        requests, writes = len(sim.log), len(sim.log.writes())
        floor = PROBLEMS * LATENCY
        print(
            f"jira: report with {PROBLEMS} new problems, {LATENCY * 1000:.0f} ms/request: "
            f"{requests} requests ({writes} bulk creates of up to 50; target <= {MAX_REQUESTS}; "
            f"one at a time: {PROBLEMS}); wall {elapsed:.2f} s vs one-at-a-time floor "
            f"{floor:.1f} s, ratio {elapsed / floor:.3f} (target <= {MAX_RATIO})"
        )

        sim.reset_log()
        start = time.perf_counter()
        again = replay([mail], config, env=env)
        elapsed = time.perf_counter() - start
        assert again.already_seen == 1
        print(
            f"jira: replay of the same report: {len(sim.log)} requests (target 0), "
            f"{len(sim.log.writes())} writes, wall {elapsed:.2f} s"
        )

        report(mail, "changed.eml", AT + timedelta(hours=3), "smtp:alias@contoso.com")
        sim.reset_log()
        start = time.perf_counter()
        changed = replay([mail], config, env=env)
        elapsed = time.perf_counter() - start
        assert changed.commented == PROBLEMS, changed
        requests = len(sim.log)
        floor = requests * LATENCY
        print(
            f"jira: report changing all {PROBLEMS} problems: {requests} requests "
            f"({len(sim.log.writes())} writes: an edit that adds its comment each; before the "
            f"refresh of issue 14, 1,002 requests), 4 in flight: wall "
            f"{elapsed:.1f} s vs the "
            f"same requests one at a time {floor:.1f} s, ratio {elapsed / floor:.2f} "
            f"(ideal 0.25)"
        )


if __name__ == "__main__":
    bench_jira()
