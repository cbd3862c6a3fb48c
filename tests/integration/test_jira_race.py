"""A create that reaches Jira late, a crash, and Cloud search lagging behind the create.

Cloud search does not show an issue for a while after it is made (``search_lag``). After a
crash, the rerun may trust "not found" only once that lag has passed since the create could
last have reached Jira: not since its intent was begun, which may be long before, when the
create then waited out 429s. So the intent records, committed before each attempt leaves,
that it may reach Jira until the attempt times out, and once answered, that it reached it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dirsync_bridge.ports import TicketContent
from dirsync_bridge.sinks.jira import JiraSink

from ..simulators.jira import JiraSimulator
from .test_jira_sink import jira_config, token_env


def test_the_sink_says_until_when_a_create_may_reach_jira_before_each_attempt_and_once_answered(
    jira_cloud: JiraSimulator, tmp_path: Path
) -> None:
    sim = jira_cloud
    config = jira_config(sim, tmp_path, timeout=5.0)
    clock = [datetime(2025, 1, 1, 9, tzinfo=UTC)]

    def sleep(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    token = token_env(sim)["DIRSYNC_JIRA_TOKEN"]
    sink = JiraSink(config.jira, token, sleep=sleep, now=lambda: clock[0])
    told: list[tuple[timedelta, int]] = []
    sim.faults.retry_after = "4"
    sim.faults.fail_next(429, times=2)  # the create waits for the throttle twice
    content = TicketContent(summary="Duplicate proxyAddress", description="ann")
    start = clock[0]
    snapshot = sink.create(
        "ab" * 32 + ":0",
        "ab" * 32,
        content,
        reach_by=lambda when: told.append((when - start, sim.log.count("POST"))),
    )
    sink.close()
    assert snapshot.key == "OPS-1"
    seconds = timedelta(seconds=1)
    assert told == [
        (5 * seconds, 0),  # before the first attempt: it may arrive until it times out
        (9 * seconds, 1),  # after a 429 and its wait: the second attempt, likewise
        (13 * seconds, 2),
        (8 * seconds, 3),  # answered: it reached Jira before now, 8 s after it began
    ]
