"""A bulk create's body is up to 50 tickets' worth: a reverse proxy in front of Jira Data
Center refuses bodies over its limit (nginx's default client_max_body_size is 1 MiB, with a
413 HTML page). Single creates always fit; the bulk must not make such problems untickettable."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import DirsyncBridgeError

from ..integration.test_jira_faults import run
from ..integration.test_jira_sink import jira_config, one_report, outcome_leftovers
from ..reportgen import duplicate
from ..simulators.jira import JiraSimulator

START = datetime(2021, 5, 3, 9, tzinfo=UTC)
LIMIT = 1024 * 1024
PAGE_413 = (
    b"<html><head><title>413 Request Entity Too Large</title></head><body><center>"
    b"<h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center></body></html>"
)


def big_rows(count: int) -> list[tuple[str, str]]:
    out = []
    for n in range(count):
        who = f"u{n:03d}@contoso.com"
        values = [f"smtp:{c * 2500}{n}@contoso.com" for c in "abcdefgh"]  # about 20 kB
        out.append((who, duplicate("ProxyAddresses", f"SMTP:{who}", *values)))
    return out


def test_a_proxy_body_limit_does_not_stop_every_create_forever(
    tmp_path: Path, jira_server: JiraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = jira_server
    handle = sim.handle
    sizes: list[int] = []

    def proxy(method: str, path: str, query: str, raw: bytes, headers: Any) -> Any:
        sizes.append(len(raw))
        if len(raw) > LIMIT:
            return 413, {"html": PAGE_413.decode()}, {}  # what the proxy says (not Jira's JSON)
        return handle(method, path, query, raw, headers)

    monkeypatch.setattr(sim, "handle", proxy)
    mail = tmp_path / "mail"
    one_report(mail, START, big_rows(60), "r0")
    config = jira_config(sim, tmp_path / "state")
    errors = []
    for _ in range(3):
        try:
            summary = run(mail, config, sim)
            if not summary.unconfirmed and not summary.attention:
                break
        except DirsyncBridgeError as exc:
            errors.append(str(exc)[:200])
    assert max(sizes) > LIMIT  # the bulk bodies did go over the proxy's limit
    assert len(sim.issues) == 60, (len(sim.issues), errors)
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}
