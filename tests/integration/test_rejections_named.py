"""Every rejection is named by a pass, once, even when the pass that met it was stopped.

Review rev34 (left open): a pass records each rejection in the ledger as it meets it and
names them all only after its output. Stopped in between (SIGKILL, a fault, exit 75), it had
recorded rejections it never named, and the next pass counted those messages already seen:
no pass ever named them. Now the next pass names them (stderr and the JSON summary, exit 1),
marks them named once its output is written, and the pass after names nothing.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.crashpoints import ENV_VAR
from dirsync_bridge.errors import Retriable
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import run

from ..conftest import REPORTS
from ..reportgen import duplicate, report_email
from ..simulators.graph.fixtures import mime_message, tool_settings
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_SECRET, MAILBOX

REJECTED = "a-dmarc-fail.eml"
"""Read first (a walk reads a folder in name order): recorded before the pass is killed."""
GOOD = 12


def _corpus(folder: Path) -> None:
    folder.mkdir()
    (folder / REJECTED).write_bytes((REPORTS / "hostile_dmarc_fail.eml").read_bytes())
    at = datetime(2024, 3, 1, tzinfo=UTC)
    for number in range(GOOD):
        at += timedelta(hours=1)
        rows = [(f"user{number:02d}@contoso.com", duplicate("ProxyAddresses", "SMTP:x@y.com"))]
        name = f"b-{number:02d}.eml"
        (folder / name).write_bytes(report_email("Contoso", at, rows, f"<{name}@named.test>"))


def _replay(
    config_file: Path, corpus: Path, crash: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if crash is not None:
        env[ENV_VAR] = crash
    command = [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file)]
    return subprocess.run(
        [*command, "replay", "--format", "json", str(corpus)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _summary(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def _named(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if "rejected " in line]


def test_a_rejection_recorded_by_a_killed_pass_is_named_by_the_next_once(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')

    # Killed after the rejection and a few reports were recorded, before any output.
    killed = _replay(config_file, corpus, crash="after-ingest:3")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert killed.stdout == ""
    assert _named(killed) == []

    rerun = _replay(config_file, corpus)
    assert rerun.returncode == 1, rerun.stderr
    summary = _summary(rerun)
    assert [r["source"] for r in summary["rejected"]] == [str(corpus / REJECTED)]
    assert summary["rejected"][0]["reason"].startswith("authentication-failed: ")
    assert summary["messages"]["rejected"] == 1
    named = _named(rerun)
    assert len(named) == 1, rerun.stderr
    assert str(corpus / REJECTED) in named[0]
    assert "authentication-failed" in named[0]

    third = _replay(config_file, corpus)
    assert third.returncode == 0, third.stderr
    assert _summary(third)["rejected"] == []
    assert _summary(third)["messages"]["rejected"] == 0
    assert _named(third) == []


def test_a_dry_run_names_an_unnamed_rejection_and_marks_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    assert _replay(config_file, corpus, crash="after-ingest:2").returncode == -signal.SIGKILL

    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    command = [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file)]
    dry = subprocess.run(
        [*command, "replay", "--dry-run", "--format", "json", str(corpus)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert dry.returncode == 1, dry.stderr
    assert [r["source"] for r in _summary(dry)["rejected"]] == [str(corpus / REJECTED)]

    rerun = _replay(config_file, corpus)  # the dry run marked nothing: named here
    assert rerun.returncode == 1, rerun.stderr
    assert [r["source"] for r in _summary(rerun)["rejected"]] == [str(corpus / REJECTED)]
    assert _replay(config_file, corpus).returncode == 0


def test_killed_between_its_output_and_its_mark_a_pass_has_them_named_again(
    tmp_path: Path,
) -> None:
    """Twice, never zero times: the mark is written only once the output is."""
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')

    first = _replay(config_file, corpus, crash="before-named:1")
    assert first.returncode == -signal.SIGKILL, first.stderr
    assert [r["source"] for r in _summary(first)["rejected"]] == [str(corpus / REJECTED)]
    assert len(_named(first)) == 1, first.stderr

    again = _replay(config_file, corpus)
    assert again.returncode == 1, again.stderr
    assert [r["source"] for r in _summary(again)["rejected"]] == [str(corpus / REJECTED)]
    assert _replay(config_file, corpus).returncode == 0


def _as_before_the_upgrade(state: Path) -> None:
    """The ledger as a release before migration 0020 left it: no ``named`` column."""
    conn = sqlite3.connect(state, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("DROP INDEX messages_unnamed")
        conn.execute("ALTER TABLE messages DROP COLUMN named")
        conn.execute("DELETE FROM migrations WHERE name = '0020-rejections-named'")
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_a_ledger_from_before_the_upgrade_names_only_rejections_met_since(tmp_path: Path) -> None:
    """An earlier release named its rejections as it met them (nothing tells which of its
    passes was stopped): they are not named again after the upgrade; those met since are,
    once."""
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    state = tmp_path / "state" / "state.db"
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[state]\npath = "{state}"\n')
    assert _replay(config_file, corpus).returncode == 1
    _as_before_the_upgrade(state)

    upgraded = _replay(config_file, corpus)
    assert upgraded.returncode == 0, upgraded.stderr
    assert _summary(upgraded)["messages"]["already_seen"] == GOOD + 1
    assert _named(upgraded) == []
    ledger = Ledger.open(state)
    try:
        names = {row[0] for row in ledger.conn.execute("SELECT name FROM migrations")}
        assert "0020-rejections-named" in names
        assert ledger.counts() == {"processed": GOOD, "rejected": 1}
        assert list(ledger.unnamed_rejections()) == []
    finally:
        ledger.close()

    later = tmp_path / "later"
    later.mkdir()
    truncated = (REPORTS / "aadconnect_truncated_mime.eml").read_bytes()
    (later / "cut.eml").write_bytes(truncated)
    met = _replay(config_file, later)
    assert met.returncode == 1, met.stderr
    assert len(_named(met)) == 1, met.stderr
    assert [r["source"] for r in _summary(met)["rejected"]] == [str(later / "cut.eml")]
    assert _replay(config_file, later).returncode == 0


def test_a_rejection_met_by_a_run_that_ended_75_is_named_by_the_next_run(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """A mailbox pass stopped by Graph (503 past ``retry_for``: exit 75) after it met a
    message too large: the next pass names it, once, though the mailbox never serves it
    again."""
    now = datetime.now(UTC)
    huge = mime_message(body="x" * 300_000)  # from the report sender, with the report subject
    big = graph_sim.add_message(MAILBOX, "inbox", huge, received=now - timedelta(hours=3))
    rows = [("zoe@contoso.com", duplicate("ProxyAddresses", "SMTP:zoe@contoso.com"))]
    raw = report_email("Contoso", now - timedelta(hours=2), rows, "stuck@named.test")
    stuck = graph_sim.add_message(MAILBOX, "inbox", raw, received=now - timedelta(hours=2))
    graph_sim.faults.path_contains = f"{stuck.immutable_id}/$value"
    graph_sim.faults.rate_503 = 1.0
    graph_sim.faults.retry_after = "0"
    config = Config.model_validate(
        {
            "state": {"path": str(tmp_path / "state" / "state.db")},
            "graph": tool_settings(graph_sim, retry_for="5s"),
            "source": {"mailbox": {"mailbox": MAILBOX}},
            "parse": {"max_message_bytes": 100_000},
        }
    )
    env = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}

    with pytest.raises(Retriable):
        run(config, env=env)
    assert graph_sim.message(big.id).categories == ["dirsync-bridge-rejected"]

    graph_sim.faults.rate_503 = 0.0
    again = run(config, env=env)
    assert again.created == 1
    (named,) = again.problems
    assert named.code == "too-large" and "max_message_bytes (100000)" in named.reason
    assert named.source.endswith(big.immutable_id[-16:])
    # Named, not read by this pass (the mailbox never serves it again): counted apart.
    assert (again.rejected, again.named_for_earlier) == (0, 1)

    quiet = run(config, env=env)
    assert list(quiet.problems) == [] and quiet.rejected == 0


def test_a_rejection_stderr_could_not_take_is_named_by_the_next_pass(tmp_path: Path) -> None:
    """A table-format pass names its rejections on stderr only: stderr that cannot be written
    (a log file on a full disk, here /dev/full) named nothing, so they are not marked named,
    and the next pass names them (review rev39: they were marked, and named by no pass)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / REJECTED).write_bytes((REPORTS / "hostile_dmarc_fail.eml").read_bytes())
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    command = [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file), "replay"]
    with open("/dev/full", "w") as full:  # noqa: PTH123
        lost = subprocess.run(
            [*command, str(corpus)],
            stdout=subprocess.PIPE,
            stderr=full,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    assert lost.returncode == 1, lost.stdout
    assert "1 rejected" in lost.stdout

    again = _replay(config_file, corpus)
    assert again.returncode == 1, again.stderr
    assert [r["source"] for r in _summary(again)["rejected"]] == [str(corpus / REJECTED)]
    named = _named(again)
    assert len(named) == 1 and str(corpus / REJECTED) in named[0], again.stderr


def test_marking_named_never_makes_a_ledger_where_there_is_none_now(tmp_path: Path) -> None:
    """The mark reopens the ledger after the pass closed it: moved away meanwhile (a person
    restoring a backup), none is made in its place, nothing is marked, nothing is said
    wrong: the next pass names them again (review rev39: a new empty ledger was made)."""
    from dirsync_bridge.models import Rejected
    from dirsync_bridge.pipeline import mark_named
    from dirsync_bridge.run_summary import RunSummary

    state = tmp_path / "state"
    config = Config.model_validate({"state": {"path": str(state / "state.db")}})
    summary = RunSummary(problems=[Rejected(source="a.eml", code="empty", detail="no bytes")])
    summary.named_up_to = 1
    mark_named(config, summary)
    assert not state.exists()


def test_a_rejection_met_with_stderr_closed_is_named_by_the_next_pass(tmp_path: Path) -> None:
    """Started with stderr closed (``2>&-``: Python has no sys.stderr), a table-format pass
    names its rejections nowhere: they are not marked named, and the next pass names them
    (review rev40: the handler's failure was no OSError, so they were marked, named by none)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / REJECTED).write_bytes((REPORTS / "hostile_dmarc_fail.eml").read_bytes())
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    command = [sys.executable, "-m", "dirsync_bridge", "--config", str(config_file), "replay"]
    closed = subprocess.run(
        ["/bin/sh", "-c", 'exec "$@" 2>&-', "sh", *command, str(corpus)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert closed.returncode == 1, closed.stdout
    assert "1 rejected" in closed.stdout

    again = _replay(config_file, corpus)
    assert again.returncode == 1, again.stderr
    named = _named(again)
    assert len(named) == 1 and str(corpus / REJECTED) in named[0], again.stderr


def test_a_rejection_named_late_and_read_again_counts_once(tmp_path: Path) -> None:
    """Read again by the pass that names it late, the message was counted twice: rejected
    (named by this pass) and already seen (read again), so "messages: N read" said one more
    than the files read. Now it counts once, as rejected; a second copy of it met in the
    same pass is an input of its own (already seen)."""
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    (corpus / "z-copy.eml").write_bytes((corpus / REJECTED).read_bytes())
    files = len(list(corpus.iterdir()))
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    assert _replay(config_file, corpus, crash="after-ingest:3").returncode == -signal.SIGKILL

    for number in range(2):  # the pass that names it late, then one that names nothing
        done = _replay(config_file, corpus)
        assert done.returncode == 1 - number, done.stderr
        counts = _summary(done)["messages"]
        read = sum(counts[k] for k in ("parsed", "rejected", "already_seen", "unreadable"))
        assert read == files, counts
        assert counts["rejected"] == 1 - number, counts


def test_a_rejection_named_late_and_not_read_again_is_not_counted_read(tmp_path: Path) -> None:
    """The pass that names an earlier pass's rejection reads other files (the rejected one
    moved away): it was counted rejected, so "messages: N read" (and the JSON summary's
    counts, summed) said one more than this pass read (review lowsc). Now the counts add up
    to the files read, and the JSON summary counts it apart, still naming it."""
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    assert _replay(config_file, corpus, crash="after-ingest:3").returncode == -signal.SIGKILL
    (corpus / REJECTED).rename(tmp_path / REJECTED)
    files = len(list(corpus.iterdir()))

    done = _replay(config_file, corpus)
    assert done.returncode == 1, done.stderr
    summary = _summary(done)
    counts = summary["messages"]
    read = sum(counts[k] for k in ("parsed", "rejected", "already_seen", "unreadable"))
    assert read == files, counts
    assert [r["source"] for r in summary["rejected"]] == [str(corpus / REJECTED)]
    assert counts["named_for_earlier"] == 1, counts
