"""Graph provisioning source: odd pages (no value list, a looping or off-host nextLink)
are an incomplete scan (exit 75) that resolves nothing and sends the token nowhere else."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import DirsyncBridgeError, Retriable

from ..simulators.graph import directory
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.wire import Reply
from .test_provisioning import (
    ANN,
    ENV,
    by_summary,
    conflict,
    daily,
    prov_config,
    quarantine_three,
)

pytestmark = pytest.mark.usefixtures("ca_bundle_env")


def next_link_on_users_pages(monkeypatch: Any, link: Callable[[str], str]) -> None:
    """Every users page Graph answers carries ``@odata.nextLink = link(base_url)``."""
    real = directory._list

    def linked(req, d, kind, base_url, fields, eventual):  # type: ignore[no-untyped-def]
        reply = real(req, d, kind, base_url, fields, eventual)
        if kind == "user":
            reply.body["@odata.nextLink"] = link(base_url)
        return reply

    monkeypatch.setattr(directory, "_list", linked)


@pytest.mark.parametrize("body", [{}, {"value": None}, {"value": {}}, {"value": "nope"}])
def test_a_users_page_without_a_value_list_is_not_a_complete_empty_scan(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any, body: dict
) -> None:
    """Graph answers the users listing 200 but with no ``value`` list (a gateway's or a
    proxy's odd 200): that is no proof ann's quarantine cleared; 3+ such passes must not
    resolve her ticket."""
    quarantine_three(graph_sim)
    config = prov_config(graph_sim, tmp_path / "state")
    cron = daily(config)
    cron()
    assert by_summary(config)[ANN]["status"] == "open"
    real = directory._list

    def odd(req, d, kind, base_url, fields, eventual):
        if kind == "user":
            return Reply(200, body)
        return real(req, d, kind, base_url, fields, eventual)

    monkeypatch.setattr(directory, "_list", odd)
    for _ in range(config.tickets.resolve_after_reports + 1):
        with contextlib.suppress(DirsyncBridgeError):
            cron()
    assert by_summary(config)[ANN]["status"] == "open"


def test_a_next_link_that_loops_does_not_hang_the_pass(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """Graph (a bug, a proxy cache) answers every users page with a nextLink back to the
    same page: the pass must end (exit 75 or so), not loop forever."""
    quarantine_three(graph_sim)
    prov_config(graph_sim, tmp_path / "state")
    next_link_on_users_pages(monkeypatch, lambda base: f"{base}/v1.0/users?$skiptoken=loop")
    monkeypatch.setattr(directory.odata, "read_skiptoken", lambda t: 0)
    # The tool in its own process (the CLI, as cron runs it), so that a hang can be killed.
    import os
    import subprocess
    import sys

    from ..e2e.test_cli_provisioning import config_file

    conf = config_file(tmp_path, graph_sim)
    env = {**os.environ, "DIRSYNC_BRIDGE_CONFIG": str(conf), **ENV}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dirsync_bridge", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        requests = len(graph_sim.log.graph())
        raise AssertionError(f"still paging after 60 s ({requests} Graph requests)") from None
    assert "Traceback" not in done.stderr
    assert done.returncode == 75, (done.returncode, done.stderr)
    assert "repeats" in done.stderr and "incomplete" in done.stderr, done.stderr


@pytest.mark.parametrize("fault", ["HTML", "TRUNCATE", "DROP"])
def test_an_odd_failure_mid_paging_never_resolves(
    tmp_path: Path, graph_sim: GraphSimulator, fault: str
) -> None:
    from ..simulators.graph import faults

    for n in range(3):
        graph_sim.add_user(  # users in error before ann: ann on page 4
            f"a{n}@contoso.com",
            provisioning_errors=[conflict("ProxyAddresses", f"smtp:a{n}@c")],
        )
    quarantine_three(graph_sim)
    graph_sim.page_size = 1
    graph_sim.faults.retry_after = "0"
    # A page fault says no Retry-After: the pass backs off until [graph] retry_for is spent,
    # each of four passes. One second of it is enough to fail the pass as five do.
    config = prov_config(graph_sim, tmp_path / "state", retry_for="1s")
    cron = daily(config)
    cron()
    assert by_summary(config)[ANN]["status"] == "open"
    for _ in range(config.tickets.resolve_after_reports + 1):
        graph_sim.faults.fail_pages(getattr(faults, fault), times=50, path_contains="/users")
        with contextlib.suppress(DirsyncBridgeError):
            cron()
        graph_sim.faults.page_queue.clear()
    # ann is on a page the fault hides, and stays in error: must stay open
    assert by_summary(config)[ANN]["status"] == "open"


def test_a_next_link_to_another_host_does_not_get_the_token(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """A nextLink that points off the configured Graph host (a rogue proxy, a poisoned
    answer) must not be sent the bearer token (over plain http, at that)."""
    import http.server

    seen: list[str] = []

    class Catch(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization") or "")
            body = b'{"value": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Catch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    quarantine_three(graph_sim)
    config = prov_config(graph_sim, tmp_path / "state")
    rogue = f"http://127.0.0.1:{server.server_port}/v1.0/users"
    next_link_on_users_pages(monkeypatch, lambda base: rogue)
    try:
        with pytest.raises(Retriable, match="not followed"):
            daily(config)()
    finally:
        server.shutdown()
        server.server_close()
    assert not any(h.lower().startswith("bearer ") for h in seen), "token sent off-host"


def test_a_page_token_expired_mid_paging_is_temporary_not_a_configuration_error(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """Entra ID may refuse a listing's next link with 400 ``Directory_ExpiredPageToken``
    while a large tenant's users are paged (msgraph-sdk-dotnet#2254): the scan is
    incomplete, as after a 503 on that page, and the pass ends 75 for the next one to read
    again, never exit 2 ("a person must change something"; found by hostile review rev31).
    What was read is ticketed; the next pass, the token fresh, completes the scan."""
    for n in range(2):
        graph_sim.add_user(
            f"u{n}@contoso.com", provisioning_errors=[conflict("ProxyAddresses", f"smtp:u{n}@c")]
        )
    quarantine_three(graph_sim)
    graph_sim.page_size = 1  # users: three pages
    graph_sim.faults.fail_pages(400, times=1, path_contains="/users")
    config = prov_config(graph_sim, tmp_path / "state")
    cron = daily(config)

    try:
        said = cron()
    except Retriable as exc:
        assert "Directory_ExpiredPageToken" in str(exc) and "incomplete" in str(exc)
    else:
        raise AssertionError(f"no Retriable; said after the pass (exit 2): {said.fatal}")
    first = by_summary(config)
    assert len(first) == 3 and {t["status"] for t in first.values()} == {"open"}

    again = cron()
    assert again.scans == ["graph provisioning errors: 5 on 5 object(s), complete"]
    assert len(by_summary(config)) == 5


def test_an_object_a_later_page_repeats_is_counted_once(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """Paging while the directory changes (or a proxy's cache) can show an object on two
    pages: it is one object with its errors once, in the scan's line, its log event and the
    count the progress bar expects, not two (found by hostile review rev37)."""
    quarantine_three(graph_sim)
    graph_sim.add_user(
        "bob@contoso.com", provisioning_errors=[conflict("ProxyAddresses", "smtp:b@c")]
    )
    graph_sim.page_size = 1  # users in error: two pages, the second repeating the first's
    real = directory._list
    earlier: list[Any] = []

    def repeating(req, d, kind, base_url, fields, eventual):  # type: ignore[no-untyped-def]
        """Each users page repeats every object of the pages before it."""
        reply = real(req, d, kind, base_url, fields, eventual)
        if kind == "user":
            shown = reply.body["value"]
            reply.body["value"] = earlier + shown
            earlier.extend(shown)
        return reply

    monkeypatch.setattr(directory, "_list", repeating)
    config = prov_config(graph_sim, tmp_path / "state")
    summary = daily(config)()
    assert summary.created == 4
    assert summary.scans == ["graph provisioning errors: 4 on 4 object(s), complete"]


def test_a_users_page_that_trickles_in_does_not_hold_the_pass(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """A proxy (or Graph) that sends a users page a byte at a time, each byte well within
    ``[graph] timeout``: no single read times out, yet the page would take minutes (a pass
    held for ever, its lock with it). ``timeout`` bounds the whole answer: the scan is
    incomplete and the pass ends 75 in seconds (found by hostile review rev37)."""
    import os
    import subprocess
    import sys
    import time

    from ..e2e.test_cli_provisioning import config_file
    from ..simulators.graph import https

    quarantine_three(graph_sim)
    graph_sim.faults.chunked = True  # every answer chunked: the users pages a byte a chunk
    whole = https.Handler._send_chunked

    def trickle(self, data: bytes, *, cut: bool) -> None:  # type: ignore[no-untyped-def]
        if b"onPremisesUserPrincipalName" not in data:
            whole(self, data, cut=cut)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for byte in data:  # each byte its own chunk, 0.2 s apart: a read never waits 5 s
            self.wfile.write(b"1\r\n%s\r\n" % bytes([byte]))
            self.wfile.flush()
            time.sleep(0.2)
        self.wfile.write(b"0\r\n\r\n")

    monkeypatch.setattr(https.Handler, "_send_chunked", trickle)
    conf = config_file(tmp_path, graph_sim)  # [graph] timeout = 5.0, retry_for = "3s"
    env = {**os.environ, "DIRSYNC_BRIDGE_CONFIG": str(conf), **ENV}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dirsync_bridge", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("the pass still reads a trickling page after 60 s") from None
    assert done.returncode == 75, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "list users" in done.stderr, done.stderr
