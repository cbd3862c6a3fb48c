"""From a hostile review: a listed message whose lastModifiedDateTime is the first instant Python
knows (0001-01-01T00:00:00Z: a valid date, not past the ends of time in UTC, so not an
odd item): the watermark becomes year 1, and the next pass computes ``watermark -
overlap``, before the start of time. Should: every pass ends 0/75 in one line, never an
internal error (70).
Now stamps pad the year, and the overlap stops at the start of time."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dirsync_bridge.errors import DirsyncBridgeError
from dirsync_bridge.pipeline import run

from ..conftest import REPORTS
from ..simulators.graph import mail
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from ..simulators.graph.wire import Reply
from .test_run import ENV, NOW, run_config

pytestmark = pytest.mark.usefixtures("ca_bundle_env")


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00Z", "0999-12-31T23:00:00Z"])
@pytest.mark.parametrize("field", ["lastModifiedDateTime", "receivedDateTime"])
def test_a_change_stamped_year_one(
    tmp_path: Any, graph_sim: GraphSimulator, monkeypatch: Any, stamp: str, field: str
) -> None:
    graph_sim.add_message(
        MAILBOX, "inbox", (REPORTS / "aadsync_th_thead.eml").read_bytes(), received=NOW
    )
    real = mail.route

    def route(req, ctx):  # type: ignore[no-untyped-def]
        answer = real(req, ctx)
        if (
            req.method == "GET"
            and isinstance(answer, Reply)
            and isinstance(answer.body, dict)
            and isinstance(answer.body.get("value"), list)
        ):
            body = copy.deepcopy(answer.body)
            for item in body["value"]:
                if isinstance(item, dict) and field in item:
                    item[field] = stamp
            return Reply(answer.status, body, dict(answer.headers))
        return answer

    monkeypatch.setattr(mail, "route", route)
    config = run_config(graph_sim, tmp_path / "state")
    outcomes = []
    for _ in range(3):
        try:
            run(config, env=ENV)
            outcomes.append("ok")
        except DirsyncBridgeError as exc:
            outcomes.append(f"{type(exc).__name__} {exc.exit_code} {exc}")
    # Each pass lists the mailbox again from the watermark, year 1 or not: the filter's
    # literal must be one Graph reads (a four-digit year), or every pass ends 2 for ever.
    assert outcomes == ["ok", "ok", "ok"]


def test_cli_received_year_one_is_exit_70_every_pass_for_ever(
    tmp_path: Any, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """Graph writes an unset DateTime as 0001-01-01T00:00:00Z (a message imported or moved
    in without a received time): the report is ticketed, then the owed action's time cannot
    be read back from the ledger (``stamp`` writes '1-01-01T...', ``moment`` refuses it):
    internal error, exit 70, and every later pass the same (the owed row stays)."""
    from ..e2e.test_cli_run import cli, config_file

    graph_sim.add_message(
        MAILBOX, "inbox", (REPORTS / "aadsync_th_thead.eml").read_bytes(), received=NOW
    )
    real = mail.route

    def route(req, ctx):  # type: ignore[no-untyped-def]
        answer = real(req, ctx)
        if (
            req.method == "GET"
            and isinstance(answer, Reply)
            and isinstance(answer.body, dict)
            and isinstance(answer.body.get("value"), list)
        ):
            body = copy.deepcopy(answer.body)
            for item in body["value"]:
                if isinstance(item, dict) and "receivedDateTime" in item:
                    item["receivedDateTime"] = "0001-01-01T00:00:00Z"
            return Reply(answer.status, body, dict(answer.headers))
        return answer

    monkeypatch.setattr(mail, "route", route)
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    codes = []
    for _ in range(2):
        done = cli(config, "run")
        codes.append((done.returncode, done.stderr.strip().splitlines()[-1:]))
    assert all(code in (0, 1, 75) for code, _ in codes), codes
