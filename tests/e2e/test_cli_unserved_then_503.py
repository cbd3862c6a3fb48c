"""From a hostile review: report A's /$value is answered empty for ever (Unserved, passed over), and
Graph then answers 503 to every later /$value (Graph itself failing: the pass stops at B).
The run's closing line (75) must say why the later reports were not read: it names only A
("... empty body ... the next run retries"); the 503 that stopped the pass is only a WARNING
line ("stopped reading at ..."), easily lost; a cron mail reader is told one message is bad
while the whole backlog behind it was not read.
Now the closing line says Graph is failing when it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ..conftest import REPORTS
from ..e2e.test_cli_run import cli, config_file
from ..simulators.graph import mail
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from ..simulators.graph.wire import Reply

pytestmark = pytest.mark.usefixtures("ca_bundle_env")


def test_unserved_then_a_503_storm_the_last_line_says_graph_is_failing(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    now = datetime.now(UTC)
    paths = sorted(REPORTS.glob("aadconnect_*.eml"))[:3]
    a = graph_sim.add_message(
        MAILBOX,
        "inbox",
        (REPORTS / "aadsync_th_thead.eml").read_bytes(),
        received=now - timedelta(hours=3),
    )
    for n, p in enumerate(paths):
        graph_sim.add_message(
            MAILBOX, "inbox", p.read_bytes(), received=now - timedelta(hours=2, minutes=-n)
        )
    ids = {a.id.casefold(), a.immutable_id.casefold()}
    real = mail.route

    def route(req, ctx):  # type: ignore[no-untyped-def]
        if req.method == "GET" and req.segments[-1:] == ["$value"]:
            if ids & {s.casefold() for s in req.segments}:
                return Reply(200, b"", content_type="text/plain")
            return Reply(503, {"error": {"code": "serviceNotAvailable", "message": "down"}})
        return real(req, ctx)

    monkeypatch.setattr(mail, "route", route)
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    done = cli(config, "run")
    assert done.returncode == 75, (done.stderr, done.stdout)
    last = done.stderr.strip().splitlines()[-1]
    assert "503" in last or "serviceNotAvailable" in last or "not read" in last, last
