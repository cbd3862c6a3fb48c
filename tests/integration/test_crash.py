"""Crash safety: SIGKILL at random moments and at the worst ones, then a rerun.

Whatever the moment of death (mid-parse, between a sink write and the ledger's record of
it, mid-reconcile), the rerun must end exactly where a run that never crashed ends: one
ticket per problem, every comment once, every message processed once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.crashpoints import ENV_VAR
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay

from ..conftest import REPORTS
from ..reportgen import duplicate, report_email
from .conftest import make_config, outcome

pytestmark = pytest.mark.slow  # property and crash tests: `make test-fast` skips them

TENANTS = ("Contoso", "Fabrikam", "Northwind")
PEOPLE = [f"user{n:02d}@example.com" for n in range(12)]


def build_corpus(folder: Path, reports_per_tenant: int, seed: int = 7) -> int:
    """Reports where problems come, go for a while, come back and change; returns count."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    count = 0
    for tenant in TENANTS:
        at = datetime(2017, 5, 1, tzinfo=UTC)
        present = {who: rng.random() < 0.5 for who in PEOPLE}
        for number in range(reports_per_tenant):
            at += timedelta(hours=3)
            for who in PEOPLE:
                if rng.random() < 0.2:
                    present[who] = not present[who]
            rows = [
                (
                    who,
                    duplicate(
                        "ProxyAddresses", f"SMTP:{who}", *(["smtp:x@y.com"] * (number % 7 == 0))
                    ),
                )
                for who in PEOPLE
                if present[who]
            ]
            name = f"{tenant.lower()}-{number:03d}.eml"
            (folder / name).write_bytes(report_email(tenant, at, rows, f"{name}@crash.test"))
            count += 1
    for hostile in ("hostile_spoofed_display_name.eml", "hostile_dmarc_fail.eml"):
        (folder / hostile).write_bytes((REPORTS / hostile).read_bytes())
    return count


def run(config_file: Path, corpus: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dirsync_bridge",
            "--config",
            str(config_file),
            "replay",
            str(corpus),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def test_sigkill_at_any_moment_then_a_rerun_ends_as_a_clean_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    reports = build_corpus(corpus, reports_per_tenant=100)

    clean = make_config(tmp_path / "clean")
    replay([corpus], clean)
    expected = outcome(clean)
    assert len(expected["tickets"]) >= len(TENANTS) * len(PEOPLE)
    assert any(t["status"] == "resolved" for t in expected["tickets"].values())
    assert any(":reopened:" in key for t in expected["tickets"].values() for key in t["comments"])

    state = tmp_path / "crashed"
    config_file = tmp_path / "crashed.toml"
    config_file.write_text(f'[state]\npath = "{state / "state.db"}"\n')
    base_env = {k: v for k, v in os.environ.items() if k != ENV_VAR}

    def killed_at(point: str, nth: int) -> bool:
        process = run(config_file, corpus, {**base_env, ENV_VAR: f"{point}:{nth}"})
        return process.wait(timeout=120) == -signal.SIGKILL

    def killed_after(seconds: float) -> bool:
        process = run(config_file, corpus, base_env)
        time.sleep(seconds)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        return process.wait(timeout=120) == -signal.SIGKILL

    killed = 0
    # Right after a report is recorded, before its tickets exist (each run gets further).
    killed += sum(killed_at("after-ingest", n) for n in (1, 4, 9, 16, 30, 50))
    # Right after a sink write, before the ledger records it: the window intents cover.
    rng = random.Random(11)
    killed += sum(killed_at("after-sink-write", rng.randint(1, 12)) for _ in range(14))
    # And whenever it happens to be (these may find the work done: they count if they kill).
    killed += sum(killed_after(rng.uniform(0.3, 0.7)) for _ in range(4))
    assert killed >= 20

    final = run(config_file, corpus, base_env)
    assert final.wait(timeout=300) in (0, 1)

    assert outcome(make_config(state)) == expected
    ledger = Ledger.open(state / "state.db")
    try:
        assert ledger.counts() == {"processed": reports, "rejected": 2}
    finally:
        ledger.close()
