"""Graph holder look-ups ($batch) answered with odd JSON degrade (hostile review rev16).

Design section 2: each enricher "degrades to 'unknown' on failure, with the failure recorded,
never a crash of the run", and a ticket must never claim a holder (or the absence of one)
that it did not find. These drive ``Enricher([CloudDirectory(client)])`` with a fake Graph
client whose ``$batch`` answers are the odd ones (the client's own checks, a JSON object
at the top, are kept: every answer here is a JSON object).
"""

from __future__ import annotations

from typing import Any

import pytest

from dirsync_bridge.enrich.cloud import CloudDirectory
from dirsync_bridge.enrich.enricher import Enricher
from dirsync_bridge.models import Conflict
from dirsync_bridge.retry import Budget

VALUE = "SMTP:bob@contoso.com"
GOOD_HOLDER = {
    "id": "11111111-2222-3333-4444-555555555555",
    "displayName": "Ann",
    "userPrincipalName": "ann@contoso.com",
    "onPremisesSyncEnabled": None,
}


class FakeGraph:
    """Answers every ``$batch`` sub-request with ``make(n)``."""

    def __init__(self, sub_answer: Any) -> None:
        self.sub_answer = sub_answer

    def budget(self) -> Budget:
        return Budget(1.0, sleep=lambda s: None, clock=lambda: 0.0)

    def request_json(
        self, method: str, path: str, *, what: str, json: Any = None, params: Any = None
    ) -> dict[str, Any]:
        requests = json["requests"]
        return {"responses": [{"id": r["id"], **self.sub_answer} for r in requests]}

    def pages(self, path: str, *, what: str, params: Any = None) -> Any:
        return iter(())


def enrich(sub_answer: Any):
    enricher = Enricher([CloudDirectory(FakeGraph(sub_answer))])  # type: ignore[arg-type]
    return enricher.enrich(
        "duplicate", "bob@contoso.com", (Conflict(attribute="ProxyAddresses", values=(VALUE,)),)
    )


ODD_HOLDER_LISTS = {
    "value-null": {"status": 200, "body": {"value": None}},
    "value-a-string": {"status": 200, "body": {"value": "nope"}},
    "value-a-number": {"status": 200, "body": {"value": 5}},
    "item-null": {"status": 200, "body": {"value": [None]}},
    "item-without-id": {"status": 200, "body": {"value": [{"displayName": "Ann"}]}},
    "item-a-string": {"status": 200, "body": {"value": ["x"]}},
    "displayName-a-number": {"status": 200, "body": {"value": [{**GOOD_HOLDER, "displayName": 5}]}},
    "lastsync-not-a-time": {
        "status": 200,
        "body": {"value": [{**GOOD_HOLDER, "onPremisesLastSyncDateTime": "soon"}]},
    },
    "status-not-a-number": {"status": "OK", "body": {"value": []}},
    "status-null": {"status": None, "body": {"value": []}},
    "headers-a-list": {"status": 429, "headers": ["Retry-After", "1"], "body": {}},
}


@pytest.mark.parametrize("case", sorted(ODD_HOLDER_LISTS))
def test_an_odd_look_up_answer_degrades_to_unknown_never_a_crash(case: str) -> None:
    facts = enrich(ODD_HOLDER_LISTS[case])  # observed: TypeError/KeyError/ValidationError...
    # whatever it makes of it, it must not claim that nobody holds the value
    assert facts.advice.code != "no-holder-found" or facts.unavailable


NO_VALUE_LIST = {
    "body-empty-object": {"status": 200, "body": {}},
    "body-null": {"status": 200, "body": None},
    "body-missing": {"status": 200},
    "body-an-error-object": {"status": 200, "body": {"error": {"code": "generalException"}}},
}


@pytest.mark.parametrize("case", sorted(NO_VALUE_LIST))
def test_a_200_without_a_value_list_is_not_proof_that_nobody_holds_the_value(case: str) -> None:
    facts = enrich(NO_VALUE_LIST[case])
    # observed: advice "no-holder-found", looked_up ("cloud",), unavailable (): the ticket
    # says "No object holds these values any more (looked up in Entra ID)".
    assert facts.advice.code != "no-holder-found"
    assert facts.unavailable, "the look-up that was not answered is not named"


# --- the same through the real process and the Graph simulator ---------------------------

from pathlib import Path  # noqa: E402

from ..conftest import ROOT  # noqa: E402
from ..e2e.test_cli_run import cli, config_file  # noqa: E402
from ..simulators.graph.server import GraphSimulator  # noqa: E402


@pytest.mark.parametrize(
    "props",
    [{"displayName": 5}, {"onPremisesLastSyncDateTime": "soon"}],
    ids=["name-5", "sync-soon"],
)
def test_replay_with_a_holder_graph_describes_oddly_is_not_an_internal_error(
    tmp_path: Path, graph_sim: GraphSimulator, props: dict
) -> None:
    graph_sim.add_user(
        "other@contosopharma.com", proxy_addresses=["smtp:tax@contosopharma.com"], **props
    )
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    report = ROOT / "fixtures" / "reports" / "aadsync_th_thead.eml"
    done = cli(config, "replay", str(report))
    # observed: exit 70 "internal error (ValidationError ...)"; nothing ticketed
    assert "internal error" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), done.stderr
    listed = cli(config, "tickets", "--format", "json")
    assert listed.returncode == 0 and listed.stdout.strip() not in ("", "[]", "[\n]")


class FakeGraphWhole(FakeGraph):
    """Answers the whole ``$batch`` with ``answer`` (a JSON object, as the client demands)."""

    def request_json(
        self, method: str, path: str, *, what: str, json: Any = None, params: Any = None
    ) -> dict[str, Any]:
        return self.sub_answer


@pytest.mark.parametrize(
    "answer",
    [
        {"responses": None},
        {"responses": 5},
        {"responses": [{"id": "0", "status": 429, "headers": {"Retry-After": 5}}]},
    ],
    ids=["responses-null", "responses-a-number", "retry-after-a-number"],
)
def test_an_odd_batch_answer_degrades_to_unknown_never_a_crash(answer: dict) -> None:
    enricher = Enricher([CloudDirectory(FakeGraphWhole(answer))])  # type: ignore[arg-type]
    facts = enricher.enrich(
        "duplicate", "bob@contoso.com", (Conflict(attribute="ProxyAddresses", values=(VALUE,)),)
    )
    assert facts.advice.code != "no-holder-found" or facts.unavailable


def test_a_good_holder_beside_an_odd_one_is_kept_and_the_look_up_named() -> None:
    facts = enrich({"status": 200, "body": {"value": [GOOD_HOLDER, {"displayName": "Nobody"}]}})
    # the fake answers the user, group and contact look-ups alike: one good holder each
    assert [(h.object_type, h.id) for h in facts.holders] == [
        (t, GOOD_HOLDER["id"]) for t in ("user", "group", "contact")
    ]
    assert "cloud users: 1 holder(s) Graph described oddly not read (a holder without an id)" in (
        facts.unavailable
    )


def test_a_200_without_a_value_list_is_named_as_such() -> None:
    facts = enrich({"status": 200, "body": {"error": {"code": "generalException"}}})
    assert "cloud users: Graph answered 200 without a list of holders generalException" in (
        facts.unavailable
    )
