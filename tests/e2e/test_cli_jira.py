"""`replay --sink jira` as a user runs it: a real process against the Jira simulator."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.ledger.store import Ledger

from ..conftest import REPORTS
from ..reportgen import duplicate, report_email
from ..simulators.graph.server import GraphSimulator
from ..simulators.jira import JiraSimulator

CLI = [sys.executable, "-m", "dirsync_bridge"]


def config_file(tmp_path: Path, url: str, **extra: str) -> Path:
    """A config for `replay --sink jira`; `extra` adds or replaces [jira] keys (TOML values)."""
    jira = {
        "url": f'"{url}"',
        "project": '"OPS"',
        "email": '"bot@contoso.com"',
        "search_lag": '"0s"',
        "retry_for": '"3s"',
        "timeout": "5.0",
        **extra,
    }
    lines = [
        "[state]",
        f'path = "{tmp_path / "state" / "state.db"}"',
        "[jira]",
        *(f"{k} = {v}" for k, v in jira.items()),
    ]
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def replay(config: Path, mail: Path, token: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DIRSYNC_JIRA_TOKEN"}
    if token is not None:
        env["DIRSYNC_JIRA_TOKEN"] = token
    return subprocess.run(
        [*CLI, "--config", str(config), "replay", "--sink", "jira", str(mail)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_a_missing_transition_names_the_ticket_and_exits_1(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    jira_cloud.set_workflow({"To Do": [("Start", "In Progress")], "In Progress": [], "Done": []})
    mail = tmp_path / "mail"
    mail.mkdir()
    row = ("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))
    other = ("bob@contoso.com", duplicate("Mail", "bob@contoso.com"))
    start = datetime(2021, 2, 1, tzinfo=UTC)
    (mail / "0.eml").write_bytes(report_email("Contoso", start, [row, other], "0@t"))
    for n in range(1, 4):
        at = start + timedelta(hours=n)
        (mail / f"{n}.eml").write_bytes(report_email("Contoso", at, [other], f"{n}@t"))

    done = replay(config_file(tmp_path, jira_cloud.url), mail, jira_cloud.api_token)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "needs attention: OPS-1: no transition named 'Done' (available: 'Start')" in done.stderr
    assert "needing attention: 1 ticket(s)" in done.stdout
    assert len(jira_cloud.issues) == 2


@pytest.mark.parametrize("server_info", ["answers-anyone", "checks-credentials"])
def test_wrong_token_exits_2_with_one_line(
    tmp_path: Path, jira_cloud: JiraSimulator, server_info: str
) -> None:
    # Jira Cloud refuses wrong credentials even on serverInfo, which it answers to anyone
    # without credentials: still the credentials, not "not Jira".
    jira_cloud.faults.server_info_checks_credentials = server_info == "checks-credentials"
    done = replay(config_file(tmp_path, jira_cloud.url), REPORTS, "wrong")
    assert done.returncode == 2
    (line,) = [line for line in done.stderr.splitlines() if "error:" in line]
    assert "refused the credentials (HTTP 401)" in line and "DIRSYNC_JIRA_TOKEN" in line
    assert "wrong" not in done.stderr  # never the secret
    assert jira_cloud.issues == {}


def test_missing_token_is_a_configuration_error(tmp_path: Path) -> None:
    done = replay(config_file(tmp_path, "http://127.0.0.1:9"), REPORTS, None)
    assert done.returncode == 2
    assert "[jira] token_env: the environment variable DIRSYNC_JIRA_TOKEN is not set" in done.stderr


def test_jira_unreachable_exits_75_and_the_next_run_finishes(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    config = config_file(tmp_path, "http://127.0.0.1:9")  # nothing listens on port 9
    done = replay(config, REPORTS, jira_cloud.api_token)
    assert done.returncode == 75, done.stderr
    assert "cannot reach http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr
    counts, intents = ledger_state(tmp_path)
    assert intents == 0  # never sent: nothing to settle
    assert counts.get("processed", 0) == 0  # the tickets are still owed

    # The first run recorded every message, but ended before naming the rejected ones; this
    # one finds them in the ledger, only writes the tickets, and names those rejections (1).
    reachable = config_file(tmp_path, jira_cloud.url)
    done = replay(reachable, REPORTS, jira_cloud.api_token)
    assert done.returncode == 1, done.stderr
    assert "0 parsed" in done.stdout and "created" in done.stdout
    assert len(jira_cloud.issues) > 20
    named = [line for line in done.stderr.splitlines() if "rejected " in line]
    assert named, done.stderr
    # Named once: the next run has nothing to say.
    done = replay(reachable, REPORTS, jira_cloud.api_token)
    assert done.returncode == 0, done.stderr
    assert "rejected " not in done.stderr


def doctor(config: Path, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIRSYNC_JIRA_TOKEN": token}
    return subprocess.run(
        [*CLI, "--config", str(config), "doctor"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_doctor_checks_every_jira_setting_one_line_each(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    config = config_file(tmp_path, jira_cloud.url, components='["Identity"]')
    done = doctor(config, jira_cloud.api_token)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert "ok   jira credentials: signed in as bot@contoso.com on Jira Cloud" in lines[3]
    names = [line.split(":")[0] for line in lines]
    assert names == [
        "ok   config",
        "ok   ledger",
        "warn jira url",  # the simulator speaks plain http://
        "ok   jira credentials",
        "ok   jira project",
        "ok   jira issue type",
        "ok   jira components",
        "ok   jira priorities",
        "warn jira resolve transition",  # no ticket of ours yet to read the workflow from
        "warn jira reopen transition",
        "ok   jira link type",
    ]
    assert lines[-1] == "ok   jira link type: Relates"

    # With tickets in Jira, the workflow is checked on them.
    replay(config, REPORTS, jira_cloud.api_token)
    assert doctor(config, jira_cloud.api_token).returncode == 0


def test_doctor_names_what_to_fix(tmp_path: Path, jira_cloud: JiraSimulator) -> None:
    replay(config_file(tmp_path, jira_cloud.url), REPORTS, jira_cloud.api_token)
    config = config_file(
        tmp_path,
        jira_cloud.url,
        issue_type='"Story"',
        priority='{ default = "Urgent" }',
        fields='{ customfield_99999 = "x" }',
        resolve_transition='"Close"',
        link_type='"Related to"',
    )
    done = doctor(config, jira_cloud.api_token)
    assert done.returncode == 2
    out = done.stdout
    # Was not checked at all: the first link, maybe months later, stopped that run.
    assert (
        "[jira] link_type: Jira has no issue link type 'Related to' (it has Blocks, "
        "Cloners, Duplicate, Relates): set it to one of them"
    ) in out
    assert "FAIL jira link type: " in out
    assert "FAIL jira issue type: 'Story' is not an issue type of OPS" in out
    assert "set [jira] issue_type" in out
    assert "FAIL jira priorities: 'Urgent' unknown" in out
    assert "FAIL jira fields: 'customfield_99999' unknown: fix [jira] fields" in out
    assert "FAIL jira resolve transition: 'Close' not offered" in out


def test_doctor_with_a_bad_token_fails_at_the_credentials(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    done = doctor(config_file(tmp_path, jira_cloud.url), "nope")
    assert done.returncode == 2
    assert "FAIL jira credentials: Jira at" in done.stdout and "HTTP 401" in done.stdout
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------------------------------------
# Addresses and certificates that are wrong, answers that are lost or garbled


class _NotJira(http.server.BaseHTTPRequestHandler):
    """A web server that is not Jira: an HTML 404 for every path."""

    status, content_type = 404, "text/html"
    page = b"<html><body><h1>404 Not Found</h1></body></html>"

    def _serve(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _HtmlEverywhere(_NotJira):
    """An intranet site: 200 and its home page, whatever is asked."""

    status, page = 200, b"<html><body>Welcome to our intranet</body></html>"


class _JsonEverywhere(_NotJira):
    """Some other API: 200 and a JSON status, whatever is asked (writes included)."""

    status, content_type, page = 200, "application/json", b'{"status": "ok"}'


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def not_jira() -> Iterator[str]:
    """The URL of a web server that answers every request with an HTML 404."""
    yield from _serve(_NotJira)


@pytest.fixture(params=[_HtmlEverywhere, _JsonEverywhere], ids=["html-200", "json-200"])
def answers_200_everywhere(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a web server that answers every request with 200: HTML, or JSON."""
    yield from _serve(request.param)


