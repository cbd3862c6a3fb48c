"""`doctor` says what it waits for while a server keeps it waiting (retries, backoff).

The sleeps are recorded, not slept: the retry policy's own ``sleep`` is the injection point.
"""

from __future__ import annotations

from pathlib import Path

from dirsync_bridge.config.settings import Config
from dirsync_bridge.doctor.checks import checks, exit_code

from ..simulators.graph.fixtures import tool_settings
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_SECRET, MAILBOX


def test_doctor_tells_each_retry_while_jira_cannot_be_reached(tmp_path: Path) -> None:
    config = Config.model_validate(
        {
            "state": {"path": str(tmp_path / "state.db")},
            "jira": {"url": "http://127.0.0.1:9", "project": "OPS", "deployment": "cloud"},
        }
    )
    told: list[str] = []
    slept: list[float] = []
    results = list(
        checks(config, {"DIRSYNC_JIRA_TOKEN": "t"}, progress=told.append, sleep=slept.append)
    )

    assert [(c.name, c.outcome) for c in results][-1] == ("jira credentials", "fail")
    assert exit_code(results) == 75
    # The backoff doctor used to sit through in silence (the clock does not move here, so
    # the attempt limit ends it rather than retry_for).
    # Each wait is jittered between half and all of its exponential step.
    steps = [1, 2, 4, 8, 16, 32]
    assert all(step / 2 <= wait <= step for wait, step in zip(slept, steps, strict=False))
    assert len(slept) >= len(steps)
    assert told[0] == "checking jira credentials at http://127.0.0.1:9"
    assert told[1:] == [f"no usable answer yet: trying again in {s:.0f}s" for s in slept]


def test_doctor_tells_each_retry_while_graph_is_busy(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    config = Config.model_validate(
        {
            "state": {"path": str(tmp_path / "state.db")},
            "graph": tool_settings(graph_sim, retry_for="1m"),
            "source": {"mailbox": {"mailbox": MAILBOX, "after": "none"}},
            "enrich": {"cloud": {"enabled": False}},
        }
    )
    graph_sim.faults.retry_after = "3"
    graph_sim.faults.fail_next(503, times=2)
    told: list[str] = []
    slept: list[float] = []
    env = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}
    results = list(checks(config, env, progress=told.append, sleep=slept.append))

    assert exit_code(results) == 0, results
    assert slept == [3, 3]
    mailbox = told.index(f"checking graph mailbox {MAILBOX}")
    assert told[mailbox + 1 :] == ["no usable answer yet: trying again in 3s"] * 2
