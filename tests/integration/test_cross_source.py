"""One object, several sources: an email, a csexport file and an event 6941 export that name
the same object (by its identity, by both keys, by its on-premises object id alone) end in
one ticket, whatever the order they are read in (design.md section 9)."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dirsync_bridge import bootstrap
from dirsync_bridge.config.settings import Config
from dirsync_bridge.crashpoints import ENV_VAR
from dirsync_bridge.fingerprint import fingerprint, label
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.models import Report
from dirsync_bridge.pipeline import replay, run_pass
from dirsync_bridge.run_summary import RunSummary

from ..exportgen import csexport, email_with_object_ids, events_6941
from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator
from .conftest import local_tickets, outcome
from .test_jira_sink import jira_config, token_env

START = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
OBJECTS = (("ann@contoso.com", "QU5OLWFubi0wMQ=="), ("bob@contoso.com", "Qk9CLWJvYi0wMg=="))


def make_config(state_dir: Path) -> Config:
    """Built-in defaults, state in ``state_dir``, exports filed under Contoso."""
    return Config.model_validate(
        {"state": {"path": str(state_dir / "state.db")}, "tenants": {"default": "Contoso"}}
    )


def cli_replayer(config: Config, config_file: Path) -> Callable[..., int]:
    """``replay`` as a process on ``config``'s state (its exit code), crashing at the
    crash point ``crash`` when one is given."""
    config_file.write_text(
        f'[state]\npath = "{config.state.path}"\n[tenants]\ndefault = "Contoso"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}

    def replay_cli(*paths: Path, crash: str | None = None) -> int:
        return subprocess.run(
            [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file), "replay"]
            + [str(p) for p in paths],
            capture_output=True,
            env={**env, ENV_VAR: crash} if crash else env,
            timeout=120,
            check=False,
        ).returncode

    return replay_cli


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def three_sources(folder: Path) -> list[Path]:
    """ann@ seen by an email (identity only), a csexport file (both keys) and a 6941 event
    (object id only), an hour apart, in that order of report time."""
    who, object_id = OBJECTS[0]
    return [
        write(
            folder,
            "email.eml",
            report_email("Contoso", START, [(who, duplicate("UserPrincipalName", who))], "e@x"),
        ),
        write(folder, "cs.xml", csexport([(object_id, who, who)], START + timedelta(hours=1))),
        write(folder, "ev.xml", events_6941([(object_id, who)], START + timedelta(hours=2))),
    ]


def without_merged(result: dict[str, Any], config: Config | None = None) -> dict[str, Any]:
    """The outcome without the tickets a later-read report showed to be another problem's
    (found by an object id, merged into its identity's, or a gap that was not one): each is
    resolved and names a ticket that remains, by key or by label. With ``config``, a ticket
    the survivor took over from a problem merged into it (its first ticket, which keeps its
    name and label) is then named as the survivor's own would be."""
    gone = {
        key
        for key, ticket in result["tickets"].items()
        if any(":superseded:" in comment for comment in ticket["comments"])
    }
    kept = [k for k in result["tickets"] if k not in gone]
    for key in gone:
        ticket = result["tickets"][key]
        assert ticket["status"] == "resolved", key
        note = next(c for k, c in ticket["comments"].items() if ":superseded:" in k)
        assert any(k in note or label(k.split(":")[0]) in note for k in kept), (key, note)
    remaining = {
        "tickets": {k: v for k, v in result["tickets"].items() if k not in gone},
        "ledger": {k: v for k, v in result["ledger"].items() if k not in gone},
        "leftovers": result["leftovers"],
    }
    return remaining if config is None else as_survivors(remaining, config)


def as_survivors(result: dict[str, Any], config: Config) -> dict[str, Any]:
    """``result`` with the name of each ticket a survivor took over read as the survivor's."""
    ledger = Ledger.open(config.state.path)
    try:
        # A ticket handed over is kept under the survivor, named as it was first.
        renames = {
            str(name).rpartition(":")[0]: str(fp)
            for fp, name in ledger.conn.execute(
                "SELECT t.fingerprint, t.idempotency_key FROM tickets t JOIN problems p "
                "ON p.fingerprint = t.fingerprint WHERE p.merged_into IS NULL"
            )
            if not str(name).startswith(f"{fp}:")
        }
    finally:
        ledger.close()

    def renamed(value: Any) -> Any:
        if isinstance(value, str):
            for old, new in renames.items():
                value = value.replace(old, new)
            return value
        if isinstance(value, dict):
            return {renamed(k): renamed(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(renamed(v) for v in value)
        return value

    out: dict[str, Any] = renamed(result)
    return out


def test_email_csexport_and_6941_in_one_run_in_any_order_end_in_one_ticket(
    tmp_path: Path,
) -> None:
    paths = three_sources(tmp_path / "in")
    expected = None
    for number, order in enumerate(itertools.permutations(paths)):
        config = make_config(tmp_path / f"run{number}")
        summary = replay(list(order), config)
        assert summary.parsed == 3 and list(summary.problems) == [], summary.problems
        assert summary.created == 1, [p.name for p in order]
        found = outcome(config)
        assert len(found["tickets"]) == 1
        expected = expected or found
        assert found == expected, [p.name for p in order]
    assert expected is not None
    (ticket,) = expected["tickets"].values()
    assert "ann@contoso.com" in ticket["summary"]


def test_read_one_at_a_time_the_object_id_ticket_stays_and_names_the_identity(
    tmp_path: Path,
) -> None:
    email, cs, ev = three_sources(tmp_path / "in")
    chronological = make_config(tmp_path / "chronological")
    replay([email, cs, ev], chronological)
    expected = outcome(chronological)
    config = make_config(tmp_path / "one-at-a-time")
    first = replay([ev], config)  # the object id alone: a ticket of its own, for now
    assert first.created == 1
    (key,) = [t.key for t in local_tickets(config)]
    second = replay([cs], config)  # the pair: merged into ann@'s problem, which takes it
    assert (second.created, second.resolved, second.updated) == (0, 0, 1), second
    replay([email], config)
    found = outcome(config)
    # The first ticket stays (design.md section 9): its key and its label, now naming ann@.
    (ticket,) = local_tickets(config)
    assert ticket.key == key and ticket.status == "open"
    assert "ann@contoso.com" in ticket.content.summary
    (name,) = found["tickets"]
    first = name.split(":")[0]
    assert f"Fingerprint: {first}" in ticket.content.description
    assert Ledger.open(config.state.path).merged_into(first) is not None  # it was merged
    assert without_merged(found, config) == expected
    ledger = Ledger.open(config.state.path)
    try:
        assert ledger.identities("contoso", [OBJECTS[0][1]]) == {OBJECTS[0][1]: OBJECTS[0][0]}
    finally:
        ledger.close()


def test_an_object_id_seen_after_the_pair_joins_the_identitys_problem_directly(
    tmp_path: Path,
) -> None:
    _email, cs, ev = three_sources(tmp_path / "in")
    config = make_config(tmp_path / "state")
    replay([cs], config)
    later = replay([ev], config)
    assert later.created == 0
    assert len(outcome(config)["tickets"]) == 1


# ---------------------------------------------------------------------------------------------
# Order independence across sources (the property test of tests/integration/test_replay.py,
# with every report one of four sources, and objects named by either key)

SOURCES = ("email", "email-ids", "csexport", "eventlog")


def write_history(folder: Path, rows: list[tuple[str, list[bool]]], gaps: list[int]) -> list[Path]:
    """One input per report: rows[i] = (its source, which objects it lists)."""
    paths, at = [], START
    for number, ((source, listed), gap) in enumerate(zip(rows, gaps, strict=True)):
        at += timedelta(hours=gap)
        objects = [o for o, shown in zip(OBJECTS, listed, strict=True) if shown]
        if source == "email":
            data = report_email(
                "Contoso",
                at,
                [(w, duplicate("UserPrincipalName", w)) for w, _ in objects],
                f"m{number}@x",
            )
        elif source == "email-ids":
            data = email_with_object_ids(
                "Contoso", at, [(w, o, w) for w, o in objects], f"m{number}@x"
            )
        elif source == "csexport":
            data = csexport([(o, w, w) for w, o in objects], at)
        else:
            data = events_6941([(o, w) for w, o in objects], at)
        suffix = ".eml" if source.startswith("email") else ".xml"
        paths.append(write(folder, f"r{number:03d}{suffix}", data))
    return paths


histories = st.integers(3, 8).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.tuples(
                st.sampled_from(SOURCES),
                st.lists(st.booleans(), min_size=len(OBJECTS), max_size=len(OBJECTS)),
            ),
            min_size=n,
            max_size=n,
        ),
        st.lists(st.sampled_from([3, 3, 6, 24, 24 * 20]), min_size=n, max_size=n),
        st.randoms(use_true_random=False),
    )
)


