"""A ledger wedged by a release before migration 0012, then upgraded: that release kept no
record of a tenant join, so once the alias was removed the joined spelling's report was filed
apart again, re-opened the problem the join had retired (its history, an open state) and
began a create whose idempotency key the ticket handed over to the survivor already holds.
Every later run ended in "UNIQUE constraint failed: tickets.idempotency_key" (exit 2), and
the upgrade alone did not help: 0012 stops a ledger getting there, not one already there.

Migration 0013 retires the problem again (its stray history on the survivor, folded again at
the next join), and the create is settled onto the ticket that holds its key (``made_twice``;
in Jira, the second issue it made is resolved). The upgraded run ends as a ledger that had
kept the join all along: the same problems, spans and tickets; every problem ticketed once, no
comment twice, and a rerun changes nothing. A SIGKILL during the repair leaves the wedged
ledger as it was (one transaction), or the second issue's writes half done: the rerun ends
as an uncrashed upgrade."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tomllib
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.crashpoints import ENV_VAR
from dirsync_bridge.errors import Fatal
from dirsync_bridge.ledger.identities import RETIRED
from dirsync_bridge.made_twice import COMMENT_KEY
from dirsync_bridge.parse.tenants import TenantRules
from dirsync_bridge.pipeline import RunSummary, replay

from ..simulators.jira import JiraSimulator
from ..simulators.jira.fixtures import CUSTOM_FIELDS
from .digest_histories import T0, diff, dump, email, replay_cli
from .test_jira_faults import by_identity, ours
from .test_jira_sink import TEAM_FIELD, jira_config, token_env
from .test_tenant_join_flaps import ALIAS, FLAPS, A, B, F, L, config, play, seen

WEDGES = {
    # (the join's phases, then the old release's: its last report lists B, filed apart)
    "handed-over-then-removed": FLAPS["handed-over-then-removed"],
    # the survivor resolved before the stray report: only a fold over the joined timeline
    # reopens it (the report falls after its span)
    "survivor-resolved-first": [
        ("", [(1, F, [A]), (2, L, [B])]),
        (ALIAS, [(3, F, [A, B])]),
        ("", [(4, F, [A]), (5, F, [A]), (6, L, [B])]),
    ],
    # both spellings had B's problem and a ticket: at the join the other's was resolved as
    # merged; the old release re-opened that problem and its ticket (not wedged: a second
    # open ticket for B), which the upgrade resolves again
    "superseded-then-removed": [
        ("", [(1, F, [A, B]), (2, L, [B])]),
        (ALIAS, [(3, F, [A, B])]),
        ("", [(4, L, [B])]),
    ],
}
NOT_WEDGED = {"superseded-then-removed"}


def wedge(
    folder: Path, phases: list[Any] = WEDGES["handed-over-then-removed"], wedges: bool = True
) -> Path:
    """The ledger as a release before 0012 left it (no join kept, then wedged), as its
    upgrade finds it: no ``tenant_joins``, no record of 0012 (nor of later migrations)."""
    state = play(folder, phases[:2])
    with closing(sqlite3.connect(state / "state.db")) as conn:
        conn.execute("DELETE FROM tenant_joins")  # that release remembered no join
        conn.commit()
    if wedges:
        with pytest.raises(Fatal, match=r"UNIQUE constraint failed: tickets\.idempotency_key"):
            play(folder, phases[2:])
    else:
        assert seen(play(folder, phases[2:]))["open_tickets"] == 3  # B's twice
    with closing(sqlite3.connect(state / "state.db")) as conn:
        conn.execute("DROP TABLE tenant_joins")
        conn.execute("DELETE FROM migrations WHERE name >= '0012'")
        conn.commit()
    return state


UPGRADED = {
    # the joined spelling again, alias still gone: the run that stayed wedged
    "other-spelling": ("", [(9, L, [B])]),
    "established-spelling": ("", [(9, F, [A])]),
    "alias-back": (ALIAS, [(9, L, [B])]),
}


def _stray(phases: list[Any]) -> str:
    """The key of the report the old release filed apart (the last of its phases)."""
    day, tenant, _rows = phases[-1][1][-1]
    return f"<d{day}-{tenant}@x>"


def _ledger(state: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(state / "state.db")) as conn:
        return [tuple(row) for row in conn.execute(query, args)]


@pytest.mark.parametrize("run", sorted(UPGRADED))
@pytest.mark.parametrize("wedged", sorted(WEDGES))
def test_an_upgraded_wedged_ledger_ends_as_one_that_kept_the_join(
    tmp_path: Path, wedged: str, run: str
) -> None:
    phases = WEDGES[wedged]
    state = wedge(tmp_path / "s", phases, wedges=wedged not in NOT_WEDGED)
    play(tmp_path / "s", [UPGRADED[run]])  # wedged before 0013: UNIQUE constraint failed
    got = seen(state)
    assert not got["twice"] and not got["unnamed"] and not got["dangling"], got
    opened = {k[0]: v for k, v in got["problems"].items() if v[0] == "open"}
    assert opened["identity:u2@contoso.com"][4] == ["open"], got  # the handed-over ticket
    for key, value in opened.items():
        assert value[4].count("open") == 1, (key, got)
    assert got["open_tickets"] == len(opened), got
    # As if the join had been kept all along: the same problems, spans and tickets.
    kept = seen(play(tmp_path / "kept", [*phases, UPGRADED[run]]))
    assert got["problems"] == kept["problems"], (got, kept)
    assert got["open_tickets"] == kept["open_tickets"]
    # The retired problem is retired again: no history, no state, no write on its way.
    retired = _ledger(
        state,
        "SELECT p.status, s.state, (SELECT COUNT(*) FROM history h WHERE h.problem = p.rowid) "
        "FROM problems p JOIN problem_states s ON s.problem = p.rowid "
        "WHERE p.merged_into IS NOT NULL",
    )
    assert retired == [(None, RETIRED, 0)], retired
    assert _ledger(state, "SELECT * FROM intents") == []
    # The stray report's sighting is the survivor's, under the established spelling.
    stray = _ledger(
        state,
        "SELECT r.tenant_key, p.merged_into, json_extract(p.data, '$.object_key') "
        "FROM history h JOIN reports r ON r.rowid = h.report "
        "JOIN problems p ON p.rowid = h.problem WHERE r.key = ?",
        _stray(phases),
    )
    assert stray == [("fabrikam", None, "identity:u2@contoso.com")], stray
    # A further run changes nothing.
    before = {db.name: dump(db) for db in sorted(state.glob("*.db"))}
    play(tmp_path / "s", [UPGRADED[run]])
    after = {db.name: dump(db) for db in sorted(state.glob("*.db"))}
    assert before == after, diff(before, after)


def _unrepaired(state: Path) -> dict[str, Any]:
    """The tables but those migration 0012 adds to (committed before 0013 begins)."""
    tables = {db.name: dump(db) for db in sorted(state.glob("*.db"))}
    for table in ("migrations", "tenant_joins"):
        tables["state.db"].pop(table, None)
    return tables


@pytest.mark.parametrize("crash", ["migration:1", "migration:2"])
def test_a_sigkill_during_the_repair_then_a_rerun(tmp_path: Path, crash: str) -> None:
    """SIGKILL inside migration 0012 (the first the upgrade runs) or 0013 (the repair): the
    wedged ledger is left as it was, and the rerun ends as an uncrashed upgrade."""
    wedged = wedge(tmp_path / "w")
    report = tmp_path / "mail" / "5.eml"
    report.parent.mkdir()
    report.write_bytes(email(L, T0 + timedelta(days=9), [B], "d9-upgrade@x"))
    tables = {}
    for name in ("plain", "crashed"):
        shutil.copytree(wedged, tmp_path / name / "state")
        config(tmp_path / name)
        cfg = tmp_path / name / "config.toml"
        if name == "crashed":
            left = _unrepaired(wedged)
            assert replay_cli("digested", cfg, [report], crash) != 0
            now = _unrepaired(tmp_path / name / "state")
            assert now == left, diff(left, now)  # nothing of the repair half-done
            done = _ledger(tmp_path / name / "state", "SELECT name FROM migrations")
            assert ("0013-rejoin-strays",) not in done
        assert replay_cli("digested", cfg, [report]) == 0
        assert replay_cli("digested", cfg, [report]) == 0
        tables[name] = {
            db.name: dump(db) for db in sorted((tmp_path / name / "state").glob("*.db"))
        }
    assert tables["plain"] == tables["crashed"], diff(tables["plain"], tables["crashed"])


def _play_jira(
    sim: JiraSimulator, folder: Path, phases: list[Any], upgraded: bool = True
) -> list[RunSummary]:
    """``play`` against the Jira simulator (no default tenant: each email names its own)."""
    base = jira_config(sim, folder / "state")
    summaries = []
    for extra, steps in phases:
        aliases = tomllib.loads(f"[aliases]\n{extra}")["aliases"]
        cfg = base.model_copy(update={"tenants": TenantRules.model_validate({"aliases": aliases})})
        for day, tenant, rows in steps:
            path = folder / "mail" / f"{day}-{tenant.replace(' ', '-')}.eml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(email(tenant, T0 + timedelta(days=day), rows, f"d{day}-{tenant}@x"))
            summaries.append(replay([path], cfg, env=token_env(sim)))
    return summaries


def _wedge_jira(sim: JiraSimulator, folder: Path) -> tuple[str, str]:
    """``wedge`` against Jira: (the survivor's issue, the second one the old release made)."""
    phases = WEDGES["handed-over-then-removed"]
    _play_jira(sim, folder, phases[:2])
    state = folder / "state"
    with closing(sqlite3.connect(state / "state.db")) as conn:
        conn.execute("DELETE FROM tenant_joins")
        conn.commit()
    with pytest.raises(Fatal, match=r"UNIQUE constraint failed: tickets\.idempotency_key"):
        _play_jira(sim, folder, phases[2:])
    with closing(sqlite3.connect(state / "state.db")) as conn:
        conn.execute("DROP TABLE tenant_joins")
        conn.execute("DELETE FROM migrations WHERE name >= '0012'")
        conn.commit()
    survivor, twice = by_identity(sim, "u2@contoso.com")
    assert sim.issues[twice].status != "Done"
    return survivor, twice


def test_in_jira_the_second_issue_the_old_release_made_is_resolved(tmp_path: Path) -> None:
    """Jira made a second issue for the old release's create (the local store answered with
    the ticket it had): the upgraded run resolves it, naming the survivor's ticket, which
    stays open and tracked; a rerun writes nothing."""
    with JiraSimulator("cloud", project=["OPS"], custom_fields=CUSTOM_FIELDS) as sim:
        survivor, twice = _wedge_jira(sim, tmp_path)
        state = tmp_path / "state"
        (summary,) = _play_jira(sim, tmp_path, [UPGRADED["other-spelling"]])
        assert summary.attention == summary.unconfirmed == [], summary
        assert sim.issues[survivor].status != "Done"
        assert sim.issues[twice].status == "Done"
        assert ours(sim.issues[twice]) == [COMMENT_KEY]
        assert survivor in sim.issues[twice].comments[0].body
        tracked = _ledger(state, "SELECT key, status FROM tickets ORDER BY key")
        assert [k for k, _s in tracked] == sorted(set(k for k, _s in tracked))
        assert twice not in {k for k, _s in tracked} and (survivor, "open") in tracked
        assert _ledger(state, "SELECT * FROM intents") == []
        for key in sim.issues:
            assert len(ours(sim.issues[key])) == len(set(ours(sim.issues[key]))), key
        sim.reset_log()
        (again,) = _play_jira(sim, tmp_path, [UPGRADED["other-spelling"]])
        assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]
        assert again.attention == again.unconfirmed == []
        assert sim.issues[survivor].status != "Done"


