"""Histories of report emails replayed twice, once with row digests and once making every
sighting (``ingest.rows_mark`` None), for comparing what the two leave (from the review of
the row digests)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge import ingest, pipeline
from dirsync_bridge.config.settings import Config, load_config

from ..reportgen import id_report_email
from .conftest import local_store

T0 = datetime(2021, 3, 1, 6, tzinfo=UTC)
PROBLEM_DIGEST_COLUMNS = (
    "rows_digest",
    "last_core",
    "last_holders",
    "last_details",
    "last_texts",
    "listed_in",
)
"""The problems' columns only the digested path writes (migrations 0009 and 0010), last."""
DIGEST_COLUMNS = (*PROBLEM_DIGEST_COLUMNS, "listing")

Row = tuple[str, str, str]  # identity, object id, message


email = id_report_email
"""A report email with Identity, Object ID and Error Description columns."""


def config(folder: Path, extra: str = "") -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(
        f'[state]\npath = "{folder / "state" / "state.db"}"\n'
        "[tickets]\nresolve_after_reports = 2\n"
        '[tenants]\ndefault = "Contoso"\n'
        '[tenants.aliases]\nContoso = ["Contoso Ltd", "contoso.onmicrosoft.com"]\n' + extra
    )
    return load_config(path)


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but wall-clock stamps (this year's) and the digest columns."""
    now = str(datetime.now(UTC).year)
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in tables:
            if table in ("store_pairing", "local_store"):
                continue
            cursor = conn.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cursor.description]
            keep = [n for n, name in enumerate(names) if name not in DIGEST_COLUMNS]
            out[table] = sorted(
                (tuple(row[n] for n in keep if not str(row[n]).startswith(now)) for row in cursor),
                key=repr,
            )
        return out
    finally:
        conn.close()


@dataclass
class Step:
    """One thing that happens: a report read (day, tenant spelling, rows, enrich), or a
    person resolving/reopening the n-th ticket (by key order)."""

    day: int = 0
    tenant: str = "Contoso"
    rows: Sequence[Row] = ()
    enrich: bool = True
    person: tuple[str, int] | None = None
    msgid: str = ""
    export: Sequence[tuple[str, str, str]] = ()
    """A csexport file of these (object id, UPN, conflicting value) instead of an email."""
    holders: int | None = None
    """With enrich: a directory is looked up (``MemoryDirectory``), holding variant n."""


@dataclass
class Outcome:
    tables: dict[str, dict[str, list[tuple[Any, ...]]]] = field(default_factory=dict)
    made: int = 0


HOLDINGS = [
    {},
    {"u1@contoso.com": ["h1@contoso.com"], "smtp:u1@contoso.com": ["h1@contoso.com"]},
    {
        "u1@contoso.com": ["h2@contoso.com"],
        "q1@contoso.com": ["h3@contoso.com"],
        "u2@contoso.com": ["h1@contoso.com"],
    },
]


def _replay(path: Path, cfg: Config, step: Step) -> None:
    if step.holders is None or not step.enrich:
        pipeline.replay([path], cfg, env={}, enrich=step.enrich)
        return
    from dirsync_bridge import bootstrap
    from dirsync_bridge.enrich.enricher import Enricher

    from ..fakes import MemoryDirectory, cloud_user

    holding = {
        value: [cloud_user(value, upn) for upn in upns]
        for value, upns in HOLDINGS[step.holders % len(HOLDINGS)].items()
    }
    real = bootstrap.enricher_for
    bootstrap.enricher_for = lambda *_a, **_k: Enricher([MemoryDirectory(holding=holding)])
    try:
        pipeline.replay([path], cfg, env={}, enrich=True)
    finally:
        bootstrap.enricher_for = real


def _person(cfg: Config, step: Step) -> None:
    """A person resolves (or reopens) the n-th ticket at noon of the step's day: what
    ``ticket_sync`` records when it finds that in the sink."""
    from dirsync_bridge import bootstrap
    from dirsync_bridge.ledger.store import Ledger
    from dirsync_bridge.lifecycle import REOPENED

    assert step.person is not None
    status, index = step.person
    path = cfg.state.path
    if not path.exists():
        return
    ledger = Ledger.open(path)
    try:
        ledger.use_rules(bootstrap.policy(cfg))
        tickets = ledger.conn.execute(
            "SELECT fingerprint, episode, key, status FROM tickets ORDER BY fingerprint, episode"
        ).fetchall()
        if not tickets:
            return
        fp, episode, key, current = tickets[index % len(tickets)]
        if current == status:
            return
        name = "Done" if status == "resolved" else REOPENED
        # At noon, or (an odd index) at the very time of that day's reports.
        at = T0 + timedelta(days=step.day, hours=0 if index % 2 else 12)
        ledger.record_resolution(fp, episode, name, at)
    finally:
        ledger.close()
    with local_store(cfg) as store:
        store.set_status(key, status)  # type: ignore[arg-type]