@pytest.mark.slow
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories)
def test_any_sources_in_any_order_in_any_number_of_runs_end_as_the_chronological_run(
    tmp_path_factory: object, history: tuple[list[tuple[str, list[bool]]], list[int], random.Random]
) -> None:
    rows, gaps, rng = history
    base = Path(tmp_path_factory.mktemp("sources"))  # type: ignore[attr-defined]
    paths = write_history(base / "in", rows, gaps)

    chronological = make_config(base / "chronological")
    replay(paths, chronological)
    expected = outcome(chronological)
    # An object a csexport file or an email with object ids names by both keys has no
    # ticket of its own under its object id: its events joined its identity's problem.
    taught = {
        object_id
        for source, listed in rows
        if source in ("email-ids", "csexport")
        for (_who, object_id), shown in zip(OBJECTS, listed, strict=True)
        if shown
    }
    for ticket in expected["tickets"].values():
        assert not any(object_id in ticket["summary"] for object_id in taught), ticket["summary"]

    shuffled = paths[:]
    rng.shuffle(shuffled)
    one_run = make_config(base / "one-run")
    replay(shuffled, one_run)
    assert outcome(one_run) == expected, [p.name for p in shuffled]

    for attempt in range(2):
        shuffled = paths[:]
        rng.shuffle(shuffled)
        runs = rng.randint(1, len(shuffled))
        cuts = sorted(rng.sample(range(1, len(shuffled)), runs - 1)) if runs > 1 else []
        config = make_config(base / f"shuffled{attempt}")
        edges = [0, *cuts, len(shuffled)]
        for a, b in itertools.pairwise(edges):
            replay(shuffled[a:b], config)
        found = without_merged(outcome(config), config)
        assert found == expected, (attempt, [p.name for p in shuffled], cuts)


# ---------------------------------------------------------------------------------------------
# Tenants named otherwise, Graph's pairs, other rules


def test_an_email_naming_the_tenant_by_an_alias_and_an_export_end_in_one_ticket(
    tmp_path: Path,
) -> None:
    who, object_id = OBJECTS[0]
    email = write(
        tmp_path / "in",
        "old-name.eml",
        report_email("Contoso Ltd.", START, [(who, duplicate("UserPrincipalName", who))], "a@x"),
    )
    cs = write(tmp_path / "in", "cs.xml", csexport([(object_id, who, who)], START))
    ev = write(tmp_path / "in", "ev.xml", events_6941([(object_id, who)], START))
    for number, order in enumerate(itertools.permutations([email, cs, ev])):
        config = Config.model_validate(
            {
                "state": {"path": str(tmp_path / f"s{number}" / "state.db")},
                "tenants": {
                    "default": "contoso.onmicrosoft.com",
                    "aliases": {"Contoso": ["Contoso Ltd.", "contoso.onmicrosoft.com"]},
                },
            }
        )
        for path in order:  # one run each: the hardest order
            replay([path], config)
        found = without_merged(outcome(config), config)
        assert len(found["tickets"]) == 1, [p.name for p in order]
        (ticket,) = found["tickets"].values()
        assert ticket["summary"].endswith(f"{who} (Contoso)"), ticket["summary"]


class Scan:
    """A source that yields one report it built, as the Graph provisioning scan does."""

    name = "scan"

    def __init__(self, report: Report) -> None:
        self.report = report

    def messages(self, summary: RunSummary) -> Iterator[Report]:
        yield self.report

    def read(self, message: object, outcome: object) -> None:
        pass

    def finish(self, summary: RunSummary) -> None:
        pass


