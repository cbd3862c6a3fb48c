"""`run` and `doctor` against a login host or a TLS set-up that fails: a real process, one
line on stderr, the exit code cron and systemd act on, never a traceback."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..simulators.graph.faults import DROP, HTML
from ..simulators.graph.server import GraphSimulator
from .test_cli_run import cli, config_file, deliver

TOKEN = "/oauth2/v2.0/token"
DISCOVERY = "/.well-known/openid-configuration"


def one_line(stderr: str) -> str:
    """The one line a failed command writes (no traceback, no msal noise)."""
    assert "Traceback" not in stderr, stderr[-600:]
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("status", [429, 500, 503, 504, DROP], ids=str)
@pytest.mark.parametrize("endpoint", [TOKEN, DISCOVERY], ids=["token", "discovery"])
@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_login_host_busy_once_is_retried(
    tmp_path: Path, graph_sim: GraphSimulator, status: int, endpoint: str, command: str
) -> None:
    # Graph-shaped JSON bodies (msal would raise its own error on a 5xx, and take a 429 for
    # a refused secret or an unknown tenant).
    deliver(graph_sim)
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    graph_sim.faults.include_login = True
    graph_sim.faults.path_contains = endpoint
    graph_sim.faults.retry_after = "0"
    graph_sim.faults.fail_next(status)
    done = cli(config, command)
    assert "Traceback" not in done.stderr, done.stderr[-600:]
    assert done.returncode == 0, done.stdout + done.stderr
    assert [s for s in graph_sim.log.statuses() if s not in (200, 201)] == [status]


@pytest.mark.parametrize("status", [429, 503], ids=str)
@pytest.mark.parametrize("endpoint", [TOKEN, DISCOVERY], ids=["token", "discovery"])
def test_a_login_host_that_stays_busy_is_75_in_one_line_not_a_configuration_error(
    tmp_path: Path, graph_sim: GraphSimulator, status: int, endpoint: str
) -> None:
    deliver(graph_sim)
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    graph_sim.faults.include_login = True
    graph_sim.faults.path_contains = endpoint
    graph_sim.faults.retry_after = "0"
    graph_sim.faults.fail_next(status, times=100)
    done = cli(config, "run")
    assert done.returncode == 75, done.stderr
    line = one_line(done.stderr)
    assert f"is busy (HTTP {status})" in line and "the next run retries" in line
    assert "client secret" not in line and "tenant_id" not in line


@pytest.fixture
def plain_http() -> Iterator[str]:
    """An ``https://`` URL of a port that speaks plain HTTP (no TLS at all)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("which", ["authority_url", "graph_url"])
@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_tls_handshake_that_fails_otherwise_is_retried_then_75_in_one_line(
    tmp_path: Path, graph_sim: GraphSimulator, plain_http: str, which: str, command: str
) -> None:
    graph_sim.login.extra_resources.add(plain_http)  # a token for it, when it is Graph
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    text = config.read_text().replace('retry_for = "3s"', 'retry_for = "1s"')
    config.write_text(text.replace(f'{which} = "{graph_sim.url}"', f'{which} = "{plain_http}"'))
    done = cli(config, command)
    assert "Traceback" not in done.stderr, done.stderr[-600:]
    assert done.returncode == 75, done.stdout + done.stderr
    assert "TLS handshake with https://127.0.0.1:" in done.stdout + done.stderr
    assert "WRONG_VERSION_NUMBER" in done.stdout + done.stderr
    if command == "run":
        one_line(done.stderr)


@pytest.mark.parametrize(
    ("bundle", "problem"),
    [("/nonexistent/ca.pem", "No such file or directory"), ("/etc/hostname", "no CA certificate")],
    ids=["missing", "not-pem"],
)
@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_missing_or_broken_requests_ca_bundle_is_exit_2_naming_the_variable(
    tmp_path: Path, graph_sim: GraphSimulator, bundle: str, problem: str, command: str
) -> None:
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    config.write_text(config.read_text().replace(f'ca_bundle = "{graph_sim.ca_path}"\n', ""))
    done = cli(config, command, REQUESTS_CA_BUNDLE=bundle, CURL_CA_BUNDLE="")
    assert "Traceback" not in done.stderr, done.stderr[-600:]
    assert done.returncode == 2, done.stdout + done.stderr
    said = done.stderr if command == "run" else done.stdout
    assert f"the environment variable REQUESTS_CA_BUNDLE names the CAs to trust, and {bundle}" in (
        said
    )
    assert problem in said and "[graph] ca_bundle" in said
    if command == "run":
        one_line(done.stderr)
    assert graph_sim.log.records == []  # found before anything was sent


@pytest.mark.parametrize("where", ["/users", "/contacts", "/messages/"])
def test_doctor_never_says_ok_for_a_check_a_portal_page_answered(
    tmp_path: Path, graph_sim: GraphSimulator, where: str
) -> None:
    deliver(graph_sim)
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    config.write_text(config.read_text() + "[enrich.cloud]\nenabled = true\n")
    graph_sim.faults.path_contains = where
    if where == "/messages/":
        graph_sim.faults.methods = frozenset({"PATCH"})  # the write that proves write access
    graph_sim.faults.fail_next(HTML, times=100)
    done = cli(config, "doctor")
    assert done.returncode == 75, done.stdout + done.stderr
    name = {"/users": "directory users", "/contacts": "directory contacts"}.get(
        where, "write access"
    )
    (line,) = [line for line in done.stdout.splitlines() if f"graph {name}" in line]
    assert "FAIL" in line and "not JSON" in line, done.stdout
