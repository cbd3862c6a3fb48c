"""(l) Scale: a tenant with 50,000 open problems and a year of daily history; (m) the
replay of 1,000 reports against its floor, with statements and commits per message.

How the scenario is built (fast, through the project's own code where it matters):

- report #1 (50,000 rows) is parsed and recorded by ``pipeline.ingest``: the real parser,
  ``Ledger.record_report`` and the lifecycle states. Its 50,000 tickets are not rendered
  and created one batch at a time (that is minutes of Jinja and store writes, measured by
  (c) and (d)): they are put in the local store by ``LocalStore.restore`` with a short
  text, recorded in the ledger by ``Ledger.done_many`` (what was written, the ticket
  facts), the store paired (``pair_store``) and the flags cleared, in one transaction each;
- reports #2 and #3 go through a whole pass (``run_pass``), each a parse of 50,000 rows;
- reports #4 to #364 are written straight into the ledger in SQL, a statement or two a day:
  the report row (with report #3's digest of its rows), and its history rows copied from
  report #3 (the same problems, unchanged, as a daily report of a stable tenant reads); then
  the problems' and tickets' counters (last seen, occurrences) and the identity pairs' times
  are set as 361 touches would have left them;
- the measured reports are whole passes, in process, on the built ledger: #3 (all 50,000,
  unchanged), #365 (the same, a year on), #366 (all but one: every problem is named from its
  rows, as when any row of the report changed; no target) and #367 (10 of them).

Figures are CPU seconds of this process (``time.process_time``), each measured pass the best
of 3 (each on a copy of the ledger as it was before it), the parse side by side (best of 3,
same process): the machine is shared, and CPU time is what load from other
processes changes least. Wall time is printed alongside.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.corpus import backlog, big_report_email
from bench.replay_bound import (
    BATCHES,
    batched_ledger,
    batched_lines,
    changed_per_batch,
    minimal_ledger,
    parsed,
)
from dirsync_bridge import bootstrap
from dirsync_bridge.config.settings import Config
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.pipeline import ingest, run_pass
from dirsync_bridge.ports import Applied, RawMessage, TicketContent, TicketFacts, TicketSnapshot
from dirsync_bridge.run_summary import RunSummary
from dirsync_bridge.sink_values import WriteDone
from dirsync_bridge.sinks.local import LocalStore
from dirsync_bridge.ticket_plan import content_digest
from dirsync_bridge.ticket_text.render import DESCRIPTION, SUMMARY, Renderer

OPEN = 50_000
DAYS = 365
FEW = 10
TRIES = 3
START = datetime(2016, 1, 1, 6, tzinfo=UTC)


def _day(number: int) -> datetime:
    return START + timedelta(days=number - 1)


def _config(folder: Path) -> Config:
    return Config.model_validate({"state": {"path": str(folder / "state.db")}})


def _report(folder: Path, number: int, rows: int = OPEN) -> Path:
    path = folder / f"report-{number:03d}.eml"
    path.write_bytes(big_report_email(rows, at=_day(number)))
    return path


def _pass(config: Config, path: Path) -> tuple[float, float, RunSummary]:
    """One whole pass over one report (the parts opened beforehand): CPU, wall, summary."""
    with bootstrap.build(config, {}, dry_run=False, enrich=False) as parts:
        cpu, wall = time.process_time(), time.perf_counter()
        summary = run_pass(bootstrap.file_source([path], config), parts)
        return time.process_time() - cpu, time.perf_counter() - wall, summary


def _best_pass(config: Config, path: Path, tries: int = TRIES) -> tuple[float, float, RunSummary]:
    """The same pass ``tries`` times, each on a copy of the ledger as it was before the first
    (the files copied aside with no connection open), best CPU and best wall of them; the
    ledger is left as the last try left it. One pass is one sample: a pass of a few seconds
    on a shared machine varied by up to 1.8x between two runs of this bench."""
    state = Path(config.state.path)
    files = sorted(state.parent.glob(state.name + "*"))
    aside = state.parent / "aside"
    aside.mkdir(exist_ok=True)
    for file in files:
        shutil.copyfile(file, aside / file.name)
    samples = []
    for attempt in range(tries):
        if attempt:
            for file in state.parent.glob(state.name + "*"):
                file.unlink()
            for file in files:
                shutil.copyfile(aside / file.name, file)
        samples.append(_pass(config, path))
    shutil.rmtree(aside)
    cpu, wall = min(s[0] for s in samples), min(s[1] for s in samples)
    return cpu, wall, samples[-1][2]


def _parse_cpu(path: Path) -> float:
    raw = path.read_bytes()
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        result = parse_message(raw, path.name)
        best = min(best, time.process_time() - start)
        assert isinstance(result, Report)
    return best


def _first_report(config: Config, path: Path) -> None:
    """Report #1 recorded by ``ingest``; its tickets written straight in (see the docstring)."""
    with bootstrap.build(config, {}, dry_run=False, enrich=False) as parts:
        ledger, store = parts.ledger, parts.sink
        assert isinstance(ledger, Ledger) and isinstance(store, LocalStore)
        summary = RunSummary()
        ingest(RawMessage(path.name, path.read_bytes()), config, ledger, summary)
        assert summary.parsed == 1
        snapshots, done = [], []
        for number, fingerprint in enumerate(ledger.dirty(), 1):
            problem = ledger.problem(fingerprint)
            content = TicketContent(summary=f"{problem.identity}", description="(bench)")
            key, idempotency_key = f"LOCAL-{number}", f"{fingerprint}:0"
            snapshots.append(
                TicketSnapshot(
                    key=key,
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    content=content,
                    status="open",
                )
            )
            applied = Applied(key, idempotency_key, "open", content_digest(content))
            facts = TicketFacts(
                content.summary, problem.family, problem.identity, problem.tenant, _day(1),
                _day(1), 1,
            )  # fmt: skip
            done.append(WriteDone(None, fingerprint, 0, applied, facts))
        store.restore(snapshots, len(snapshots))
        ledger.done_many(done)
        ledger.pair_store(*store.identity())
        with ledger.conn:
            ledger.conn.execute("UPDATE problems SET dirty = 0")
        ledger.mark_processed()


