"""``[jira] url`` that answers with a redirect: a site renamed (Cloud's old address), moved
behind another host name, or a reverse proxy sending every request on elsewhere.

Followed, a redirect turned the tool's POSTs into GETs (what HTTP clients do with 301 and
302) and, to another host, dropped the credentials: Jira answered 401 and the run said the
token was wrong ("refused the credentials: check [jira] email and the token"), doctor too,
while the token was fine and the URL was not (found by hostile review rev31). A redirect is
never followed: one configuration line names ``[jira] url`` and where it leads, before
anything is written.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..e2e.test_cli_jira import config_file
from ..simulators.jira import JiraSimulator
from .test_jira_search_paging import START, mail_with

CLI = [sys.executable, "-m", "dirsync_bridge"]


@pytest.fixture
def old_address(jira_cloud: JiraSimulator) -> Iterator[str]:
    """An address that sends every request on to the simulator with a 301, as a renamed
    site's old address does (another host name: ``localhost`` for ``127.0.0.1``)."""
    target = jira_cloud.url.rstrip("/")

    class Moved(http.server.BaseHTTPRequestHandler):
        def moved(self) -> None:
            self.send_response(301)
            self.send_header("Location", target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_DELETE = moved  # noqa: N815  (http.server names)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Moved)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("command", ["replay", "doctor"])
def test_a_url_that_redirects_is_named_not_taken_for_wrong_credentials(
    tmp_path: Path, jira_cloud: JiraSimulator, old_address: str, command: str
) -> None:
    mail = tmp_path / "mail"
    mail_with(mail, "0", START, ["ann@contoso.com"])
    conf = config_file(tmp_path, old_address)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
    env["DIRSYNC_JIRA_TOKEN"] = jira_cloud.api_token
    args = ["replay", "--sink", "jira", str(mail)] if command == "replay" else ["doctor"]

    done = subprocess.run(
        [*CLI, "--config", str(conf), *args], env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 2, done.stderr
    said = done.stderr + done.stdout
    assert "[jira] url" in said and "redirect (HTTP 301)" in said
    assert jira_cloud.url.rstrip("/") in said  # where it leads: the address to set
    assert "refused the credentials" not in said and "Traceback" not in said
    assert jira_cloud.issues == {} and jira_cloud.log.writes() == []
    assert not [r for r in jira_cloud.log.records if r.status == 401]  # never sent on


@pytest.mark.parametrize(
    ("lead", "named"),
    [
        ("/jira", "a redirect (HTTP 302) to {address}/jira:"),
        ("http://[x", "a redirect to an address that is not a URL:"),
    ],
)
def test_a_relative_redirect_is_named_as_the_address_it_leads_to(
    tmp_path: Path, lead: str, named: str
) -> None:
    """A reverse proxy that moved Jira under /jira answers ``Location: /jira/rest/...``, a
    path without its host (review rev34): the line names the address to set,
    ``http://host:port/jira``; it named "/jira", and a Location of the same path with
    nothing before ``/rest/api/`` as an empty address ("a redirect ... to : set it"). One
    that is no URL at all (``http://[x``), which requests cannot read even to leave it, was
    ``internal error (ValueError: Invalid IPv6 URL)``, exit 70."""

    class Moved(http.server.BaseHTTPRequestHandler):
        def moved(self) -> None:
            self.send_response(302)
            self.send_header("Location", lead + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_DELETE = moved  # noqa: N815  (http.server names)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Moved)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{server.server_port}"
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIRSYNC_")}
        env["DIRSYNC_JIRA_TOKEN"] = "t0ken-never-shown"
        done = subprocess.run(
            [*CLI, "--config", str(config_file(tmp_path, address)), "doctor"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    said = done.stderr + done.stdout
    assert done.returncode == 2, said
    assert f"{address} answers with {named.format(address=address)}" in said, said
    assert "Traceback" not in said and "t0ken-never-shown" not in said
