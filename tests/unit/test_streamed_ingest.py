"""A large report is ingested a chunk of problems at a time: the same records as all at once.

``problem_rows.listed_in_chunks`` makes a report's sightings a chunk at a time, and
``Ledger.record_report`` records them a chunk at a time (one transaction still); with tiny
chunks, every table of the ledger and the local store must hold exactly what the whole-list
path wrote.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge import bootstrap, memory, pipeline, problem_rows
from dirsync_bridge.config.settings import Config, load_config
from dirsync_bridge.ledger import store
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.lifecycle import Policy
from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import read_message
from dirsync_bridge.parse.parsed_report import ParsedReport
from dirsync_bridge.ports import Outcome, RawMessage
from dirsync_bridge.problem import Details, Problem, Sighting, sightings
from dirsync_bridge.problem_rows import Listed, listed_in_chunks
from dirsync_bridge.run_summary import RunSummary

from ..conftest import REPORTS, ROOT
from ..reportgen import LARGE, duplicate, id_report_email, quarantine, report_email

T0 = datetime(2021, 3, 1, 6, tzinfo=UTC)


def _rows(day: int, count: int = 60) -> list[tuple[str, str]]:
    """Rows whose problems repeat far apart (a user's duplicate Mail, then much later its
    ProxyAddresses), some without an identity; problems come and go from day to day."""
    rows = []
    for n in range(count):
        user = (n * 7 + day) % 19
        if n % 11 == day % 3:
            continue  # absent today
        message = (
            duplicate("Mail", f"u{user}@contoso.com"),
            duplicate("ProxyAddresses", f"smtp:u{user}@contoso.com", f"SMTP:x{n % 3}@c.com"),
            LARGE,
            quarantine("UserPrincipalName", f"q{n % 5}@contoso.com"),
        )[(n + day) % 4]
        rows.append(("" if n % 9 == 4 else f"u{user}@contoso.com", message))
    return rows


def _email(day: int, count: int = 60) -> bytes:
    return report_email("Contoso", T0 + timedelta(days=day), _rows(day, count), f"r{day}@x.com")


def sightings_in_chunks(
    parsed: ParsedReport,
    key: str,
    chunk: int | None = None,
    identities: dict[str, str] | None = None,
) -> Iterator[list[Sighting]]:
    """Every sighting of the report, made ``chunk`` problems at a time (``listed_in_chunks``
    with every problem asked for)."""
    for listed in listed_in_chunks(parsed, key, chunk, identities):
        found = listed.make(list(listed.digests))
        if found:
            yield found


def _parsed(raw: bytes, source: str = "r.eml") -> ParsedReport:
    parsed = read_message(raw, source)
    assert isinstance(parsed, ParsedReport)
    return parsed


@pytest.mark.parametrize("chunk", [1, 2, 7, 500])
def test_sightings_in_chunks_are_the_sightings_of_the_whole_report(chunk: int) -> None:
    parsed = _parsed(_email(0))
    whole = sightings(parsed.report(), "k")
    assert len(whole) < len(parsed.rows)  # some problems have several rows, far apart
    chunks = list(sightings_in_chunks(parsed, "k", chunk))
    assert [s for c in chunks for s in c] == whole
    assert all(len(c) <= chunk for c in chunks)


@pytest.mark.parametrize("eml", sorted(REPORTS.glob("*.eml")), ids=lambda p: p.stem)
def test_every_fixture_in_chunks_of_one_problem_has_the_sightings_of_the_whole(
    eml: Path, fixture_config: Config
) -> None:
    found = read_message(eml.read_bytes(), str(eml.relative_to(ROOT)), fixture_config.trust)
    if not isinstance(found, ParsedReport):
        return
    chunked = [s for c in sightings_in_chunks(found, "k", 1) for s in c]
    assert chunked == sightings(found.report(), "k")


def counting_sightings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of sightings made by each call, as the ledger asks for them."""
    made: list[int] = []
    real = problem_rows.sightings

    def counting(*args: Any) -> list[Sighting]:
        out = real(*args)
        made.append(len(out))
        return out

    monkeypatch.setattr(problem_rows, "sightings", counting)
    return made


