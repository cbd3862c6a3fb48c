"""The open-ticket audit's searches refused with a 400 that names no key (a proxy, a Jira
hiccup, a query the site will not run): no ticket is taken for deleted unless Jira answers
404 for it alone (from the second review of today's changes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.errors import BadRequest
from dirsync_bridge.sinks import jira_http

from ..reportgen import duplicate
from ..simulators.jira import JiraSimulator
from ..simulators.jira.fixtures import CUSTOM_FIELDS
from .test_jira_faults import ANN, BOB, run
from .test_jira_sink import jira_config, one_report

START = datetime(2021, 5, 3, 9, tzinfo=UTC)
MANY = [
    (f"p{n:03d}@contoso.com", duplicate("ProxyAddresses", f"SMTP:p{n:03d}@contoso.com"))
    for n in range(120)
]


@pytest.mark.parametrize("open_tickets", [1, 3])
def test_a_400_that_names_no_key_is_not_proof_of_a_deleted_ticket(
    tmp_path: Path,
    jira_cloud: JiraSimulator,
    monkeypatch: pytest.MonkeyPatch,
    open_tickets: int,
) -> None:
    """One audit search refused with a 400 that names no key: the halving ends at one key
    refused, asked for alone: Jira has it, so nothing is forgotten and no second ticket is
    made (it was: the key alone refused was taken for deleted)."""
    mail = tmp_path / "mail"
    rows = [ANN, BOB, *MANY][:open_tickets]
    one_report(mail, START, rows, "r0")
    config = jira_config(jira_cloud, tmp_path / "state")
    run(mail, config, jira_cloud)
    before = dict(jira_cloud.issues)
    assert len(before) == open_tickets

    real = jira_http.JiraHttp.search
    refused = []

    def search(self, jql, fields):  # type: ignore[no-untyped-def]
        if (
            jql.startswith("key in (") and len(refused) < 2 * open_tickets - 1
        ):  # 1 ticket: one 400 alone
            refused.append(jql)
            raise BadRequest("Jira: search: HTTP 400: Bad Request", ["Bad Request"])
        return real(self, jql, fields)

    monkeypatch.setattr(jira_http.JiraHttp, "search", search)
    one_report(mail, datetime.now(UTC) + timedelta(hours=1), rows, "r1")
    run(mail, config, jira_cloud)
    monkeypatch.setattr(jira_http.JiraHttp, "search", real)
    run(mail, config, jira_cloud)
    assert refused, "the audit never searched"
    assert set(before) <= set(jira_cloud.issues)
    assert len(jira_cloud.issues) == open_tickets, (
        f"{len(jira_cloud.issues)} issues for {open_tickets} problems after one refused audit"
    )


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_the_audit_search_answered_400_once_through_the_simulator(
    tmp_path: Path, mode: str
) -> None:
    """The audit's `key in (...)` search answered once with Jira's 400 body naming no key
    (the simulator's own 400 answer), over HTTP: the ticket is asked for alone, found, and
    the problem keeps its one ticket."""
    with JiraSimulator(mode, custom_fields=CUSTOM_FIELDS) as sim:
        mail = tmp_path / "mail"
        one_report(mail, START, [ANN], "r0")
        config = jira_config(sim, tmp_path / "state")
        run(mail, config, sim)
        assert len(sim.issues) == 1
        real = sim.handle
        fired = []

        def handle(method, path, query, raw, headers):  # type: ignore[no-untyped-def]
            import json as _json
            from urllib.parse import parse_qs

            jql = (parse_qs(query).get("jql") or [""])[0]
            if not jql and raw.strip():
                try:
                    jql = str(_json.loads(raw).get("jql", ""))
                except ValueError:
                    jql = ""
            if "search" in path and jql.startswith("key in (") and not fired:
                fired.append(jql)
                return sim.faults.answer(400)
            return real(method, path, query, raw, headers)

        sim.handle = handle  # type: ignore[method-assign]
        one_report(mail, datetime.now(UTC) + timedelta(hours=1), [ANN], "r1")
        run(mail, config, sim)
        run(mail, config, sim)
        assert fired, "no audit search was made"
        assert len(sim.issues) == 1, sorted(sim.issues)
