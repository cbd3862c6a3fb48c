"""A report's ``/$value`` answered empty (a gateway's empty 200, a 204): Graph never serves
an empty message (every one has headers), so this is a broken answer, retried like a cut
body; never read as an empty message, rejected ``empty`` and categorised rejected for good
(a message is acknowledged only once read: mailbox.py)."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import DirsyncBridgeError, Retriable
from dirsync_bridge.pipeline import run

from ..conftest import REPORTS
from ..simulators.graph import mail
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from ..simulators.graph.wire import Reply
from .test_run import ENV, NOW, folder_of, run_config

pytestmark = pytest.mark.usefixtures("ca_bundle_env")

EMPTY_ANSWERS = {
    "200-empty-text": Reply(200, b"", content_type="text/plain"),
    "200-empty-octets": Reply(200, b"", content_type="application/octet-stream"),
    "204": Reply(204),
}


def serve_empty_values(monkeypatch: Any, odd: Reply, times: int) -> dict[str, int]:
    """The first ``times`` ``/$value`` requests answered ``odd``; how many were, so far."""
    real = mail.route
    served = {"odd": 0}

    def route(req, ctx):  # type: ignore[no-untyped-def]
        if req.method == "GET" and req.segments[-1:] == ["$value"] and served["odd"] < times:
            served["odd"] += 1
            return odd
        return real(req, ctx)

    monkeypatch.setattr(mail, "route", route)
    return served


@pytest.mark.parametrize("odd", list(EMPTY_ANSWERS.values()), ids=list(EMPTY_ANSWERS))
def test_an_empty_answer_to_value_is_not_taken_for_an_empty_message(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any, odd: Reply
) -> None:
    """A report's ``/$value`` answered once with an empty body (a gateway's empty 200, a
    204). Graph never serves an empty MIME message (every message has headers): retried like
    a cut body, never rejected ``empty`` and categorised ``dirsync-bridge-rejected``."""
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    msg = graph_sim.add_message(MAILBOX, "inbox", report, received=NOW - timedelta(hours=1))
    served = serve_empty_values(monkeypatch, odd, times=1)
    summary = run(run_config(graph_sim, tmp_path / "state"), env=ENV)
    assert served["odd"] == 1
    assert "dirsync-bridge-rejected" not in graph_sim.message(msg.id).categories
    assert summary.created == 3 and summary.rejected == 0, (summary.created, summary.problems)
    assert folder_of(graph_sim, msg.id) == "elsewhere"


@pytest.mark.parametrize("odd", list(EMPTY_ANSWERS.values()), ids=list(EMPTY_ANSWERS))
def test_an_empty_answer_to_value_that_never_heals_is_75_and_the_next_pass_reads_it(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any, odd: Reply
) -> None:
    """Empty answers past ``retry_for``: the pass ends 75 (temporary) with the report neither
    categorised rejected nor recorded; once Graph serves it, the next pass tickets it."""
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    msg = graph_sim.add_message(MAILBOX, "inbox", report, received=NOW - timedelta(hours=1))
    served = serve_empty_values(monkeypatch, odd, times=10_000)
    config = run_config(graph_sim, tmp_path / "state")
    config = config.model_copy(
        update={"graph": config.graph.model_copy(update={"retry_for": timedelta(seconds=1)})}
    )
    with pytest.raises(Retriable, match="empty body"):
        run(config, env=ENV)
    assert served["odd"] >= 1
    assert tuple(graph_sim.message(msg.id).categories) == ()
    assert folder_of(graph_sim, msg.id) == "inbox"
    served["odd"] = 10_000  # Graph serves the message again
    again = run(config, env=ENV)
    assert again.created == 3 and again.rejected == 0, (again.created, again.problems)
    assert folder_of(graph_sim, msg.id) == "elsewhere"


@pytest.mark.parametrize(
    "body", [b"\r\n", b"\n", b" ", b"\x00"], ids=["crlf", "lf", "space", "nul"]
)
def test_a_value_answered_with_a_blank_body_is_not_a_message_rejected_for_good(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any, body: bytes
) -> None:
    """A gateway's body of one newline, a space or a NUL is no more a message than an empty
    one: retried, never rejected and categorised dirsync-bridge-rejected for good; once
    Graph serves the report, it is read (``wire.bounded`` looks for a non-blank byte)."""
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    msg = graph_sim.add_message(MAILBOX, "inbox", report, received=NOW - timedelta(hours=1))
    served = serve_empty_values(monkeypatch, Reply(200, body, content_type="text/plain"), times=1)
    config = run_config(graph_sim, tmp_path / "state")
    first = None
    with contextlib.suppress(DirsyncBridgeError):
        first = run(config, env=ENV)
    assert served["odd"] == 1
    shown = None if first is None else [(p.code, p.detail) for p in first.problems]
    assert "dirsync-bridge-rejected" not in graph_sim.message(msg.id).categories, shown
    again = run(config, env=ENV)
    assert folder_of(graph_sim, msg.id) == "elsewhere", (again.created, again.problems)