def test_the_pipeline_makes_a_chunk_of_sightings_ahead_of_the_ledger_at_most(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(problem_rows, "CHUNK", 4)
    made = counting_sightings(monkeypatch)
    ahead: list[int] = []
    record = Ledger.record_report

    def watching(self: Ledger, *args: Any) -> bool:
        found: Iterable[Sighting | Listed] = args[5]

        def consumed() -> Iterator[Sighting | Listed]:
            seen = 0  # the problems handed to the ledger so far
            for item in found:
                seen += 1 if isinstance(item, Sighting) else len(item.digests)
                ahead.append(sum(made) - seen)
                yield item

        return record(self, *args[:5], consumed(), *args[6:])

    monkeypatch.setattr(Ledger, "record_report", watching)
    config = _config(tmp_path)
    (tmp_path / "r.eml").write_bytes(_email(0))
    pipeline.replay([tmp_path / "r.eml"], config, env={})
    assert len(made) > 3 and ahead
    assert max(ahead) < 4


def test_a_known_report_in_other_bytes_makes_no_sightings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    (tmp_path / "a.eml").write_bytes(_email(0))
    pipeline.replay([tmp_path / "a.eml"], config, env={})
    made: list[int] = []
    monkeypatch.setattr(problem_rows, "sightings", lambda *a: made.append(1) or [])
    (tmp_path / "b.eml").write_bytes(b"X-Hop: again\n" + _email(0))
    summary = pipeline.replay([tmp_path / "b.eml"], config, env={})
    assert summary.already_seen == 1 and not made


class _LettingGo:
    """A source that reads each message only when asked for the next, and holds none of
    its own while it reads (``FileSource`` holds the last one: see the report of m12)."""

    def __init__(self, mail: Path) -> None:
        self.mail = mail
        self.held: list[int] = []

    def messages(self, summary: RunSummary) -> Iterator[RawMessage]:
        for path in sorted(self.mail.iterdir()):
            self.held.append(sum(isinstance(o, RawMessage) for o in gc.get_objects()))
            item = RawMessage(source=path.name, data=path.read_bytes())
            yield item
            del item

    def read(self, message: RawMessage | Report, outcome: Outcome) -> None:
        pass

    def finish(self, summary: RunSummary) -> None:
        pass


def test_no_message_is_held_by_the_pass_while_the_next_is_read(tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    for day in range(3):
        (mail / f"{day}.eml").write_bytes(_email(day))
    source = _LettingGo(mail)
    with bootstrap.build(_config(tmp_path), {}, dry_run=False) as parts:
        summary = pipeline.run_pass(source, parts)
    assert summary.parsed == 3
    assert source.held == [0, 0, 0]


def test_memory_is_given_back_after_each_large_message_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "0.eml").write_bytes(_email(0, 10))
    (mail / "1.eml").write_bytes(_email(1, 80))
    (mail / "2.eml").write_bytes(_email(2, 80))
    monkeypatch.setattr(pipeline, "TRIM_AFTER_BYTES", len(_email(1, 80)) - 1)
    trims: list[int] = []
    monkeypatch.setattr(memory, "_TRIM", trims.append)
    options: list[tuple[int, int]] = []
    monkeypatch.setattr(memory, "_MALLOPT", lambda *option: options.append(option))
    pipeline.replay([mail], _config(tmp_path), env={})
    assert trims == [0, 0]
    assert options == [(-3, 1024 * 1024)]  # large blocks mapped apart, as the pass begins


def test_parse_gives_memory_back_after_each_large_report_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Three 25 MiB reports in one ``parse --format json`` peaked at 4.7-5.5x a report (over
    the base) without it; 3.5x with it (``bench/memory_bench.py``)."""
    from click.testing import CliRunner

    from dirsync_bridge.cli import cli, parse_command

    mail = tmp_path / "mail"
    mail.mkdir()
    for day, rows in enumerate((10, 80, 80)):
        (mail / f"{day}.eml").write_bytes(_email(day, rows))
    monkeypatch.setattr(parse_command, "LARGE_ROWS", 50)
    trims: list[int] = []
    monkeypatch.setattr(memory, "_TRIM", trims.append)
    options: list[tuple[int, int]] = []
    monkeypatch.setattr(memory, "_MALLOPT", lambda *option: options.append(option))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    done = CliRunner().invoke(cli, ["parse", "--format", "json", str(mail)])
    assert done.exit_code == 0, done.output
    assert trims == [0, 0]
    assert options == [(-3, 1024 * 1024)]


# ---------------------------------------------------------------------------------------------
# The ledger: chunks recorded in one transaction, exactly as the whole list was


def _sighting(fp: str, report: str, at: datetime, kind: int) -> Sighting:
    return Sighting(
        problem=Problem(
            fingerprint=fp, tenant="T", family="duplicate", identity=f"{fp}@x.com", object_key=fp
        ),
        report_key=report,
        at=at,
        details=Details(kinds=("AttributeValueMustBeUnique",), invalid_attributes=(f"attr{kind}",)),
        messages=(f"m{kind}",),
        tracking_ids=(),
        source=f"{report}.eml",
        subject=None,
    )


# Reports (day, problems listed, details variant); days 5 and 1 come late, out of order.
HISTORY = [
    (0, range(0, 30), 0),
    (2, range(5, 40), 0),
    (3, range(5, 40), 1),
    (4, range(20, 25), 1),
    (6, range(0, 12), 1),
    (5, range(10, 50), 0),
    (1, range(0, 45), 1),
    (7, range(30, 35), 0),
]


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, but wall-clock stamps (when a row was written: they differ
    between two runs, and the rest may not)."""
    now = str(datetime.now(UTC).year)
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            table: sorted(
                (
                    tuple(v for v in row if not str(v).startswith(now))
                    for row in conn.execute(f"SELECT * FROM {table}")
                ),
                key=repr,
            )
            for table in tables
        }
    finally:
        conn.close()