def play(
    folder: Path, steps: Iterable[Step], extra: str = "", mail: Path | None = None
) -> dict[str, Any]:
    cfg = config(folder, extra)
    mail = mail or folder.parent / "mail"
    mail.mkdir(exist_ok=True)
    for n, step in enumerate(steps):
        if step.person is not None:
            _person(cfg, step)
            continue
        at = T0 + timedelta(days=step.day)
        if step.export:
            from ..exportgen import csexport

            path = mail / f"{n}.xml"
            path.write_bytes(csexport(step.export, at))
            os.utime(path, (at.timestamp(), at.timestamp()))  # its key names its mtime
            _replay(path, cfg, step)
            continue
        path = mail / f"{n}.eml"
        path.write_bytes(email(step.tenant, at, step.rows, step.msgid or f"m{n}-{step.day}@x"))
        _replay(path, cfg, step)
    state = folder / "state"
    return {db.name: dump(db) for db in sorted(state.glob("*.db"))}


def both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, steps: Sequence[Step], extra: str = ""):
    """(every-sighting tables, digested tables)."""
    with monkeypatch.context() as m:
        m.setattr(ingest, "rows_mark", lambda _enricher: None)
        every = play(tmp_path / "every", steps, extra)
    digested = play(tmp_path / "digested", steps, extra)
    return every, digested


def diff(every: dict[str, Any], digested: dict[str, Any]) -> str:
    lines = []
    for db in sorted(set(every) | set(digested)):
        for table in sorted(set(every.get(db, {})) | set(digested.get(db, {}))):
            a, b = every.get(db, {}).get(table, []), digested.get(db, {}).get(table, [])
            if a != b:
                lines.append(f"{db}:{table}")
                for row in sorted(set(map(repr, a)) - set(map(repr, b)))[:5]:
                    lines.append(f"  every only:    {row[:400]}")
                for row in sorted(set(map(repr, b)) - set(map(repr, a)))[:5]:
                    lines.append(f"  digested only: {row[:400]}")
    return "\n".join(lines)


def phased(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    phases: list[tuple[str, list[Step]]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(every-sighting tables, digested tables) after the phases, each (extra config,
    steps) played on the same state; every step's message id is unique."""
    out = []
    for every in (True, False):
        folder = tmp_path / ("every" if every else "digested")
        mail = tmp_path / "mail"  # the same paths on both (sources are recorded)
        tables: dict[str, Any] = {}
        n = 0
        for extra, steps in phases:
            named = []
            for step in steps:
                n += 1
                if not step.msgid and step.person is None and not step.export:
                    step = Step(**{**step.__dict__, "msgid": f"p{n}-{step.day}@x"})
                named.append(step)
            sub = mail / str(n)
            sub.mkdir(parents=True, exist_ok=True)
            with monkeypatch.context() as m:
                if every:
                    m.setattr(ingest, "rows_mark", lambda _enricher: None)
                tables = play(folder, named, extra, mail=sub)
        out.append(tables)
    return out[0], out[1]


CRASHING_MAIN = """
import os, sys
from dirsync_bridge import ingest
if sys.argv[1] == "every":
    ingest.rows_mark = lambda _enricher: None
kill = os.environ.get("TEST_KILL_IN")
if kill:  # SIGKILL inside record_report's transaction: <method>:<n>, once its n-th call returns
    from dirsync_bridge.ledger import handover, identities, joining, states, touches
    name, n = kill.split(":")
    owner = next(
        c for c in (touches.TouchLedger, states.StateLedger, identities.IdentityLedger,
                    handover.TicketHandover, joining.TenantJoinLedger)
        if name in vars(c)
    )
    real, calls = getattr(owner, name), [0]
    def dying(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        calls[0] += 1
        if calls[0] == int(n):
            os.kill(os.getpid(), 9)
        return out
    setattr(owner, name, dying)
sys.argv = ["dirsync-bridge", *sys.argv[2:]]
from dirsync_bridge.__main__ import main
main()
"""
"""``dirsync-bridge`` in a process of its own, every sighting made (``every``) or digested."""


def replay_cli(mode: str, cfg: Path, files: list[Path], crash: str | None = None) -> int:
    """``replay`` of ``files`` (``mode``: every or digested), crashing at ``crash``: a crash
    point (``name:n``, ``DIRSYNC_BRIDGE_CRASH_AT``) or ``in:<ledger method>:<n>`` (SIGKILL
    inside the report's transaction). Its exit code; never a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
    if crash and crash.startswith("in:"):
        env["TEST_KILL_IN"] = crash.partition(":")[2]
    elif crash:
        env["DIRSYNC_BRIDGE_CRASH_AT"] = crash
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CRASHING_MAIN,
            mode,
            "--config",
            str(cfg),
            "replay",
            *map(str, files),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode
