"""The listing shortcut against the Jira simulator: repeated reports between a person's
resolution, a reopening, absences and a return; the tickets, their states and the tool's
comments end as with every sighting made, each comment once, a last pass quiet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge import ingest

from ..simulators.jira import JiraSimulator
from ..simulators.jira.fixtures import CUSTOM_FIELDS
from .jira_scenes import Scene
from .test_jira_faults import ANN, BOB, BOB_MORE


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
    with monkeypatch.context() as m:
        m.setattr(ingest, "rows_mark", lambda _enricher: None)
        every = _story(tmp_path / "every")
    digested = _story(tmp_path / "digested")
    assert every == digested
    assert any(kinds for _s, _r, kinds in every.values())
