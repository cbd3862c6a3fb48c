"""(m) The replay's bounds from below: the least ledger work an incremental lifecycle must do
for each message, in plain ``sqlite3``, with one transaction a message (``minimal_ledger``)
or one a batch of messages (``batched_ledger``), and how many ticket renders a design that
coalesces a batch's changes into one write per ticket still makes (``changed_per_batch``).

Issue 12 allows "one transaction per message ... or per batch of messages where that is
safe": these say whether batching could bring a design under its 1.3x of the floor.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

START = datetime(2016, 1, 1, 6, tzinfo=UTC)
RESOLVE_AFTER = 3
"""Absences after which the minimal lifecycle resolves a problem."""

_MINIMAL_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS reports (key TEXT PRIMARY KEY, tenant TEXT, at TEXT)",
    "CREATE TABLE IF NOT EXISTS states (key TEXT PRIMARY KEY, tenant TEXT, status TEXT, "
    "details TEXT, first_at TEXT, last_at TEXT, seen INTEGER, absent INTEGER, episode INTEGER)",
    "CREATE INDEX IF NOT EXISTS states_open ON states (tenant, status, last_at)",
    "CREATE TABLE IF NOT EXISTS history (problem TEXT, report TEXT, details TEXT, "
    "PRIMARY KEY (problem, report)) WITHOUT ROWID",
)


BATCHES = (1, 50, 1_000)
"""Messages a transaction in the batched bounds: 1 (``minimal_ledger``'s work, on the reports
parsed once: the batching's gain is read against it), 50, and all 1,000 (one a pass)."""


def _listing(result: Report) -> tuple[str, str, dict[str, str]]:
    """A report's tenant, time and listed problems (key -> details), as the minimal
    lifecycle keys them."""
    tenant = result.tenant or ""
    at = (result.sync_completed_at or result.sent_at or START).isoformat()
    listed = {
        f"{tenant}\0{e.kind}\0{e.identity}\0{e.invalid_attribute}": e.message for e in result.errors
    }
    return tenant, at, listed


def _open(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in _MINIMAL_SCHEMA:
        conn.execute(statement)
    return conn


def _record(conn: sqlite3.Connection, result: Report, resolve_after: int) -> None:
    """One message's least ledger work, inside the caller's transaction: the report row;
    one SELECT of its listed problems' states by key; one executemany upsert of their new
    states (new, changed, reopened or only seen again, each told apart in Python); one
    set-based UPDATE of the tenant's open problems it does not list (an absence more,
    resolved at ``resolve_after``); one executemany of their history rows."""
    tenant, at, listed = _listing(result)
    conn.execute("INSERT OR REPLACE INTO reports VALUES (?, ?, ?)", (result.message_id, tenant, at))
    marks = ",".join("?" * len(listed))
    known = {
        key: (status, details)
        for key, status, details in conn.execute(
            f"SELECT key, status, details FROM states WHERE key IN ({marks})", list(listed)
        )
    }
    states = []
    for key, details in listed.items():
        status, before = known.get(key, (None, None))
        # New: episode 0; resolved: a new episode; changed: the details move on.
        states.append((key, tenant, details, at, int(status == "resolved"), before != details))
    conn.executemany(
        "INSERT INTO states VALUES (?1, ?2, 'open', ?3, ?4, ?4, 1, 0, 0) "
        "ON CONFLICT (key) DO UPDATE SET status = 'open', details = ?3, last_at = ?4, "
        "seen = seen + 1, absent = 0, episode = episode + ?5, "
        "first_at = CASE WHEN ?5 THEN ?4 ELSE first_at END",
        [row[:5] for row in states],
    )
    conn.execute(
        "UPDATE states SET absent = absent + 1, status = CASE WHEN absent + 1 >= ?3 "
        "THEN 'resolved' ELSE status END WHERE tenant = ?1 AND status = 'open' "
        "AND last_at < ?2",
        (tenant, at, resolve_after),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO history VALUES (?, ?, ?)",
        [(key, result.message_id, details) for key, details in listed.items()],
    )


def minimal_ledger(paths: list[Path], db: Path, resolve_after: int = RESOLVE_AFTER) -> float:
    """Parse each message, then its least ledger work (``_record``) in one transaction:
    CPU, the parse included.

    No tickets are stored and no comment planned: what it leaves out, a real lifecycle must
    still do, so this is a bound from below, not a design."""
    conn = _open(db)
    start = time.process_time()
    for path in paths:
        result = parse_message(path.read_bytes(), path.name)
        assert isinstance(result, Report)
        conn.execute("BEGIN IMMEDIATE")
        _record(conn, result, resolve_after)
        conn.execute("COMMIT")
    cpu = time.process_time() - start
    conn.close()
    return cpu


def parsed(paths: list[Path]) -> tuple[list[Report], float]:
    """Each message parsed, in order, and the CPU that took (the parse alone)."""
    reports = []
    start = time.process_time()
    for path in paths:
        result = parse_message(path.read_bytes(), path.name)
        assert isinstance(result, Report)
        reports.append(result)
    return reports, time.process_time() - start


def batched_ledger(
    reports: list[Report], db: Path, batch: int, resolve_after: int = RESOLVE_AFTER
) -> float:
    """The same least ledger work as ``minimal_ledger`` on already parsed reports, with one
    transaction a batch of ``batch`` messages: CPU, the parse left out (``parsed``).

    Each message keeps its own statements: its absences and history rows are its own, and
    its listed problems' states are read after the previous message's upsert."""
    conn = _open(db)
    start = time.process_time()
    for first in range(0, len(reports), batch):
        conn.execute("BEGIN IMMEDIATE")
        for result in reports[first : first + batch]:
            _record(conn, result, resolve_after)
        conn.execute("COMMIT")
    cpu = time.process_time() - start
    conn.close()
    return cpu


def changed_per_batch(reports: list[Report], batch: int, resolve_after: int = RESOLVE_AFTER) -> int:
    """The ticket changes left once a batch's changes to a problem are one: the (batch,
    problem) pairs in which the minimal lifecycle (``_record``'s rules, in Python) opens,
    changes, reopens or resolves the problem. With ``batch`` 1: every change, one a message."""
    # key -> [tenant, status, details, last_at, absent]
    states: dict[str, list[str | int]] = {}
    pairs = 0
    for first in range(0, len(reports), batch):
        changed: set[str] = set()
        for result in reports[first : first + batch]:
            tenant, at, listed = _listing(result)
            for key, details in listed.items():
                state = states.get(key)
                if state is None or state[1] == "resolved" or state[2] != details:
                    changed.add(key)
                states[key] = [tenant, "open", details, at, 0]
            for key, state in states.items():
                if state[0] == tenant and state[1] == "open" and str(state[3]) < at:
                    state[4] = int(state[4]) + 1
                    if int(state[4]) >= resolve_after:
                        state[1] = "resolved"
                        changed.add(key)
        pairs += len(changed)
    return pairs


def batched_lines(
    count: int,
    floor: float,
    parse: float,
    rendering: tuple[float, int, float],
    changes: dict[int, int],
    batched: dict[int, list[float]],
) -> None:
    """Print ``minimal_ledger``'s bound with one transaction a batch of messages, for each
    batch size but 1, in two variants: rendering as ours does, measured (``rendering``: its
    CPU, the templates rendered, and the CPU of one ticket's summary and description), or
    once a batch for each changed problem's last state, a design coalescing a batch's
    changes into one write a ticket: ``changed_per_batch`` ticket texts at what one cost in
    ours (an estimate: no comment rendered). No target."""
    render, renders, text = rendering
    single = min(batched[1])
    for size in BATCHES[1:]:
        ledger = min(batched[size])
        what = (
            f"replay {count:,} reports, parse plus the same least ledger work with one "
            f"transaction a batch of {size:,} messages"
        )
        parts = (
            f"parse {parse:.2f} + ledger {ledger:.2f} s (at one transaction a message, on the "
            f"same parsed reports: {single:.2f} s)"
        )
        each = parse + ledger + render
        print(
            f"{what}, rendering each change as ours does ({renders:,} templates, measured): "
            f"{parts} + render {render:.2f} s = {each:.2f} s vs floor {floor:.2f} s, "
            f"ratio {each / floor:.2f} (no target)"
        )
        once = changes[size] * text
        total = parse + ledger + once
        print(
            f"{what}, rendering once a batch each changed problem's last state (an estimate: "
            f"{changes[size]:,} ticket texts, of {changes[1]:,} changes at one a message, at "
            f"{text * 1e3:.3f} ms each as in ours): {parts} + render {once:.2f} s = "
            f"{total:.2f} s vs floor {floor:.2f} s, ratio {total / floor:.2f} (no target)"
        )
