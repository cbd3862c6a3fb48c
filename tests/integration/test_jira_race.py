"""A create that reaches Jira late, a crash, and Cloud search lagging behind the create.

Cloud search does not show an issue for a while after it is made (``search_lag``). After a
crash, the rerun may trust "not found" only once that lag has passed since the create could
last have reached Jira: not since its intent was begun, which may be long before, when the
create then waited out 429s. So the intent records when each attempt is sent, committed
before sending, and the rerun waits from the last.
"""

from __future__ import annotations

from pathlib import Path

from dirsync_bridge.ports import TicketContent
from dirsync_bridge.sinks.jira import JiraSink

from ..simulators.jira import JiraSimulator
from .test_jira_sink import jira_config, token_env


def test_the_sink_says_before_each_attempt_of_a_create_that_it_is_sent(
    jira_cloud: JiraSimulator, tmp_path: Path
) -> None:
    sim = jira_cloud
    config = jira_config(sim, tmp_path)
    slept: list[float] = []
    sink = JiraSink(config.jira, token_env(sim)["DIRSYNC_JIRA_TOKEN"], sleep=slept.append)
    sent: list[int] = []
    sim.faults.retry_after = "4"
    sim.faults.fail_next(429, times=2)  # the create waits for the throttle twice
    content = TicketContent(summary="Duplicate proxyAddress", description="ann")
    snapshot = sink.create(
        "ab" * 32 + ":0", "ab" * 32, content, sending=lambda: sent.append(len(sim.log.records))
    )
    sink.close()
    assert snapshot.key == "OPS-1" and slept == [4.0, 4.0]
    # Told before each of the three attempts, each time before the request left.
    creates = [n for n, r in enumerate(sim.log.records) if r.method == "POST"]
    assert len(sent) == 3 and all(told <= n for told, n in zip(sent, creates, strict=True))
