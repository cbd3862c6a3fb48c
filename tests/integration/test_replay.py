"""Replays through the whole pipeline into the local store: idempotent, order-blind, honest."""

from __future__ import annotations

import hashlib
import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import replay

from ..conftest import REPORTS
from ..reportgen import duplicate, quarantine, report_email
from .conftest import make_config, outcome


def test_a_second_replay_changes_nothing(config: Config) -> None:
    first = replay([REPORTS], config)
    assert first.created > 30
    # aadconnect_truncated_mime is a report cut short: rejected `truncated` (fixhalf).
    assert (first.parsed, first.rejected) == (33, 11)
    before = outcome(config)
    second = replay([REPORTS], config)
    assert second.writes == []
    assert (second.parsed, second.rejected, second.already_seen) == (0, 0, 44)
    assert (second.created, second.commented, second.resolved, second.reopened) == (0, 0, 0, 0)
    assert outcome(config) == before
    assert before["leftovers"] == {"intents": 0, "dirty": 0, "pending": 0}


def test_one_ticket_per_problem_and_the_ledger_agrees_with_the_store(config: Config) -> None:
    summary = replay([REPORTS], config)
    result = outcome(config)
    assert len(result["tickets"]) == summary.created
    assert result["tickets"].keys() == result["ledger"].keys()
    for name, ticket in result["tickets"].items():
        assert ticket["status"] == result["ledger"][name]["status"]
        assert len(ticket["comments"]) == result["ledger"][name]["comments"]


def test_bad_input_is_reported_per_file_and_the_rest_completes(
    tmp_path: Path, config: Config
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = REPORTS / "aadsync_th_thead.eml"
    (inbox / "good.eml").write_bytes(good.read_bytes())
    (inbox / "spoof.eml").write_bytes((REPORTS / "hostile_spoofed_display_name.eml").read_bytes())
    (inbox / "gone.eml").symlink_to(tmp_path / "nowhere.eml")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    summary = replay([inbox, empty_dir], config)
    assert summary.parsed == 1 and summary.created >= 1
    reasons = {Path(r.source).name: r.reason.split(":")[0] for r in summary.problems}
    assert reasons == {
        "gone.eml": "unreadable",
        "spoof.eml": "untrusted-sender",
        "empty": "unreadable",
    }


def test_dry_run_lists_the_writes_and_writes_nothing(tmp_path: Path, config: Config) -> None:
    planned = replay([REPORTS], config, dry_run=True)
    assert planned.created > 30
    assert len([w for w in planned.writes if w.startswith("create a ticket: ")]) == planned.created
    assert not config.state.directory.exists()

    replay([REPORTS / "aadsync_th_thead.eml"], config)
    files = sorted(config.state.directory.iterdir())
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in files]
    again = replay([REPORTS], config, dry_run=True)
    assert again.created == planned.created - 1 or again.created < planned.created
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in files] == digests
    assert sorted(config.state.directory.iterdir()) == files


# ---------------------------------------------------------------------------------------------
# Order independence

IDENTITIES = ("ann@contoso.com", "bob@contoso.com", "cat@contoso.com", "dan@contoso.com")
VARIANTS = {
    "A": lambda who: duplicate("ProxyAddresses", f"SMTP:{who}"),
    "B": lambda who: duplicate(
        "ProxyAddresses", f"SMTP:{who}", f"smtp:{who.split('@')[0]}@old.com"
    ),
    "Q": lambda who: quarantine("UserPrincipalName", who),
}
START = datetime(2018, 3, 1, 6, 0, tzinfo=UTC)


def write_history(folder: Path, rows: list[list[str | None]], gaps: list[int]) -> list[Path]:
    """One email per report; rows[i][j] is identity j's variant in report i (None: absent)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, at = [], START
    for number, (row, gap) in enumerate(zip(rows, gaps, strict=True)):
        at += timedelta(hours=gap)
        errors = [(who, VARIANTS[v](who)) for who, v in zip(IDENTITIES, row, strict=True) if v]
        tenant = "Contoso" if number % 5 else "Contoso "  # the same tenant, spelled loosely
        path = folder / f"r{number:03d}.eml"
        path.write_bytes(report_email(tenant, at, errors, f"r{number}@history.test"))
        paths.append(path)
    return paths


histories = st.integers(3, 10).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.lists(st.sampled_from([None, None, "A", "A", "B", "Q"]), min_size=4, max_size=4),
            min_size=n,
            max_size=n,
        ),
        # Mostly a few hours apart, sometimes weeks: long gaps open new tickets.
        st.lists(st.sampled_from([3, 3, 6, 24, 24 * 20]), min_size=n, max_size=n),
        st.randoms(use_true_random=False),
    )
)


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories)
def test_any_order_in_any_number_of_runs_ends_as_the_chronological_run(
    tmp_path_factory: object, history: tuple[list[list[str | None]], list[int], random.Random]
) -> None:
    rows, gaps, rng = history
    base = Path(tmp_path_factory.mktemp("history"))  # type: ignore[attr-defined]
    paths = write_history(base / "mail", rows, gaps)

    chronological = make_config(base / "chronological")
    replay(paths, chronological)
    expected = outcome(chronological)

    # One run, any order: exactly the chronological tickets.
    shuffled = paths[:]
    rng.shuffle(shuffled)
    one_run = make_config(base / "one-run")
    replay(shuffled, one_run)
    assert outcome(one_run) == expected, [p.name for p in shuffled]

    # Several runs, any order: a run sees only part of the history, so it may open a ticket
    # that a report read later shows was never needed (a gap that was not one). Tickets
    # cannot be taken back: such a ticket is resolved, naming the one it was merged into,
    # and everything else is exactly the chronological outcome.
    for attempt in range(3):
        shuffled = paths[:]
        rng.shuffle(shuffled)
        runs = rng.randint(1, len(shuffled))
        cuts = sorted(rng.sample(range(1, len(shuffled)), runs - 1)) if runs > 1 else []
        shuffled_config = make_config(base / f"shuffled{attempt}")
        for chunk in _split(shuffled, cuts):
            replay(chunk, shuffled_config)
        found = without_superseded(outcome(shuffled_config))
        assert found == expected, (attempt, [p.name for p in shuffled], cuts)


def without_superseded(result: dict[str, Any]) -> dict[str, Any]:
    """The outcome without tickets merged into another (each checked to say so)."""
    gone = {
        key
        for key, ticket in result["tickets"].items()
        if any(":superseded:" in comment for comment in ticket["comments"])
    }
    for key in gone:
        ticket = result["tickets"][key]
        assert ticket["status"] == "resolved", key
        fingerprint = key.split(":")[0]
        assert any(
            other.startswith(fingerprint) and other not in gone for other in result["tickets"]
        ), key
    return {
        "tickets": {k: v for k, v in result["tickets"].items() if k not in gone},
        "ledger": {k: v for k, v in result["ledger"].items() if k not in gone},
        "leftovers": result["leftovers"],
    }


def _split(items: list[Path], cuts: list[int]) -> list[list[Path]]:
    edges = [0, *cuts, len(items)]
    return [items[a:b] for a, b in itertools.pairwise(edges)]


def test_a_history_with_every_transition_in_a_hard_order(tmp_path: Path) -> None:
    # ann: resolved after three absences, then reopened; bob: details change twice;
    # cat: resolved, then back 20 days after the resolution... plus the long gap below,
    # more than 30 days: a new ticket; dan: quarantined, never resolved by absence.
    rows: list[list[str | None]] = [
        ["A", "A", "A", "Q"],
        [None, "B", None, None],
        [None, "A", None, None],
        [None, "A", None, None],
        ["A", "A", None, None],
        [None, None, "A", None],
    ]
    gaps = [3, 3, 3, 3, 3, 24 * 40]
    paths = write_history(tmp_path / "mail", rows, gaps)
    chronological = make_config(tmp_path / "chronological")
    replay(paths, chronological)
    expected = outcome(chronological)

    comments = sorted(k for t in expected["tickets"].values() for k in t["comments"])
    assert comments == [
        "0:changed:0",
        "0:changed:1",
        "0:reopened:0",
        "0:resolved:0",
        "0:resolved:0",
    ]
    statuses = sorted(
        (name.rsplit(":", 1)[1], t["status"]) for name, t in expected["tickets"].items()
    )
    assert statuses == [
        ("0", "open"),
        ("0", "open"),
        ("0", "open"),
        ("0", "resolved"),
        ("1", "open"),
    ]

    # Newest first, one report per run: every resolution happens too early at first and
    # has to be taken back when the older reports arrive.
    backwards = make_config(tmp_path / "backwards")
    for path in reversed(paths):
        replay([path], backwards)
    assert outcome(backwards) == expected


def test_a_ticket_opened_on_part_of_the_history_is_superseded_once_the_rest_arrives(
    tmp_path: Path,
) -> None:
    # Found by the property above: bob seen, resolved, back 20 days later (a reopen), then a
    # quarantine row. Read one report per run in this order, the run that has not yet seen
    # r006 believes bob was gone for 40 days and opens a second ticket.
    rows: list[list[str | None]] = [[None, "A", None, None], *[[None] * 4] * 5]
    rows += [[None, "A", None, None], [None] * 4, [None, "Q", None, None]]
    paths = write_history(tmp_path / "mail", rows, [3, 3, 3, 3, 3, 3, 480, 480, 3])
    chronological = make_config(tmp_path / "chronological")
    replay(paths, chronological)
    expected = outcome(chronological)

    by_name = {p.name: p for p in paths}
    config = make_config(tmp_path / "runs")
    for name in ("r000", "r008", "r005", "r003", "r001", "r007", "r002", "r004", "r006"):
        replay([by_name[f"{name}.eml"]], config)
    result = outcome(config)
    assert len(result["tickets"]) == len(expected["tickets"]) + 1
    assert without_superseded(result) == expected