def _fast_forward(config: Config, copied: int, last: int) -> None:
    """Reports #``copied`` + 1 to #``last`` in SQL: the history of report #``copied`` again."""
    conn = sqlite3.connect(config.state.path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA cache_size=-262144")  # 256 MiB: one transaction of 18M rows
    conn.execute("BEGIN IMMEDIATE")
    (template, tenant_key, tenant, source, subject, covers, listing) = conn.execute(
        "SELECT rowid, tenant_key, tenant, source, subject, covers, listing FROM reports "
        "ORDER BY at DESC LIMIT 1"
    ).fetchone()
    stamp = ""
    for number in range(copied + 1, last + 1):
        at = _day(number)
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        key = f"<bench-0-{OPEN}-{at:%Y%m%d%H%M}@microsoftonline.com>"
        report = conn.execute(
            "INSERT INTO reports (key, tenant_key, tenant, at, source, subject, covers, "
            "listing) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, tenant_key, tenant, stamp, source, subject, covers, listing),
        ).lastrowid
        conn.execute(
            "INSERT INTO messages (key, source, status, report_key, recorded_at) "
            "VALUES (?, ?, 'processed', ?, ?)",
            (f"sha256:bench-{number}", source, key, stamp),
        )
        conn.execute(
            "INSERT INTO history (problem, report, details, texts) "
            "SELECT problem, ?, details, texts FROM history WHERE report = ?",
            (report, template),
        )
    more = last - copied
    conn.execute("UPDATE identity_pairs SET learned_at = ?", (at.isoformat(),))
    conn.execute(
        "UPDATE problems SET seen_at = ?1, seen_key = ?2, last_seen = ?1, "
        "occurrences = occurrences + ?3, listed_in = ?4 WHERE status = 'open'",
        (stamp, key, more, report),
    )
    conn.execute(
        "UPDATE tickets SET last_seen = ?, occurrences = occurrences + ? WHERE status = 'open'",
        (stamp, more),
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _line(what: str, ratio: float, target: float, detail: str) -> None:
    verdict = "PASS" if ratio <= target else "MISS"
    print(f"{what}: {detail}, ratio {ratio:.2f} (target <= {target}) {verdict}")


def bench_scale(open_: int = OPEN, days: int = DAYS) -> None:
    """Print the three scale figures (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        folder = Path(tmp)
        config = _config(folder)
        start = time.perf_counter()
        _first_report(config, _report(folder, 1, open_))
        summary = _pass(config, _report(folder, 2, open_))[2]
        assert summary.parsed == 1 and not summary.writes, summary
        cpu3, wall3, summary = _best_pass(config, _report(folder, 3, open_))
        assert summary.parsed == 1 and not summary.writes, summary
        third = _parse_cpu(folder / "report-003.eml")
        _fast_forward(config, 3, days - 1)
        built = time.perf_counter() - start
        size = sum(f.stat().st_size for f in folder.glob("state.db*")) / 1e6
        cpu_all, wall_all, summary = _best_pass(config, _report(folder, days, open_))
        assert summary.parsed == 1 and not summary.writes, summary
        parse_all = _parse_cpu(folder / f"report-{days:03d}.eml")
        cpu_one, wall_one, summary = _best_pass(config, _report(folder, days + 1, open_ - 1))
        assert summary.parsed == 1 and not summary.writes, summary
        parse_one = _parse_cpu(folder / f"report-{days + 1:03d}.eml")
        cpu_few, wall_few, summary = _best_pass(config, _report(folder, days + 2, FEW))
        assert summary.parsed == 1 and not summary.writes, summary
    print(
        f"scale scenario: {open_:,} open problems, {days - 1} daily reports of history, "
        f"built in {built:.0f} s (ledger {size:.0f} MB)"
    )
    _line(
        f"report #{days} listing all {open_:,}, unchanged, vs its parse",
        cpu_all / parse_all,
        2.0,
        f"pass {cpu_all:.2f} s CPU ({wall_all:.2f} s wall), parse {parse_all:.2f} s CPU",
    )
    print(
        f"report #{days + 1} listing all but one of the {open_:,} (each problem named from its "
        f"rows, as when any row changed): pass {cpu_one:.2f} s CPU ({wall_one:.2f} s wall), "
        f"parse {parse_one:.2f} s CPU, ratio {cpu_one / parse_one:.2f} (no target)"
    )
    _line(
        f"report listing {FEW} of the {open_:,}, vs the parse of the {open_:,}-row report",
        cpu_few / parse_all,
        0.5,
        f"pass {cpu_few:.2f} s CPU ({wall_few:.2f} s wall)",
    )
    _line(
        f"report #{days} vs report #3 of the same tenant",
        cpu_all / cpu3,
        1.3,
        f"#{days} {cpu_all:.2f} s CPU ({wall_all:.2f} s wall), #3 {cpu3:.2f} s CPU "
        f"({wall3:.2f} s wall; its parse {third:.2f} s)",
    )


# ---------------------------------------------------------------------------------------------
# (m) the replay of 1,000 reports against "parse plus one transaction per message"


def _floor(paths: list[Path], db: Path) -> float:
    """Parse each message, then one transaction per message (its key and rows): CPU."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, rows TEXT)")
    start = time.process_time()
    for path in paths:
        result = parse_message(path.read_bytes(), path.name)
        assert isinstance(result, Report)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT OR REPLACE INTO seen VALUES (?, ?)",
            (result.message_id, "\n".join(e.identity or "" for e in result.errors)),
        )
        conn.execute("COMMIT")
    cpu = time.process_time() - start
    conn.close()
    return cpu


