"""A TLS error in the middle of an answer (a TLS-inspecting proxy or a load balancer that
breaks the stream after Jira did the write) is a lost answer, not a certificate problem."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import DirsyncBridgeError

from ..integration.test_jira_bulk import rows
from ..integration.test_jira_faults import run
from ..integration.test_jira_sink import jira_config, one_report, outcome_leftovers
from ..simulators.jira import JiraSimulator, transport
from ..simulators.jira.faults import Broken
from ..simulators.jira.fixtures import CUSTOM_FIELDS

START = datetime(2021, 5, 3, 9, tzinfo=UTC)


@pytest.fixture
def jira_tls() -> Iterator[JiraSimulator]:
    with JiraSimulator("server", custom_fields=CUSTOM_FIELDS, seed=1, tls=True) as sim:
        yield sim


def test_a_tls_record_broken_after_jira_made_the_batch_gives_no_duplicates(
    tmp_path: Path, jira_tls: JiraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = jira_tls
    broken = transport._Handler._broken

    def garbage(handler: Any, answer: Broken) -> None:
        if answer.how != "tls":  # type: ignore[comparison-overlap]
            broken(handler, answer)
            return
        # A record that is not the session's: the client's TLS layer fails mid-answer.
        handler.close_connection = True
        raw = socket.socket(fileno=os.dup(handler.connection.fileno()))
        with contextlib.suppress(OSError):
            raw.sendall(b"\x17\x03\x03\x00\x20" + bytes(32))
            raw.close()

    monkeypatch.setattr(transport._Handler, "_broken", garbage)
    handle = sim.handle
    hits = {"n": 0}

    def after_the_write(method: str, path: str, query: str, body: bytes, headers: Any) -> Any:
        answer = handle(method, path, query, body, headers)
        if path.endswith("/issue/bulk") and hits["n"] == 0:
            hits["n"] += 1
            return 200, Broken("tls"), {}  # type: ignore[arg-type]
        return answer

    monkeypatch.setattr(sim, "handle", after_the_write)
    mail = tmp_path / "mail"
    one_report(mail, START, rows(5), "r0")
    config = jira_config(sim, tmp_path / "state", ca_bundle=sim.ca_path)
    errors = []
    for _ in range(3):
        try:
            if not run(mail, config, sim).unconfirmed:
                break
        except DirsyncBridgeError as exc:
            errors.append(str(exc))
    assert len(sim.issues) == 5, (len(sim.issues), errors)
    assert not any("ca_bundle" in e for e in errors), errors
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
