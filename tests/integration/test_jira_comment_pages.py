"""The comments of a ticket read in pages: a Jira that answers fewer than asked for.

The sink reads a ticket's comments to find its own by their markers: before writing one
(edit, not repeat) and to settle one whose answer was lost. Jira answers the comment list
as a page (``startAt``, ``maxResults``, ``total``) and may send fewer than asked for (its
own cap, as its ``maxResults`` says). Read as the whole list, a page that ends before the
tool's comment hides it: a lost comment is then taken as never written and sent again
(found by hostile review rev31). Every page up to ``total`` is read.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import Retriable

from ..simulators.jira import JiraSimulator
from .test_jira_faults import ANN, ANN_MORE, START, ours, run
from .test_jira_sink import jira_config, one_report, outcome_leftovers

CAP = 2
"""Comments to a page at most, whatever is asked for."""


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_a_lost_comment_behind_a_short_first_page_is_written_once(
    tmp_path: Path, jira_cloud: JiraSimulator, jira_server: JiraSimulator, mode: str
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    ((key, issue),) = sim.issues.items()
    for n in range(3):  # people discuss the ticket: the first page is theirs
        sim.model.add_comment(issue, {"body": f"looking into it ({n})"})
    real = sim._route

    def capped(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        if method == "GET" and path == f"issue/{key}/comment":
            asked = int((query.get("maxResults") or ["5000"])[0])
            query = {**query, "maxResults": [str(min(asked, CAP))]}
        return real(method, path, query, body)

    sim._route = capped  # type: ignore[method-assign]
    one_report(mail, START + timedelta(hours=3), [ANN_MORE], "r1")
    sim.faults.break_next("comment", 503)  # Jira wrote it; the answer is lost
    summary = run(mail, config, sim)

    assert summary.unconfirmed == summary.attention == []
    assert len([k for k in ours(issue) if k]) == 1, [c.body[:40] for c in issue.comments]
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


def test_comment_pages_that_never_move_on_end_the_pass_75(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    """A Jira (or a proxy's cache) that ignores ``startAt`` and claims a billion comments:
    a page repeating comments already read ends the read, never pages for ever."""
    sim, mail = jira_cloud, tmp_path / "mail"
    one_report(mail, START, [ANN], "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    ((key, issue),) = sim.issues.items()
    sim.model.add_comment(issue, {"body": "looking into it"})
    real = sim._route
    reads = {"n": 0}

    def stuck(method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        if method == "GET" and path == f"issue/{key}/comment":
            reads["n"] += 1
            return 200, sim.model.comments_json(issue, 0, 1) | {"total": 10**9}, {}
        return real(method, path, query, body)

    sim._route = stuck  # type: ignore[method-assign]
    one_report(mail, START + timedelta(hours=3), [ANN_MORE], "r1")
    with pytest.raises(Retriable, match="repeats comments already read"):
        run(mail, config, sim)
    assert reads["n"] <= 2