def _counter(counts: dict[str, int]) -> Callable[[str], None]:
    def trace(statement: str) -> None:
        counts["statements"] += 1
        counts["commits"] += statement.lstrip().upper().startswith("COMMIT")

    return trace


@contextmanager
def _rendering(spent: dict[str, list[float]]) -> Iterator[None]:
    """CPU spent in each ticket template and the times it was rendered, added to
    ``spent[name]`` (``[cpu, times]``): the bench's look inside."""
    original = Renderer._render

    def timed(self: Renderer, name: str, **context: object) -> str:
        start = time.process_time()
        try:
            return original(self, name, **context)
        finally:
            cpu_times = spent.setdefault(name, [0.0, 0])
            cpu_times[0] += time.process_time() - start
            cpu_times[1] += 1

    Renderer._render = timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        Renderer._render = original  # type: ignore[method-assign]


def replay_cpu(mail: Path, state: Path) -> tuple[float, RunSummary]:
    """Replay ``mail`` into a local store at ``state``, as a run does: its CPU and summary.
    Nothing of the bench's is hooked in (``replay_counts`` looks inside, at a cost)."""
    config = _config(state)
    with bootstrap.build(config, {}, dry_run=False, enrich=False) as parts:
        start = time.process_time()
        summary = run_pass(bootstrap.file_source([mail], config), parts)
        return time.process_time() - start, summary