def ledger_state(tmp_path: Path) -> tuple[dict[str, int], int]:
    """Messages by status, and intents left, in the state the CLI tests write."""
    ledger = Ledger.open(tmp_path / "state" / "state.db")
    try:
        return ledger.counts(), len(ledger.pending_intents())
    finally:
        ledger.close()


@pytest.mark.parametrize("deployment", ['"auto"', '"cloud"', '"datacenter"'])
def test_a_url_that_is_not_jira_exits_2_in_one_line_and_leaves_the_mail_unprocessed(
    tmp_path: Path, not_jira: str, deployment: str
) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    row = ("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))
    (mail / "0.eml").write_bytes(
        report_email("Contoso", datetime(2021, 2, 1, tzinfo=UTC), [row], "0@t")
    )

    done = replay(config_file(tmp_path, not_jira, deployment=deployment), mail, "t0k")

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "error:" in line]
    assert "[jira] url" in line and not_jira in line
    counts, intents = ledger_state(tmp_path)
    assert counts.get("processed", 0) == 0 and intents == 0


@pytest.mark.parametrize("deployment", ['"auto"', '"cloud"', '"datacenter"'])
def test_a_url_that_answers_200_everywhere_is_not_jira_exit_2_and_no_intent_left(
    tmp_path: Path, answers_200_everywhere: str, deployment: str
) -> None:
    url = answers_200_everywhere
    mail = tmp_path / "mail"
    mail.mkdir()
    row = ("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))
    (mail / "0.eml").write_bytes(
        report_email("Contoso", datetime(2021, 2, 1, tzinfo=UTC), [row], "0@t")
    )
    config = config_file(tmp_path, url, deployment=deployment)
    for _ in range(2):  # and the same again: nothing left over to settle
        done = replay(config, mail, "t0k")
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        (line,) = [line for line in done.stderr.splitlines() if "error:" in line]
        assert "[jira] url" in line and url in line and "does not answer as Jira" in line
        counts, intents = ledger_state(tmp_path)
        assert counts.get("processed", 0) == 0 and intents == 0


def test_a_url_that_is_another_service_asking_for_its_own_sign_in_is_not_jira(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    # The Graph simulator answers 401 to anything without its bearer token: not a Jira
    # refusing the credentials, and saying so would send the user after the wrong setting.
    config = config_file(tmp_path, graph_sim.url, ca_bundle=f'"{graph_sim.ca_path}"')
    for done in (replay(config, REPORTS, "t0k"), doctor(config, "t0k")):
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        text = done.stdout + done.stderr
        assert "does not answer as Jira" in text and "[jira] url" in text
        assert "refused the credentials" not in text
    _, intents = ledger_state(tmp_path)
    assert intents == 0


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://", "no host"),
        ("https:///rest", "no host"),
        ("jira.contoso.com", "https://"),
        ("ftp://jira.contoso.com", "https://"),
        # Past urlsplit, these met the HTTP stack: a traceback, or exit 75 with intents left.
        ("https://a..b", "host name"),
        ("https://exa mple.com", "host name"),
        ("https://%zz", "host name"),
        ("https://host:0", "port"),
    ],
)
def test_a_jira_url_without_a_host_or_with_another_scheme_is_a_config_error(
    tmp_path: Path, url: str, problem: str
) -> None:
    config = config_file(tmp_path, url)
    for done in (replay(config, REPORTS, "t0k"), doctor(config, "t0k")):
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        (line,) = [line for line in done.stderr.splitlines() if "error:" in line]
        assert "jira.url" in line and problem in line
    assert not (tmp_path / "state" / "state.db").exists()  # stopped before the ledger


def test_a_certificate_that_does_not_verify_is_a_config_error_naming_ca_bundle(
    tmp_path: Path, ca_bundle_env: str
) -> None:
    with JiraSimulator("cloud", tls=True) as sim:
        done = replay(config_file(tmp_path, sim.url), REPORTS, sim.api_token)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        (line,) = [line for line in done.stderr.splitlines() if "error:" in line]
        assert "[jira] ca_bundle" in line and "certificate" in line
        assert sim.issues == {}

        # With the CA that signs the certificate (and the environment's bundle still set).
        # The rejected reports the first run recorded but never named (it ended 2) are named
        # by this one: exit 1.
        trusted = config_file(tmp_path, sim.url, ca_bundle=f'"{sim.ca_path}"')
        done = replay(trusted, REPORTS, sim.api_token)
        assert done.returncode == 1, done.stderr
        assert "rejected " in done.stderr
        assert len(sim.issues) > 20


def test_a_transition_whose_answer_is_lost_exits_0_with_one_transition(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    ann = ("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))
    bob = ("bob@contoso.com", duplicate("Mail", "bob@contoso.com"))
    start = datetime(2021, 2, 1, tzinfo=UTC)
    (mail / "0.eml").write_bytes(report_email("Contoso", start, [ann, bob], "0@t"))
    for n in range(1, 4):
        at = start + timedelta(hours=n)
        (mail / f"{n}.eml").write_bytes(report_email("Contoso", at, [bob], f"{n}@t"))
    jira_cloud.faults.break_next("transition", 503)

    done = replay(config_file(tmp_path, jira_cloud.url), mail, jira_cloud.api_token)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    posted = [r for r in jira_cloud.log.writes() if r.path.endswith("/transitions")]
    assert len(posted) == 1 and sorted(i.status for i in jira_cloud.issues.values()) == [
        "Done",
        "To Do",
    ]


def test_doctor_survives_a_portal_page_and_a_body_cut_short(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    config = config_file(tmp_path, jira_cloud.url)
    replay(config, REPORTS, jira_cloud.api_token)
    jira_cloud.faults.break_next("read", "html", reaches_jira=False)
    jira_cloud.faults.break_next("search", "chunked")
    done = doctor(config, jira_cloud.api_token)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "<html" not in done.stderr


def test_doctor_quotes_the_project_key_in_its_jql(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    replay(config_file(tmp_path, jira_cloud.url), REPORTS, jira_cloud.api_token)
    sneaky = """'OPS" OR project = "OPS'"""  # a TOML literal string holding two quotes
    jira_cloud.reset_log()
    done = doctor(config_file(tmp_path, jira_cloud.url, project=sneaky), jira_cloud.api_token)
    assert done.returncode == 2
    jqls = [r.query["jql"][0] for r in jira_cloud.log.searches()]
    assert jqls and all(j.startswith('project = "OPS\\" OR project = \\"OPS"') for j in jqls)
    assert "ok   jira resolve transition" not in done.stdout