def _ledger_after_history(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    ledger = Ledger.open(path)
    ledger.use_rules(
        Policy(resolve_after_reports=2, reopen_within=timedelta(days=3), never_reopen=frozenset())
    )
    for day, listed, kind in HISTORY:
        at, report = T0 + timedelta(days=day), f"<r{day}>"
        found = (_sighting(f"fp{n:03}", report, at, (kind + n) % 3) for n in listed)
        assert ledger.record_report(f"<m{day}>", report, "T", at, f"{day}.eml", found)
    ledger.close()
    dumped = _dump(path)
    dumped.pop("local_store")  # the local store's random id
    return dumped


def test_the_ledger_records_chunks_exactly_as_the_whole_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    whole = _ledger_after_history(tmp_path / "whole.db")
    monkeypatch.setattr(store, "CHUNK", 3)
    chunked = _ledger_after_history(tmp_path / "chunked.db")
    assert chunked == whole
    assert whole["problems"] and whole["history"]


# ---------------------------------------------------------------------------------------------
# The whole pipeline: replays into the local store, chunked and not


def _config(tmp_path: Path) -> Config:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "config.toml"
    path.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    return load_config(path)


def _mail(folder: Path, emails: Iterable[bytes]) -> Path:
    """A mail folder holding each day's email as ``{day}.eml``."""
    folder.mkdir()
    for day, raw in enumerate(emails):
        (folder / f"{day}.eml").write_bytes(raw)
    return folder


def _replayed(
    mail: Path, state: Path, days: Iterable[int]
) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Every table of the state's databases after replaying the days' emails in this order."""
    config = _config(state)
    for day in days:
        pipeline.replay([mail / f"{day}.eml"], config, env={})
    dumps = {db.name: _dump(db) for db in sorted((state / "state").glob("*.db"))}
    for tables in dumps.values():
        # The random id pairing a ledger with its store.
        tables.pop("store_pairing", None)
        tables.pop("local_store", None)
    return dumps


def test_a_replay_in_chunks_records_and_writes_exactly_what_it_did_whole(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mail = _mail(tmp_path / "mail", (_email(day, 80) for day in range(6)))
    late = (0, 2, 3, 1, 5, 4)  # 1 and 4 arrive late
    whole = _replayed(mail, tmp_path / "whole", late)
    monkeypatch.setattr(problem_rows, "CHUNK", 3)
    monkeypatch.setattr(store, "CHUNK", 2)
    chunked = _replayed(mail, tmp_path / "chunked", late)
    assert whole["state.db"]["problems"] and whole["state.db"]["local_tickets"]
    assert chunked == whole


# ---------------------------------------------------------------------------------------------
# Object ids: a row that names its object by the id alone is its identity's problem, in
# chunks as in the whole list (design.md section 9)


def _id_rows(day: int) -> list[tuple[str, str, str]]:
    """(identity, object id, message): some users' rows name them by the id alone, far from
    the rows that name them by both."""
    rows = []
    for n in range(40):
        user = (n * 3 + day) % 13
        identity = "" if n % 4 == 1 else f"u{user}@contoso.com"
        message = (LARGE, duplicate("Mail", f"u{user}@contoso.com"))[n % 2]
        if not identity:  # what only these rows say of the problem
            message = duplicate("ProxyAddresses", f"smtp:u{user}@contoso.com")
        rows.append((identity, f"OID{user}==", message))
    return rows


def _id_email(day: int) -> bytes:
    return id_report_email("Contoso", T0 + timedelta(days=day), _id_rows(day), f"i{day}@x.com")


@pytest.mark.parametrize("chunk", [1, 3, 500])
def test_sightings_in_chunks_name_an_object_by_the_identity_the_ledger_knows(chunk: int) -> None:
    parsed = _parsed(_id_email(0))
    known = {f"OID{user}==": f"u{user}@contoso.com" for user in range(13)}
    whole = sightings(parsed.report(), "k", known)
    assert len(whole) < len(sightings(parsed.report(), "k"))  # the ids merged some
    chunks = list(sightings_in_chunks(parsed, "k", chunk, known))
    assert [s for c in chunks for s in c] == whole


def test_a_replay_with_object_ids_in_chunks_records_exactly_what_it_did_whole(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mail = _mail(tmp_path / "mail", (_id_email(day) for day in range(3)))
    late = (0, 2, 1)  # 1 arrives late
    whole = _replayed(mail, tmp_path / "whole", late)
    monkeypatch.setattr(problem_rows, "CHUNK", 2)
    monkeypatch.setattr(store, "CHUNK", 3)
    chunked = _replayed(mail, tmp_path / "chunked", late)
    assert whole["state.db"]["identity_pairs"]
    assert chunked == whole


def test_a_reports_object_ids_are_read_from_its_rows_without_making_its_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(problem_rows, "CHUNK", 4)
    passes: list[int] = []
    real = ParsedReport.errors

    def counting(self: ParsedReport) -> Iterator[Any]:
        passes.append(1)
        return real(self)

    monkeypatch.setattr(ParsedReport, "errors", counting)
    config = _config(tmp_path)
    (tmp_path / "ids.eml").write_bytes(_id_email(0))
    pipeline.replay([tmp_path / "ids.eml"], config, env={})
    # The problems named from the rows' plain data; their errors made a chunk's rows at a time.
    assert not passes
    parsed = _parsed(_id_email(0))
    errors = parsed.report().errors
    assert list(parsed.object_ids()) == [(e.object_id, e.identity) for e in errors]
    ledger = Ledger.open(config.state.path)
    try:
        assert ledger.identities("Contoso", ["OID1=="]) == {"OID1==": "u1@contoso.com"}
    finally:
        ledger.close()
