"""Stories against the Jira simulator, told in a few lines: reports dropped in a mail folder,
passes run, people's actions, tickets read back.

The review tests (people's actions in Jira, the look-up of open tickets) each began with the
same dozen lines; a ``Scene`` holds what they share, so that a test reads as its story.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import RunSummary

from ..e2e.test_cli_jira_people import intents, replay, write_config
from ..simulators.jira import JiraSimulator
from ..simulators.jira.fixtures import CUSTOM_FIELDS
from .test_jira_faults import ANN, BOB, by_identity, ours, run
from .test_jira_sink import jira_config, one_report, outcome_leftovers

Row = tuple[str, str]


def open_keys(sim: JiraSimulator, who: str) -> list[str]:
    """Keys of the tickets naming ``who`` that are not Done."""
    return [k for k in by_identity(sim, who) if sim.issues[k].status != "Done"]


def markers(sim: JiraSimulator, key: str) -> list[str]:
    """The tool's comment markers on a ticket, in order (people's comments left out)."""
    return [k for k in ours(sim.issues[key]) if k]


def rerun_quiet(mail: Path, config: Config, sim: JiraSimulator) -> None:
    """Every story ends so: one more pass writes nothing, and nothing is left unsettled."""
    sim.reset_log()
    again = run(mail, config, sim)
    assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]
    assert again.attention == again.unconfirmed == []
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


def assert_settled(summary: RunSummary) -> None:
    """Nothing needs a person's attention and every write was confirmed."""
    assert summary.attention == summary.unconfirmed == [], summary.attention


@contextmanager
def two_projects() -> Iterator[JiraSimulator]:
    """A Cloud site with a second project (NEW) that people move tickets to."""
    with JiraSimulator("cloud", project=["OPS", "NEW"], custom_fields=CUSTOM_FIELDS) as sim:
        yield sim


class Scene:
    """One story: a mail folder, a configuration (state under ``tmp_path``) and a site.

    Times are hours from ``now`` (by default the moment the scene begins), or a
    ``timedelta``.
    """

    def __init__(
        self, sim: JiraSimulator, tmp_path: Path, now: datetime | None = None, **jira: Any
    ) -> None:
        self.sim, self.tmp_path = sim, tmp_path
        self.mail = tmp_path / "mail"
        self.now = now or datetime.now(UTC)
        self.config = jira_config(sim, tmp_path / "state", **jira)

    def configure(self, state: str = "state", **jira: Any) -> Config:
        """Another configuration from now on (``state``: another state folder, a fresh ledger)."""
        self.config = jira_config(self.sim, self.tmp_path / state, **jira)
        return self.config

    def report(self, at: float | timedelta, rows: Sequence[Row], name: str) -> Path:
        """A report made ``at`` (hours from now) listing ``rows``, dropped in the folder."""
        when = at if isinstance(at, timedelta) else timedelta(hours=at)
        return one_report(self.mail, self.now + when, list(rows), name)

    def reports(self, hours: Iterable[float], rows: Sequence[Row] = (BOB,), first: int = 1) -> None:
        """Reports ``r{first}``, ``r{first+1}``... at these hours (by default Bob alone: Ann
        absent, so three of them resolve her ticket)."""
        for n, at in enumerate(hours, start=first):
            self.report(at, rows, f"r{n}")

    def then(self, at: float | timedelta, rows: Sequence[Row], name: str) -> RunSummary:
        """A report (see ``report``), then a pass over the folder."""
        self.report(at, rows, name)
        return self.run()

    def run(self, config: Config | None = None) -> RunSummary:
        """One pass over the folder (``replay``), as cron would run it."""
        return run(self.mail, config or self.config, self.sim)

    def keys(self, who: str) -> list[str]:
        """Every ticket naming ``who``."""
        return by_identity(self.sim, who)

    def key(self, who: str) -> str:
        """The one ticket naming ``who`` (fails if there are none or several)."""
        (key,) = self.keys(who)
        return key

    def open(self, who: str) -> list[str]:
        """The tickets naming ``who`` that are not Done."""
        return open_keys(self.sim, who)

    def markers(self, key: str) -> list[str]:
        """The tool's comment markers on ``key``."""
        return markers(self.sim, key)

    def kinds(self, key: str) -> list[str]:
        """What each of the tool's comments on ``key`` was (``reopened``, ``refreshed``...)."""
        return [m.split(":")[1] for m in self.markers(key)]

    def state(self, key: str) -> tuple[str, str | None]:
        """(status, resolution) of ``key``."""
        issue = self.sim.issues[key]
        return issue.status, issue.resolution

    def assert_markers_once(self, key: str) -> list[str]:
        """No comment of the tool's is on ``key`` twice; the markers, for more checks."""
        ms = self.markers(key)
        assert len(ms) == len(set(ms)), ms
        return ms

    def assert_kept_wont_do(self, key: str, who: str = "ann@") -> None:
        """``key`` stays closed as a person left it (Won't Do), and ``who`` has one open
        ticket: the linked successor."""
        assert self.state(key) == ("Done", "Won't Do"), self.state(key)
        assert len(self.open(who)) == 1, self.keys(who)

    def quiet(self, config: Config | None = None) -> None:
        """One more pass writes nothing (see ``rerun_quiet``)."""
        rerun_quiet(self.mail, config or self.config, self.sim)


def ticketed(
    sim: JiraSimulator,
    tmp_path: Path,
    at: float = -5,
    now: datetime | None = None,
    **jira: Any,
) -> tuple[Scene, str]:
    """The usual opening: Ann and Bob reported ``at`` hours from now and ticketed.

    Returns the scene and Ann's ticket.
    """
    scene = Scene(sim, tmp_path, now, **jira)
    scene.report(at, [ANN, BOB], "r0")
    scene.run()
    return scene, scene.key("ann@")


class CliScene(Scene):
    """The same story told through the command line (``replay`` in a process of its own), so
    that a pass can be killed at a crash point. Its state is where ``Scene``'s is."""

    def __init__(self, sim: JiraSimulator, tmp_path: Path, now: datetime | None = None) -> None:
        super().__init__(sim, tmp_path, now)
        self.file = write_config(tmp_path, sim.url)

    def replay(self, crash: str | None = None) -> subprocess.CompletedProcess[str]:
        """``dirsync-bridge replay --sink jira`` over the folder (``crash``: where it dies)."""
        return replay(self.file, self.mail, crash=crash)

    def replays(self, times: int = 2) -> list[subprocess.CompletedProcess[str]]:
        """The replay run ``times`` over, as cron would after a kill: every run's result."""
        return [self.replay() for _ in range(times)]

    def opening(self, at: float | timedelta, rows: Sequence[Row]) -> None:
        """The first report, ``r0``, replayed without a fault."""
        self.report(at, rows, "r0")
        assert self.replay().returncode == 0

    def intents(self) -> int:
        """Writes begun and not yet recorded as done."""
        return intents(self.tmp_path)
