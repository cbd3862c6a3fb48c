"""Helpers for whole-pipeline tests: a fresh state directory, and what a run left behind;
the command line run over it in a process of its own, and the local ticket store of an
earlier release (``tests/earlier_release.py``) upgraded, lost or restored."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.crashpoints import ENV_VAR
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import replay
from dirsync_bridge.ports import TicketSnapshot
from dirsync_bridge.sinks.local import LocalStore

from ..conftest import REPORTS
from ..earlier_release import export_store, to_earlier_release
from ..reportgen import dated_plain_email, report_email

CORPUS = sorted(REPORTS.glob("*.eml"))
"""The golden reports, in a fixed order: what the local store tests replay."""
FIRST, REST = CORPUS[: len(CORPUS) // 2], CORPUS[len(CORPUS) // 2 :]


def make_config(state_dir: Path, **tickets: Any) -> Config:
    """Built-in defaults, state in ``state_dir``, the fixtures' trusted forwarder."""
    return Config.model_validate(
        {
            "state": {"path": str(state_dir / "state.db")},
            "trust": {"forwarders": ["it-admin@contoso.com"]},
            "tickets": tickets,
        }
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A configuration with its own empty state directory."""
    return make_config(tmp_path / "state")


def outcome(config: Config) -> dict[str, Any]:
    """Everything a run leaves behind, named so that runs in any order compare equal.

    Ticket keys (LOCAL-n) depend on creation order, so tickets are named by their
    idempotency key (fingerprint and episode), and keys inside texts are replaced by it.
    """
    ledger = Ledger.open(config.state.path)
    store = LocalStore.in_ledger(ledger.conn, ledger.path)
    try:
        snapshots = store.tickets()
        names = {s.key: s.idempotency_key for s in snapshots}

        def named(text: str) -> str:
            return re.sub(r"LOCAL-\d+", lambda m: names.get(m.group(0), m.group(0)), text)

        tickets = {
            s.idempotency_key: {
                "status": s.status,
                "resolution": s.resolution,
                "summary": s.content.summary,
                "description": named(s.content.description),
                "links": [names.get(k, k) for k in s.content.links],
                "comments": {k: named(v) for k, v in s.comments.items()},
            }
            for s in snapshots
        }
        rows = {
            names[row.key]: {
                "status": row.status,
                "occurrences": row.occurrences,
                "first_seen": row.first_seen,
                "last_seen": row.last_seen,
                "comments": row.comments,
            }
            for row in ledger.tickets()
        }
        leftovers = {
            "intents": len(ledger.pending_intents()),
            "dirty": len(ledger.dirty()),
            "pending": ledger.counts().get("pending", 0),
        }
        return {"tickets": tickets, "ledger": rows, "leftovers": leftovers}
    finally:
        store.close()
        ledger.close()


@contextmanager
def local_store(config: Config) -> Iterator[LocalStore]:
    """The local ticket store, kept in the ledger's file (open while inside)."""
    ledger = Ledger.open(config.state.path)
    try:
        yield LocalStore.in_ledger(ledger.conn, ledger.path)
    finally:
        ledger.close()


def local_tickets(config: Config) -> list[TicketSnapshot]:
    """Every ticket of the local store, oldest first."""
    with local_store(config) as store:
        return store.tickets()


def keys(config: Config) -> dict[str, str]:
    """Each local ticket's key -> its idempotency key."""
    return {t.key: t.idempotency_key for t in local_tickets(config)}


def keys_kept(config: Config, before: dict[str, str]) -> dict[str, str]:
    """The keys now (as ``keys``), having checked that every ticket of ``before`` kept its
    key."""
    after = keys(config)
    assert {k: after[k] for k in before} == before
    return after


def cli(
    config: Config, *args: str, crash_at: str = "", prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """``dirsync-bridge *args`` in a process of its own, as a user runs it, over ``config``'s
    state (its config file written beside the state directory), killed where ``crash_at``
    says; ``prefix`` goes in front of the command (``setpriv ...``)."""
    config_file = config.state.directory.parent / "config.toml"
    config_file.write_text(
        f'[state]\npath = "{config.state.path}"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n'
    )
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if crash_at:
        env[ENV_VAR] = crash_at
    return subprocess.run(
        [*prefix, sys.executable, "-m", "dirsync_bridge", "--config", str(config_file), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def cli_with_config_file(
    config_file: Path,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``dirsync-bridge --config config_file *args`` in a process of its own, its output
    captured as text, whatever it exits with; ``env`` replaces the environment when given."""
    return subprocess.run(
        [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def replay_after_anns_report(
    tmp_path: Path, at: datetime, value: str, rows: str, name: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """``replay`` by the command line of a mail folder: r0, an HTML report of ann's error
    ``value`` at ``at``, then r1 to r3 (``resolve_after_reports`` is 3), plain-text reports
    a day apart each holding ``rows`` (Message-ID ``<{name}{n}@x.test>``); the config names
    only the state, in ``tmp_path``. The replay's outcome, and the config file."""
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "r0.eml").write_bytes(
        report_email("Contoso", at, [("ann@contoso.com", value)], "<html0@x.test>")
    )
    for number in (1, 2, 3):
        raw = dated_plain_email(at + timedelta(days=number), rows, f"{name}{number}@x.test")
        (mail / f"r{number}.eml").write_bytes(raw)
    config = tmp_path / "c.toml"
    config.write_text('[state]\npath = "st/state.db"\n')
    done = cli_with_config_file(config, "replay", str(mail), cwd=tmp_path, timeout=120)
    return done, config


def environ_without(*names: str) -> dict[str, str]:
    """This process's environment without ``names`` (secrets a test must not inherit)."""
    return {k: v for k, v in os.environ.items() if k not in names}


@contextmanager
def mounted(mount: list[str], where: Path, cannot: str) -> Iterator[Path]:
    """``where``, made here, with what ``mount`` (a mount command but its target) mounts on
    it; unmounted (lazily) on the way out. The test is skipped, ``cannot`` said, where the
    mount fails."""
    where.mkdir()
    if subprocess.run([*mount, str(where)], capture_output=True, check=False).returncode:
        pytest.skip(cannot)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def clean(tmp_path: Path) -> dict[str, object]:
    """What a clean run of the whole ``CORPUS`` leaves behind (``outcome``)."""
    config = make_config(tmp_path / "clean")
    replay(CORPUS, config)
    return outcome(config)


@pytest.fixture
def earlier(tmp_path: Path) -> tuple[Config, dict[str, str]]:
    """State left by an earlier release after FIRST: ledger without 0017, tickets.db; and
    the keys of its tickets."""
    config = make_config(tmp_path / "state")
    replay(FIRST, config)
    before = keys(config)
    to_earlier_release(config.state.directory)
    return config, before


def older_backup_moved_in(
    tmp_path: Path,
) -> tuple[Config, dict[str, str], Path, subprocess.CompletedProcess[str]]:
    """An earlier release's user restores ``tickets.db`` from an older backup (of FIRST[:3])
    than the ledger (FIRST), and runs this release on REST. The config, the keys of its
    tickets before, the right (newest) store file kept aside as ``right.db``, and that run
    (refused)."""
    config = make_config(tmp_path / "state")
    replay(FIRST[:3], config)
    older = export_store(config.state.path, tmp_path / "older-backup.db")
    replay(FIRST, config)
    before = keys(config)
    separate = to_earlier_release(config.state.directory)
    right = tmp_path / "right.db"
    separate.rename(right)
    older_in = tmp_path / "older-copy.db"
    older_in.write_bytes(older.read_bytes())
    older_in.rename(separate)  # the older backup, put back by mistake
    return config, before, right, cli(config, "replay", *map(str, REST))


def upgraded(tmp_path: Path, reports: list[Path]) -> Config:
    """State an earlier release left after ``reports``, upgraded by a run of this release
    (the same reports: nothing new): its store moved into the ledger."""
    config = make_config(tmp_path / "state")
    replay(reports, config)
    to_earlier_release(config.state.directory)
    up = cli(config, "replay", *map(str, reports))  # the upgrade
    assert up.returncode in (0, 1), up.stderr
    return config


def written(config: Config) -> dict[str, tuple[object, ...]]:
    """Each local ticket, by key, as it was written: idempotency key, content, comments,
    status and resolution."""
    return {
        t.key: (t.idempotency_key, t.content, t.comments, t.status, t.resolution)
        for t in local_tickets(config)
    }