def test_a_graph_scan_teaches_the_pair_and_merges_an_earlier_6941_problem(tmp_path: Path) -> None:
    who, object_id = OBJECTS[0]
    config = make_config(tmp_path / "state")
    replay([write(tmp_path, "ev.xml", events_6941([(object_id, who)], START))], config)
    scan = Report.model_validate(
        {
            "source": "graph:provisioning",
            "source_kind": "graph-provisioning",
            "tenant": "Contoso",
            "sent_at": START + timedelta(hours=1),
            "errors": [
                {
                    "kind": "QuarantinedAttributeValueMustBeUnique",
                    "kind_stated": True,
                    "identity": who,
                    "object_id": object_id,
                    "conflicts": [{"attribute": "UserPrincipalName", "values": [who]}],
                    "message": "quarantined",
                }
            ],
        }
    )
    with bootstrap.build(config, {}, dry_run=False, enrich=False) as parts:
        run_pass(Scan(scan), parts)
    found = outcome(config)
    # The 6941 event's ticket stays (design.md section 9), now the survivor's: one ticket.
    (name,) = found["tickets"]
    assert name.startswith(fingerprint("contoso", "duplicate", f"object-id:{object_id}"))
    assert found["tickets"][name]["status"] == "open"


def test_a_merged_problem_survives_a_change_of_the_lifecycle_rules(tmp_path: Path) -> None:
    email, cs, ev = three_sources(tmp_path / "in")
    config = make_config(tmp_path / "state")
    replay([ev], config)
    replay([cs], config)
    stricter = config.model_copy(
        update={"tickets": config.tickets.model_copy(update={"resolve_after_reports": 1})}
    )
    summary = replay([email], stricter)  # every problem folded again under the new rules
    assert summary.parsed == 1
    assert len(without_merged(outcome(stricter))["tickets"]) == 1


def test_killed_after_a_merge_before_its_report_is_recorded_a_rerun_ends_the_same(
    tmp_path: Path,
) -> None:
    email, cs, ev = three_sources(tmp_path / "in")
    chronological = make_config(tmp_path / "chronological")
    replay([email, cs, ev], chronological)
    expected = outcome(chronological)

    config = make_config(tmp_path / "crashed")
    replay_cli = cli_replayer(config, tmp_path / "crashed.toml")
    assert replay_cli(ev) == 0
    # The pair learned and the 6941 problem merged (committed), then death: cs.xml is not
    # recorded, and no ticket write was made.
    assert replay_cli(cs, crash="after-identities:1") == -signal.SIGKILL
    assert replay_cli(cs, email) == 0
    assert without_merged(outcome(config), config) == expected


def test_in_jira_the_object_ids_ticket_stays_with_its_key_and_label_and_names_the_identity(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    sim = jira_cloud
    who, object_id = OBJECTS[0]
    config = jira_config(sim, tmp_path / "state").model_copy(
        update={"tenants": make_config(tmp_path).tenants}
    )
    env = token_env(sim)
    ev = write(tmp_path / "in", "ev.xml", events_6941([(object_id, who)], START))
    assert replay([ev], config, env=env).created == 1
    ((key, issue),) = sim.issues.items()
    labels = list(issue.fields["labels"])
    assert who not in issue.fields["summary"]  # the event names the object by its id alone
    sim.reset_log()
    cs = write(tmp_path / "in", "cs.xml", csexport([(object_id, who, who)], START + timedelta(1)))
    second = replay([cs], config, env=env)
    assert (second.created, second.resolved, second.updated) == (0, 0, 1), second
    assert list(sim.issues) == [key]  # no second issue, none resolved
    assert sim.issues[key].status != "Done"
    assert sim.issues[key].fields["labels"] == labels
    assert who in sim.issues[key].fields["summary"]
    # An event read later, by the object id alone, joins the same ticket.
    replay(
        [write(tmp_path / "in", "ev2.xml", events_6941([(object_id, who)], START + timedelta(2)))],
        config,
        env=env,
    )
    assert list(sim.issues) == [key] and sim.issues[key].fields["labels"] == labels
