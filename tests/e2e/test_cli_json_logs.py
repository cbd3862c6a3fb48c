"""``--log-format json``: lines carry fields a log shipper filters on, not just a message."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from dirsync_bridge.logs import setup_logging

from ..conftest import FIXTURE_CONFIG, REPORTS
from ..simulators.graph.server import GraphSimulator
from .test_cli_provisioning import config_file as graph_config
from .test_cli_provisioning import quarantine
from .test_cli_run import cli as graph_cli
from .test_cli_state import cli

REJECTED = REPORTS / "hostile_spoofed_display_name.eml"


def json_lines(stderr: str) -> list[dict[str, Any]]:
    """Every stderr line as JSON (fails on one that is not)."""
    return [json.loads(line) for line in stderr.splitlines()]


def with_event(lines: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["event"] == event]


def config(tmp_path: Path) -> Path:
    path = tmp_path / "dirsync-bridge.toml"
    trust = FIXTURE_CONFIG.read_text(encoding="utf-8")
    path.write_text(f'{trust}\n[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    return path


def test_replay_logs_ticket_writes_rejects_and_the_summary_as_fields(tmp_path: Path) -> None:
    done = cli(config(tmp_path), "-v", "--log-format", "json", "replay", str(REPORTS))
    assert done.returncode == 1, done.stderr
    lines = json_lines(done.stderr)
    assert all(set(line) >= {"time", "level", "logger", "event", "message"} for line in lines)

    (summary,) = with_event(lines, "run-summary")
    assert summary["command"] == "replay" and summary["exit_code"] == 1
    assert summary["time"].endswith("Z")
    counts = summary["counts"]
    assert counts["messages"]["parsed"] == 33 and counts["messages"]["rejected"] == 11

    created = with_event(lines, "ticket-created")
    assert len(created) == counts["tickets"]["created"] > 0
    first = created[0]
    assert first["ticket"].startswith("LOCAL-") and len(first["fingerprint"]) == 64
    assert {line["kind"] for line in created} >= {"AttributeValueMustBeUnique", "LargeObject"}
    assert any(line["tenant"] == "Contoso" for line in created)

    writes = with_event(lines, "ticket-write")
    assert {w["operation"] for w in writes} >= {"put-comment"}
    assert {w["change"] for w in writes} >= {"resolved", "changed"}
    assert all(w["ticket"].startswith("LOCAL-") and len(w["fingerprint"]) == 64 for w in writes)

    rejected = with_event(lines, "message-rejected")
    assert len(rejected) == 11  # 13 less the two forwarded ones fixtures/trust.toml trusts
    spoof = next(r for r in rejected if r["source"] == str(REJECTED))
    assert spoof["code"] == "untrusted-sender" and spoof["level"] == "warning"


def test_lines_without_extra_fields_are_still_json_with_an_event() -> None:
    # A library's warning (msal, urllib3) names no event of ours: "log".
    setup_logging(0, "json")
    record = logging.LogRecord("urllib3", logging.WARNING, __file__, 1, "retrying", (), None)
    formatted = logging.getLogger().handlers[0].format(record)
    assert json.loads(formatted) == {
        "time": json.loads(formatted)["time"],
        "level": "warning",
        "logger": "urllib3",
        "event": "log",
        "message": "retrying",
    }


def test_a_field_never_replaces_the_line_s_own_keys() -> None:
    setup_logging(0, "json")
    log = logging.getLogger("dirsync_bridge.test")
    record = log.makeRecord(
        log.name,
        logging.WARNING,
        __file__,
        1,
        "said",
        (),
        None,
        extra={"event": "x", "level": "fake", "path": Path("/p")},
    )
    line = json.loads(logging.getLogger().handlers[0].format(record))
    assert line["level"] == "warning" and line["event"] == "x" and line["path"] == "/p"


def test_a_graph_scan_is_logged_with_its_counts(tmp_path: Path, graph_sim: GraphSimulator) -> None:
    quarantine(graph_sim, "ann@contoso.com", "bob@contoso.com")
    done = graph_cli(graph_config(tmp_path, graph_sim), "-v", "--log-format", "json", "run")
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stderr)
    (scan,) = with_event(lines, "graph-scan")
    assert scan["source"] == "graph:provisioning-errors" and scan["complete"] is True
    assert scan["counts"] == {"errors": 2, "objects": 2, "pages": 3}
    (summary,) = with_event(lines, "run-summary")
    assert summary["command"] == "run" and summary["counts"]["tickets"]["created"] == 2


def test_the_run_summary_is_a_json_line_with_a_timestamp_without_verbose(tmp_path: Path) -> None:
    # cron runs without -v: the summary is the one line its log collector must still get.
    done = cli(config(tmp_path), "--log-format", "json", "replay", str(REPORTS))
    (summary,) = with_event(json_lines(done.stderr), "run-summary")
    assert summary["level"] == "info" and summary["time"].endswith("Z")
    assert summary["counts"]["tickets"]["created"] > 0
    human = cli(config(tmp_path), "replay", str(REPORTS))
    assert "replay: messages:" not in human.stderr  # a person reads the summary on stdout


def test_a_runs_summary_line_names_the_command_once(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """The ``run-summary`` message of a ``run`` (JSON, and the human line at -v) says
    ``run: 1 new...`` (``run (dry run): ...``), not ``run: run: ...`` (found by hostile
    review rev37)."""
    quarantine(graph_sim, "ann@contoso.com")
    conf = graph_config(tmp_path, graph_sim)
    for args, head in (
        (("--log-format", "json", "run"), "run: "),
        (("--log-format", "json", "run", "--dry-run"), "run (dry run): "),
    ):
        done = graph_cli(conf, *args)
        assert done.returncode == 0, done.stderr
        (summary,) = with_event(json_lines(done.stderr), "run-summary")
        assert summary["message"].startswith(head + "0 new message(s)"), summary["message"]
    human = graph_cli(conf, "-v", "run")
    (line,) = [x for x in human.stderr.splitlines() if "new message(s)" in x]
    assert line.count("run") == 1, line