@pytest.mark.slow
@pytest.mark.parametrize("crash", ["after-sink-write:1", "after-sink-write:2"])
def test_a_sigkill_while_the_second_issue_is_resolved_then_a_rerun(
    tmp_path: Path, crash: str
) -> None:
    """SIGKILL after the second issue's comment, or after its transition (the intent not yet
    dropped): the rerun ends as an uncrashed upgrade, the comment once."""
    with JiraSimulator("cloud", project=["OPS"], custom_fields=CUSTOM_FIELDS) as sim:
        survivor, twice = _wedge_jira(sim, tmp_path)
        report = tmp_path / "upgrade" / "9.eml"
        report.parent.mkdir()
        report.write_bytes(email(L, T0 + timedelta(days=9), [B], "d9-upgrade@x"))
        cfg = tmp_path / "jira.toml"
        cfg.write_text(
            f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
            '[trust]\nforwarders = ["it-admin@contoso.com"]\n[sink]\nkind = "jira"\n'
            f'[jira]\nurl = "{sim.url}"\nproject = "OPS"\nemail = "{sim.email}"\n'
            'components = ["Identity"]\nsearch_lag = "0s"\n'
            f'[jira.fields]\n{TEAM_FIELD} = "Identity team"\n'
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
        command = [sys.executable, "-m", "dirsync_bridge"]
        env["DIRSYNC_JIRA_TOKEN"] = sim.api_token

        def cli(crash: str | None = None) -> int:
            done = subprocess.run(
                [*command, "--config", str(cfg), "replay", str(report)],
                env={**env, **({ENV_VAR: crash} if crash else {})},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert "Traceback" not in done.stderr, done.stderr
            return done.returncode

        assert cli(crash) == -signal.SIGKILL
        assert _ledger(tmp_path / "state", "SELECT COUNT(*) FROM intents") == [(1,)]
        assert cli() == 0
        assert sim.issues[twice].status == "Done"
        assert ours(sim.issues[twice]) == [COMMENT_KEY]
        assert sim.issues[survivor].status != "Done"
        assert _ledger(tmp_path / "state", "SELECT * FROM intents") == []
        sim.reset_log()
        assert cli() == 0
        assert sim.log.writes() == [], [(r.method, r.path) for r in sim.log.writes()]
