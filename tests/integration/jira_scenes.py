"""Stories against the Jira simulator, told in a few lines: reports dropped in a mail folder,
passes run, people's actions, tickets read back.

The review tests (people's actions in Jira, the look-up of open tickets) each began with the
same dozen lines; a ``Scene`` holds what they share, so that a test reads as its story. The
fault tests' rows and one-pass ``run`` (with ``first_run``, their usual opening, and
``rerun_quiet``, their usual end) live here too, and the merge trade's story (``came_back``,
told in Jira by ``came_back_in_jira`` and in the local store by ``came_back_in_the_store``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dirsync_bridge import pipeline
from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import RunSummary
from dirsync_bridge.ports import TicketSnapshot
from dirsync_bridge.sinks.jira import split_marker

from ..e2e.test_cli_jira_people import intents, replay, write_config
from ..exportgen import csexport, events_6941
from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator
from ..simulators.jira.fixtures import CUSTOM_FIELDS
from . import test_cross_source as cross
from .conftest import local_tickets
from .test_jira_sink import jira_config, one_report, outcome_leftovers, token_env

Row = tuple[str, str]

START = datetime(2021, 5, 3, 9, tzinfo=UTC)
ANN = ("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com"))
ANN_MORE = ("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com", "smtp:a@b.com"))
BOB = ("bob@contoso.com", duplicate("ProxyAddresses", "SMTP:bob@contoso.com"))
BOB_MORE = ("bob@contoso.com", duplicate("ProxyAddresses", "SMTP:bob@contoso.com", "smtp:b@c.com"))

# (outcome, reaches_jira): lost after Jira did the write, or answered by a proxy instead.
LOST = [(503, True), (502, True), (500, True), ("drop", True), ("chunked", True), ("html", False)]
LOST_IDS = ["503-after", "502-after", "500-after", "dropped-after", "chunked-after", "portal-page"]


def ours(issue: Any) -> list[str | None]:
    """The comment keys of an issue's comments, in order (None for a person's comment)."""
    return [split_marker(c.body)[0] for c in issue.comments]


def by_identity(sim: JiraSimulator, identity: str) -> list[str]:
    """Keys of the issues whose summary names this identity."""
    return [k for k, i in sim.issues.items() if identity in i.fields["summary"]]


def run(mail: Path, config: Config, sim: JiraSimulator) -> RunSummary:
    return pipeline.replay([mail], config, env=token_env(sim))


def first_run(
    tmp_path: Path, sim: JiraSimulator, rows: Sequence[Row] = (ANN,)
) -> tuple[Path, Config]:
    """The plainest opening: report r0 of ``rows`` (Ann's problem alone unless told) made at
    ``START`` in ``tmp_path/mail``, and one pass over it into a state of its own. Returns
    the mail folder and the config."""
    mail = tmp_path / "mail"
    one_report(mail, START, list(rows), "r0")
    config = jira_config(sim, tmp_path / "state")
    run(mail, config, sim)
    return mail, config


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


@contextmanager
def answered_by(
    sim: JiraSimulator, route: Callable[[str, str, dict[str, list[str]], Any], Any]
) -> Iterator[None]:
    """Jira's answers given by ``route`` (a proxy, a person acting first...) for a while;
    ``route`` passes what it leaves alone to the simulator's own, which it saved before."""
    real = sim._route
    sim._route = route  # type: ignore[method-assign]
    try:
        yield
    finally:
        sim._route = real  # type: ignore[method-assign]


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


# ---------------------------------------------------------------------------------------------
# A merge's trade of tickets (design.md section 9; reviews rev33, rev36, rev38)

WHO, OBJECT_ID = cross.OBJECTS[0]
TRADE_BOB = cross.OBJECTS[1][0]


def came_back(folder: Path) -> tuple[list[Path], Path]:
    """Run by run: the event 6941 (A0, by the object id alone); an email with ann (B0, by
    her identity); three without her (B0 and A0 resolved by absence); 40 days on, an email
    with ann again (B1, past the reopen window: a new ticket linking B0); then the csexport
    naming both keys (the merge: A0, made first, traded in for B0)."""
    start, write = cross.START, cross.write
    runs = [write(folder, "ev.xml", events_6941([(OBJECT_ID, WHO)], start))]
    for hour, who, name in [
        (1, [WHO, TRADE_BOB], "e0"),
        *((h, [TRADE_BOB], f"e{h}") for h in (2, 3, 4)),
    ]:
        rows = [(w, duplicate("UserPrincipalName", w)) for w in who]
        runs.append(
            write(
                folder,
                f"{name}.eml",
                report_email("Contoso", start + timedelta(hours=hour), rows, name),
            )
        )
    rows = [(w, duplicate("UserPrincipalName", w)) for w in (WHO, TRADE_BOB)]
    runs.append(
        write(folder, "e40.eml", report_email("Contoso", start + timedelta(40), rows, "e40"))
    )
    cs = write(folder, "cs.xml", csexport([(OBJECT_ID, WHO, WHO)], start + timedelta(41)))
    return runs, cs


def linked(sim: JiraSimulator, key: str) -> list[str]:
    """The keys at the other end of an issue's links, sorted."""
    return sorted(
        (link.inward if link.outward == key else link.outward)
        for link in sim.model.links
        if key in (link.inward, link.outward)
    )


def merge_config(sim: JiraSimulator, tmp_path: Path, **jira: Any) -> Config:
    """A Jira config (state in ``tmp_path/state``) with the tenants and trust of the merge
    stories' local config (``test_cross_source.make_config``)."""
    local = cross.make_config(tmp_path)
    return jira_config(sim, tmp_path / "state", **jira).model_copy(
        update={"tenants": local.tenants, "trust": local.trust}
    )


@dataclass(frozen=True)
class Trade:
    """``came_back``'s story told in Jira: its inputs, config and environment, and ann's
    three issues, oldest first: A0 (the object id's), B0 (her identity's) and B1 (back after
    the reopen window, linked to B0 until the merge trades A0 in for B0)."""

    sim: JiraSimulator
    config: Config
    env: dict[str, str]
    runs: list[Path]
    cs: Path
    a0: str
    b0: str
    b1: str

    @property
    def keys(self) -> tuple[str, str, str]:
        """A0, B0, B1."""
        return self.a0, self.b0, self.b1

    def replay(self, paths: Sequence[Path]) -> RunSummary:
        """One pass over ``paths``."""
        return pipeline.replay(list(paths), self.config, env=self.env)

    def rerun_writes_nothing(self, *more: Path) -> None:
        """Every input replayed again (the story's, then ``more``) writes nothing to Jira."""
        self.sim.reset_log()
        self.replay([*self.runs, self.cs, *more])
        assert self.sim.log.writes() == [], [(r.method, r.path) for r in self.sim.log.writes()]


def came_back_in_jira(
    tmp_path: Path, sim: JiraSimulator, *, merged: bool = False, **jira: Any
) -> Trade:
    """``came_back``'s inputs (in ``tmp_path/in``) replayed one run at a time, up to the
    merge (the csexport too when ``merged``), with ``merge_config(sim, tmp_path, **jira)``."""
    runs, cs = came_back(tmp_path / "in")
    config = merge_config(sim, tmp_path, **jira)
    env = token_env(sim)
    for path in [*runs, cs] if merged else runs:
        pipeline.replay([path], config, env=env)
    anns = [k for k in sim.issues if TRADE_BOB not in sim.issues[k].fields["summary"]]
    a0, b0, b1 = sorted(anns, key=lambda k: int(k.split("-")[1]))
    return Trade(sim, config, env, runs, cs, a0, b0, b1)


def came_back_in_the_store(
    tmp_path: Path, *, merged: bool = False
) -> tuple[Config, list[Path], Path, list[TicketSnapshot]]:
    """``came_back``'s inputs (in ``tmp_path/in``) replayed one run at a time into the local
    store (state in ``tmp_path/state``), up to the merge (the csexport too when ``merged``).
    Returns the config, the runs, the csexport, and ann's tickets A0, B0, B1 as they were."""
    runs, cs = came_back(tmp_path / "in")
    config = cross.make_config(tmp_path / "state")
    for path in [*runs, cs] if merged else runs:
        pipeline.replay([path], config)
    anns = [t for t in local_tickets(config) if TRADE_BOB not in t.content.summary]
    return config, runs, cs, sorted(anns, key=lambda t: int(t.key[6:]))
