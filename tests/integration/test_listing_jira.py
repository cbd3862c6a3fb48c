"""The listing shortcut against the Jira simulator: repeated reports between a person's
resolution, a reopening, absences and a return; the tickets, their states and the tool's
comments end as with every sighting made, each comment once, a last pass quiet. And the
tenant-join case of ``test_listing_joins.py``: the descriptions written to Jira end as with
every sighting made (before ``problems.listed_in``, one named words the describing report
never said)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge import ingest
from dirsync_bridge.config.settings import Config
from dirsync_bridge.parse.tenants import TenantRules
from dirsync_bridge.pipeline import replay

from ..reportgen import LARGE, duplicate
from ..simulators.jira import JiraSimulator
from ..simulators.jira.fixtures import CUSTOM_FIELDS
from .digest_histories import T0, email
from .jira_scenes import Scene
from .test_jira_faults import ANN, BOB, BOB_MORE
from .test_jira_sink import jira_config, token_env


def _both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, story: Callable[[Path], dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(every sighting made, digested): the story told twice."""
    with monkeypatch.context() as m:
        m.setattr(ingest, "rows_mark", lambda _enricher: None)
        every = story(tmp_path / "every")
    return every, story(tmp_path / "digested")


def _story(tmp_path: Path) -> dict[str, Any]:
    with JiraSimulator("cloud", project=["OPS"], custom_fields=CUSTOM_FIELDS) as sim:
        s = Scene(sim, tmp_path)
        s.report(-20, [ANN, BOB], "r00")
        s.run()
        s.report(-18, [ANN, BOB], "r01")
        s.report(-16, [ANN, BOB], "r02")
        s.run()
        sim.resolve_by_hand(s.key("ann@"), "Done")
        s.then(1, [ANN, BOB], "r03")  # reopens Ann
        s.then(2, [ANN, BOB], "r04")
        s.report(3, [BOB], "r05")
        s.report(4, [BOB], "r06")
        s.report(5, [BOB], "r07")
        s.report(6, [BOB], "r08")
        s.run()
        s.then(7, [ANN, BOB_MORE], "r09")
        s.then(8, [ANN, BOB_MORE], "r10")
        s.then(9, [ANN, BOB_MORE], "r11")
        for key in s.keys("ann@") + s.keys("bob@"):
            s.assert_markers_once(key)
        s.quiet()
        return {
            sim.issues[k].fields["summary"]: (*s.state(k), s.kinds(k))
            for k in s.keys("ann@") + s.keys("bob@")
        }


def test_repeats_in_jira_end_as_every_sighting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    every, digested = _both(tmp_path, monkeypatch, _story)
    assert every == digested
    assert any(kinds for _s, _r, kinds in every.values())


A = ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com"))
B = ("u2@contoso.com", "", LARGE)
B_THEN = ("u2@contoso.com", "", LARGE + " Contact your administrator.")
B_OTHER = ("u2@contoso.com", "OID2", LARGE)


def _with(config: Config, aliases: dict[str, list[str]]) -> Config:
    return config.model_copy(update={"tenants": TenantRules.model_validate({"aliases": aliases})})


def _joined(tmp_path: Path) -> dict[str, Any]:
    steps = [
        ({}, 1, "Fabrikam", [A, B_THEN]),
        ({}, 2, "Fabrikam Ltd", [A, B]),
        ({"Fabrikam": ["Fabrikam Ltd"]}, 4, "Fabrikam Ltd", [A, B]),
        ({"Fabrikam": ["Fabrikam Ltd"]}, 3, "Fabrikam", [A, B_OTHER]),
    ]
    with JiraSimulator("cloud", project=["OPS"], custom_fields=CUSTOM_FIELDS) as sim:
        base = jira_config(sim, tmp_path / "state")
        for n, (aliases, day, tenant, rows) in enumerate(steps):
            path = tmp_path / "mail" / f"{n}.eml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(email(tenant, T0 + timedelta(days=day), rows, f"j{n}@x"))
            replay([path], _with(base, aliases), env=token_env(sim))
        return {
            issue.fields["summary"]: issue.fields.get("description")
            for issue in sim.issues.values()
        }


def test_jira_descriptions_end_as_every_sighting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    every, digested = _both(tmp_path, monkeypatch, _joined)
    wrong = [s for s, d in digested.items() if "Contact your administrator" in str(d)]
    right = [s for s, d in every.items() if "Contact your administrator" in str(d)]
    assert wrong == right, (wrong, right)
