"""A 500 on a Jira read is a server's hiccup: retried, and if it lasts, temporary (75).

Jira answers an internal error for faults that pass; taken for a refusal, a 500 on the key
search of ``observe`` or on the read that settles a lost comment stopped the run with exit 2
("a person must fix the configuration") for a fault nobody could fix.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.errors import Retriable

from ..simulators.jira import JiraSimulator
from .test_jira_faults import ANN, ANN_MORE, BOB, ours, run
from .test_jira_sink import jira_config, one_report, outcome_leftovers

START = datetime(2021, 5, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_a_500_on_the_key_search_is_retried_and_if_it_lasts_is_temporary_not_exit_2(
    tmp_path: Path, jira_cloud: JiraSimulator, jira_server: JiraSimulator, mode: str
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN, BOB], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    one_report(mail, START + timedelta(hours=3), [ANN_MORE, BOB], "r1")

    sim.faults.break_next("search", 500, times=20)  # observe()'s `key in (...)`, for good
    with pytest.raises(Retriable):
        run(mail, config, sim)
    sim.faults.aimed.clear()
    sim.faults.break_next("search", 500)  # once: retried within the run
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    (ann,) = [i for i in sim.issues.values() if "ann@" in i.fields["summary"]]
    assert len([k for k in ours(ann) if k]) == 1
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


def test_a_500_on_reading_the_comments_that_settle_a_lost_comment_is_retried(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim = jira_cloud
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    one_report(mail, START + timedelta(hours=3), [ANN_MORE], "r1")
    sim.faults.break_next("comment", 503)  # lost after Jira wrote it...
    sim.faults.break_next("comments", 500)  # ...and the read that settles it hiccups
    summary = run(mail, config, sim)
    assert summary.attention == summary.unconfirmed == []
    (issue,) = sim.issues.values()
    assert [k for k in ours(issue) if k] == ["0:changed:0"]  # written once
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