def replay_counts(
    mail: Path, state: Path
) -> tuple[dict[str, int], RunSummary, dict[str, list[float]]]:
    """Replay ``mail`` into a local store at ``state``, looking inside: the statements and
    commits seen by the ledger's connection, which the store shares (a trace callback), the
    summary, and the CPU of rendering the ticket texts alone, by template (``_rendering``)."""
    config = _config(state)
    counts = {"statements": 0, "commits": 0}
    rendering: dict[str, list[float]] = {}
    with bootstrap.build(config, {}, dry_run=False, enrich=False) as parts:
        ledger, store = parts.ledger, parts.sink
        assert isinstance(ledger, Ledger) and isinstance(store, LocalStore)
        trace = _counter(counts)
        # The bench's look inside; the store is kept in the ledger's file, on its connection.
        connections = {id(c): c for c in (ledger.conn, store._conn)}.values()
        for conn in connections:
            conn.set_trace_callback(trace)
        with _rendering(rendering):
            summary = run_pass(bootstrap.file_source([mail], config), parts)
        for conn in connections:
            conn.set_trace_callback(None)
    return counts, summary, rendering


def bench_replay_floor(count: int = 1_000) -> None:
    """Print the replay's CPU against its floor, and its statements and commits a message;
    then the floor plus only the rendering of the replay's ticket texts, a bound under which
    no replay that renders each ticket change with these templates can go.

    The CPU compared is a plain run's: the trace callback and the timed templates that count
    statements and rendering (about 5% more CPU) run in a separate replay. The batched
    bounds (``batched_lines``) work on the messages parsed once, the parse timed apart."""
    with tempfile.TemporaryDirectory(prefix="replay-bench-") as tmp:
        mail = Path(tmp) / "mail"
        backlog(mail, count)
        paths = sorted(mail.iterdir())
        floors, ours, minimal, parses = [], [], [], []
        batched: dict[int, list[float]] = {size: [] for size in BATCHES}
        for run in range(2):
            # Alternating, best of each: load from other processes only ever adds.
            floors.append(_floor(paths, Path(tmp) / f"floor-{run}.db"))
            minimal.append(minimal_ledger(paths, Path(tmp) / f"minimal-{run}.db"))
            cpu, summary = replay_cpu(mail, Path(tmp) / f"state-{run}")
            assert summary.parsed == count, summary
            ours.append(cpu)
            reports, parse = parsed(paths)
            parses.append(parse)
            for size in BATCHES:
                batched[size].append(batched_ledger(reports, Path(tmp) / f"b{size}-{run}.db", size))
        counts, summary, rendering = replay_counts(mail, Path(tmp) / "state-counted")
        assert summary.parsed == count, summary
    floor, mine, least = min(floors), min(ours), min(minimal)
    render = sum(cpu for cpu, _ in rendering.values())
    changes = {size: changed_per_batch(reports, size) for size in BATCHES}
    _line(
        f"replay {count:,} reports, CPU vs parse plus one transaction per message",
        mine / floor,
        1.3,
        f"ours {mine:.2f} s, floor {floor:.2f} s; {counts['statements'] / count:.1f} statements "
        f"and {counts['commits'] / count:.2f} commits a message",
    )
    print(
        f"replay {count:,} reports, its floor plus only rendering its {len(summary.writes):,} "
        f"ticket writes' texts (no ledger, no store): {floor:.2f} + {render:.2f} s, "
        f"ratio {(floor + render) / floor:.2f} (a bound for any replay that renders each "
        f"change; the rest of ours: {mine - floor - render:.2f} s)"
    )
    print(
        f"replay {count:,} reports, its floor plus rendering plus the least ledger work an "
        f"incremental lifecycle must do a message (one SELECT of the listed problems' states, "
        f"one executemany of their new states, one set-based absence UPDATE, one history "
        f"executemany; plain sqlite3, no ticket store): {floor:.2f} + {render:.2f} + "
        f"{least - floor:.2f} s, ratio {(least + render) / floor:.2f} (no target; 1.3 is "
        f"within reach of this design only if this is well under it)"
    )
    # One ticket's text as a coalescing design would render it once a batch: its summary and
    # its description, at what one of each cost in ours.
    summaries, descriptions = rendering.get(SUMMARY, [0.0, 0]), rendering.get(DESCRIPTION, [0.0, 1])
    text = (summaries[0] + descriptions[0]) / max(descriptions[1], 1)
    renders = int(sum(times for _, times in rendering.values()))
    batched_lines(count, floor, min(parses), (render, renders, text), changes, batched)


if __name__ == "__main__":  # python -m bench.scale_bench, from the repository root
    bench_replay_floor()
    bench_scale()
