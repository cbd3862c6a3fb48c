"""`doctor` and `tickets show` over a local ticket store a run would refuse: an earlier
release's store file (``tickets.db``) lost, taken from another ledger, or damaged before it
was moved into the ledger. They say what every run says (found by hostile review rev16:
doctor said "ok", and `tickets show` mixed this ledger's facts with another's text)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..conftest import ROOT
from ..earlier_release import to_earlier_release
from .test_cli import run

REPORTS = ROOT / "fixtures" / "reports"
FIRST = REPORTS / "aadsync_th_thead.eml"
OTHER = REPORTS / "aadconnect_all_kinds_misc.eml"
LATER = REPORTS / "aadsync_html_entities.eml"


def state_with(tmp_path: Path, name: str, report: Path) -> Path:
    """A config whose local state holds the tickets of ``report``, as an earlier release
    left it (the store in ``tickets.db``)."""
    home = tmp_path / name
    home.mkdir()
    config = home / "c.toml"
    config.write_text(f'[state]\npath = "{home / "state" / "state.db"}"\n')
    done = run("--config", str(config), "replay", str(report))
    assert done.returncode == 0, done.stderr
    to_earlier_release(home / "state")
    return config


def store_of(config: Path) -> Path:
    return config.parent / "state" / "tickets.db"


def with_another_ledgers_store(tmp_path: Path) -> Path:
    """As ``state_with`` (the tickets of FIRST), its store file replaced by that of another
    ledger (the tickets of OTHER)."""
    config = state_with(tmp_path, "a", FIRST)
    other = state_with(tmp_path, "b", OTHER)
    shutil.copyfile(store_of(other), store_of(config))
    return config


def refused_by_runs_and_doctor(config: Path) -> None:
    for _ in range(2):  # before the first run of this release, and after it
        doctor = run("--config", str(config), "doctor")
        assert doctor.returncode == 2, doctor.stdout
        (line,) = [
            x for x in doctor.stdout.splitlines() if "local ticket store" in x and "FAIL" in x
        ]
        assert "tickets rebuild" in line, line
        replay = run("--config", str(config), "replay", str(LATER))
        assert replay.returncode == 2 and "tickets rebuild" in replay.stderr


def test_doctor_on_a_lost_ticket_store_says_what_every_run_says(tmp_path: Path) -> None:
    config = state_with(tmp_path, "a", FIRST)
    store_of(config).unlink()
    refused_by_runs_and_doctor(config)


def test_doctor_on_a_ticket_store_from_another_ledger_says_what_every_run_says(
    tmp_path: Path,
) -> None:
    config = with_another_ledgers_store(tmp_path)
    refused_by_runs_and_doctor(config)
    assert run("--config", str(config), "tickets", "rebuild").returncode == 0
    doctor = run("--config", str(config), "doctor")
    assert "FAIL" not in doctor.stdout and "ok   local ticket store" in doctor.stdout, doctor.stdout


def test_tickets_show_with_a_store_from_another_ledger_does_not_mix_two_tickets(
    tmp_path: Path,
) -> None:
    config = with_another_ledgers_store(tmp_path)
    for _ in range(2):  # before the first run of this release, and after it (moved in)
        shown = run("--config", str(config), "tickets", "show", "LOCAL-1", "--format", "json")
        ticket = json.loads(shown.stdout)
        assert ticket["identity"] == "tax@contosopharma.com"
        assert ticket["description"] is None, "another ledger's ticket shown as this one"
        assert "tickets rebuild" in shown.stderr
        run("--config", str(config), "replay", str(LATER))


def test_doctor_and_a_run_give_the_same_advice_for_a_damaged_ticket_store(tmp_path: Path) -> None:
    config = state_with(tmp_path, "a", FIRST)
    store_of(config).write_bytes(b"\x13garbage" * 1000)
    replay = run("--config", str(config), "replay", str(LATER))
    assert replay.returncode == 2 and "tickets rebuild" in replay.stderr
    doctor = run("--config", str(config), "doctor")
    assert doctor.returncode == 2
    assert "tickets rebuild" in doctor.stdout, doctor.stdout
