"""The Jira sink end to end: the real `jira` library, over HTTP, against the simulator.

Every test replays report emails through the whole pipeline (`pipeline.replay`) with
`[sink] kind = "jira"`, then reads what the simulated Jira holds. The local store's replay
of the same mail is the reference: the same problems must give the same tickets.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config import Config
from dirsync_bridge.errors import Retriable
from dirsync_bridge.fingerprint import label
from dirsync_bridge.pipeline import RunSummary, replay
from dirsync_bridge.sinks.jira import PROPERTY, split_marker

from ..conftest import REPORTS
from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator
from .conftest import make_config, outcome

TEAM_FIELD = "customfield_10010"


def jira_config(sim: JiraSimulator, state: Path, **jira: Any) -> Config:
    """Defaults, the fixtures' forwarder, tickets into the simulator's project OPS."""
    settings: dict[str, Any] = {
        "url": sim.url,
        "project": "OPS",
        "components": ["Identity"],
        "fields": {TEAM_FIELD: "Identity team"},
        "search_lag": "0s",
        **jira,
    }
    if sim.mode == "cloud":
        settings.setdefault("email", sim.email)
    return Config.model_validate(
        {
            "state": {"path": str(state / "state.db")},
            "trust": {"forwarders": ["it-admin@contoso.com"]},
            "sink": {"kind": "jira"},
            "jira": settings,
        }
    )


def token_env(sim: JiraSimulator) -> dict[str, str]:
    """The environment the token comes from: an API token on Cloud, a PAT on Server."""
    return {"DIRSYNC_JIRA_TOKEN": sim.api_token if sim.mode == "cloud" else sim.pat}


def until_settled(paths: list[Path], config: Config, env: dict[str, str]) -> list[RunSummary]:
    """Replay like cron would: again after exit 75, until a run confirms every write."""
    runs: list[RunSummary] = []
    for _ in range(8):
        try:
            summary = replay(paths, config, env=env)
        except Retriable:
            continue
        runs.append(summary)
        if not summary.unconfirmed:
            return runs
    raise AssertionError(f"never settled: {runs[-1].unconfirmed if runs else 'no run'}")


def jira_tickets(sim: JiraSimulator) -> dict[str, dict[str, Any]]:
    """What Jira holds, by idempotency key, in the terms of `outcome()`'s local tickets."""
    out: dict[str, dict[str, Any]] = {}
    for issue in sim.issues.values():
        prop = issue.properties[PROPERTY]
        key = prop["idempotency_key"]
        assert key not in out, f"two issues for {key}"
        ours = [split_marker(c.body)[0] for c in issue.comments]
        out[key] = {
            "issue": issue.key,
            "status": "resolved" if issue.status == "Done" else "open",
            "summary": issue.fields["summary"],
            "labels": issue.fields["labels"],
            "priority": issue.fields.get("priority"),
            "comments": sorted(k for k in ours if k is not None),
            "property": prop,
        }
    return out


def local_reference(tmp_path: Path, paths: list[Path]) -> dict[str, Any]:
    config = make_config(tmp_path / "reference")
    replay(paths, config)
    return outcome(config)["tickets"]


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_the_whole_corpus_gives_one_issue_per_problem_and_a_replay_writes_nothing(
    tmp_path: Path, mode: str, jira_cloud: JiraSimulator, jira_server: JiraSimulator
) -> None:
    sim = jira_cloud if mode == "cloud" else jira_server
    config = jira_config(sim, tmp_path / "state")
    first = replay([REPORTS], config, env=token_env(sim))
    expected = local_reference(tmp_path, [REPORTS])

    tickets = jira_tickets(sim)
    assert first.created == len(tickets) == len(expected) > 20
    assert sorted(tickets) == sorted(expected)
    for key, ticket in tickets.items():
        fingerprint = key.split(":")[0]
        reference = expected[key]
        assert ticket["summary"] == reference["summary"]
        assert ticket["status"] == reference["status"]
        assert ticket["comments"] == sorted(reference["comments"])
        assert ticket["labels"] == ["dirsync", label(fingerprint)]
        assert ticket["property"]["fingerprint"] == fingerprint
        family = ticket["property"]["family"]
        assert ticket["priority"] == ("High" if family == "duplicate" else "Medium")
    issue = next(iter(sim.issues.values()))
    assert issue.fields["components"] == ["Identity"]
    assert issue.fields[TEAM_FIELD] == "Identity team"
    # One request per new issue: no project or issue-type look-ups, no prefetch.
    creates = [r for r in sim.log.writes() if r.path == "/rest/api/2/issue"]
    assert len(creates) == first.created
    assert sim.log.count("GET", "project") == sim.log.count("GET", "issuetype") == 0

    sim.reset_log()
    again = replay([REPORTS], config, env=token_env(sim))
    assert again.already_seen == first.parsed + first.rejected
    assert sim.log.writes() == []
    assert len(sim.log.searches()) <= 1


def test_a_second_run_with_new_reports_writes_only_what_changed(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    corpus = tmp_path / "mail"
    corpus.mkdir()
    at = datetime(2019, 3, 1, 9, tzinfo=UTC)
    rows = [("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com"))]
    (corpus / "1.eml").write_bytes(report_email("Contoso", at, rows, "1@t"))
    config = jira_config(jira_cloud, tmp_path / "state")
    replay([corpus], config, env=token_env(jira_cloud))

    changed = [("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com", "x@y"))]
    later = at + timedelta(hours=3)
    (corpus / "2.eml").write_bytes(report_email("Contoso", later, changed, "2@t"))
    jira_cloud.reset_log()
    summary = replay([corpus], config, env=token_env(jira_cloud))

    assert summary.commented == 1
    writes = jira_cloud.log.writes()
    assert [(w.method, w.path.rsplit("/", 1)[-1]) for w in writes] == [("POST", "comment")]
    (issue,) = jira_cloud.issues.values()
    assert r"values added: x\@y" in issue.comments[0].body  # escaped: "@" would mention


def test_throttling_ambiguous_creates_and_lagging_search_still_give_one_issue_each(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    expected = local_reference(tmp_path, [REPORTS])
    jira_cloud.faults.rate_429 = 0.3
    jira_cloud.faults.create_then_503 = 0.3
    jira_cloud.faults.search_lag = 2.0
    config = jira_config(jira_cloud, tmp_path / "state", search_lag="3s")

    runs = until_settled([REPORTS], config, token_env(jira_cloud))

    throttled = Counter(r.status for r in jira_cloud.log)
    assert throttled[429] > 50 and throttled[503] > 5  # the faults really happened
    tickets = jira_tickets(jira_cloud)  # raises on two issues for one key
    assert sorted(tickets) == sorted(expected)
    for key, ticket in tickets.items():
        assert ticket["comments"] == sorted(expected[key]["comments"]), key
        assert ticket["status"] == expected[key]["status"], key
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
    assert runs[-1].unconfirmed == []


def outcome_leftovers(config: Config) -> dict[str, int]:
    from dirsync_bridge.state import Ledger

    ledger = Ledger.open(config.state.path)
    try:
        return {"intents": len(ledger.pending_intents()), "dirty": len(ledger.dirty())}
    finally:
        ledger.close()
