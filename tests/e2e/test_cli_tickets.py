"""`tickets` and `tickets show` as a user runs them: lists, CSV, filters, one ticket in full."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from ..conftest import ROOT
from ..earlier_release import to_earlier_release
from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator
from .test_cli_jira import config_file, replay

CLI = [sys.executable, "-m", "dirsync_bridge"]
FIELDS = [
    "key",
    "fingerprint",
    "status",
    "summary",
    "kind",
    "identity",
    "tenant",
    "first_seen",
    "last_seen",
    "occurrences",
    "comments",
]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env, check=False
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A configuration whose ledger holds the fixture corpus, replayed once for the module."""
    folder = tmp_path_factory.mktemp("corpus")
    config = folder / "dirsync-bridge.toml"
    config.write_text(
        '[state]\npath = "state/state.db"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n'
    )
    done = run("--config", str(config), "replay", "fixtures/reports")
    assert done.returncode == 1, done.stderr  # the corpus's hostile mail
    return config


def listed(config: Path, *args: str) -> list[dict[str, Any]]:
    done = run("--config", str(config), "tickets", "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def shown_json(config: Path, key: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = run("--config", str(config), "tickets", "show", key, "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# tickets show


def test_show_json_has_the_ticket_in_full(corpus: Path) -> None:
    every = listed(corpus, "--status", "all")
    commented = next(t for t in every if t["comments"] >= 2 and t["occurrences"] >= 2)
    ticket = shown_json(corpus, commented["key"])
    assert {k: ticket[k] for k in FIELDS} == commented  # the listing's fields, unchanged
    assert ticket["url"] is None  # the local store has no web page
    assert ticket["description"].startswith("Microsoft 365 reported")
    assert len(ticket["comment_texts"]) == commented["comments"]
    assert "resolved automatically" in ticket["comment_texts"][-1]  # oldest first
    sightings = ticket["sightings"]
    assert len(sightings) == commented["occurrences"]
    assert [s["time"] for s in sightings] == sorted(s["time"] for s in sightings)
    assert sightings[0]["time"] == commented["first_seen"]
    assert all(s["source"].startswith("fixtures/reports/") and s["kind"] for s in sightings)
    assert ticket["links"] == []
    assert shown_json(corpus, commented["key"].lower()) == ticket  # as a person may type it


def test_show_names_the_earlier_ticket_of_a_problem_that_came_back(corpus: Path) -> None:
    every = listed(corpus, "--status", "all")
    by_problem: dict[str, list[str]] = {}
    for t in every:
        by_problem.setdefault(t["fingerprint"], []).append(t["key"])
    first, later = next(keys for keys in by_problem.values() if len(keys) == 2)
    assert shown_json(corpus, later)["links"] == [first]
    text = run("--config", str(corpus), "tickets", "show", later).stdout
    assert f"Earlier:     {first}" in text


def test_show_gives_the_latest_enrichment(corpus: Path) -> None:
    every = listed(corpus, "--status", "all")
    key = next(t["key"] for t in every if t["identity"] == "zoe.muller@cafe-muller.example")
    enrichment = shown_json(corpus, key)["enrichment"]
    assert enrichment["advice"]["code"] == "invalid-value"
    assert enrichment["rule_hits"][0]["errors"] == ["TopLevelDomain"]
    text = run("--config", str(corpus), "tickets", "show", key).stdout
    assert "Latest enrichment:\n  advice: 'zoe.muller@cafe-muller.example' breaks" in text


def test_show_text_reads_as_a_ticket(corpus: Path) -> None:
    every = listed(corpus, "--status", "all")
    commented = next(t for t in every if t["comments"] >= 2 and t["occurrences"] >= 2)
    done = run("--config", str(corpus), "tickets", "show", commented["key"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{commented['key']}  {commented['status']}"
    assert lines[1] == commented["summary"]
    assert "Description:" in lines and "Comment 1:" in lines and "Comment 2:" in lines
    assert f"Seen in {commented['occurrences']} report(s):" in lines
    assert "URL:" not in done.stdout


def test_show_of_an_unknown_key_is_one_line_and_exit_2(corpus: Path) -> None:
    done = run("--config", str(corpus), "tickets", "show", "LOCAL-99999")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "LOCAL-99999: no such ticket" in done.stderr


def test_show_without_a_ledger_is_an_unknown_key(tmp_path: Path) -> None:
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text('[state]\npath = "state/state.db"\n')
    done = run("--config", str(config), "tickets", "show", "LOCAL-1")
    assert done.returncode == 2 and "LOCAL-1: no such ticket" in done.stderr
    assert not (tmp_path / "state").exists()  # looking creates nothing


def test_show_escapes_control_characters_from_reports(tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    at = datetime(2021, 3, 1, tzinfo=UTC)
    row = ("evil\x1b]0;pwned\x07@contoso.com", duplicate("Mail", "evil@contoso.com"))
    (mail / "0.eml").write_bytes(report_email("Contoso", at, [row], "0@t"))
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text('[state]\npath = "state/state.db"\n')
    assert run("--config", str(config), "replay", str(mail)).returncode == 0
    done = run("--config", str(config), "tickets", "show", "LOCAL-1")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\\x1b]0;pwned\\x07" in done.stdout


def test_show_of_a_jira_ticket_reads_it_in_one_request(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    at = datetime(2021, 2, 1, tzinfo=UTC)
    ann = ("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))
    bob = ("bob@contoso.com", duplicate("Mail", "bob@contoso.com"))
    (mail / "0.eml").write_bytes(report_email("Contoso", at, [ann, bob], "0@t"))
    for n in range(1, 4):  # ann is absent from three reports: resolved, with a comment
        stamp = at + timedelta(hours=n)
        (mail / f"{n}.eml").write_bytes(report_email("Contoso", stamp, [bob], f"{n}@t"))
    config = config_file(tmp_path, jira_cloud.url)
    assert replay(config, mail, jira_cloud.api_token).returncode == 0
    key = next(k for k, issue in jira_cloud.issues.items() if "ann@" in issue.fields["summary"])
    answer = requests.post(
        f"{jira_cloud.url}/rest/api/2/issue/{key}/comment",
        json={"body": "Asked \x1b[2JAnn's manager."},
        auth=(jira_cloud.email, jira_cloud.api_token),
        timeout=10,
    )
    assert answer.status_code == 201
    jira_cloud.reset_log()

    env = {**os.environ, "DIRSYNC_JIRA_TOKEN": jira_cloud.api_token}
    ticket = shown_json(config, key, env)
    assert ticket["url"] == f"{jira_cloud.url}/browse/{key}"
    assert ticket["status"] == "resolved"
    assert "ann@contoso.com" in ticket["description"]
    tool, person = ticket["comment_texts"]
    assert "3 consecutive reports" in tool and "dirsync-bridge comment" not in tool
    assert person == "Asked \x1b[2JAnn's manager."  # people's comments too, oldest first
    assert jira_cloud.log.count("GET", f"issue/{key}") == 1
    assert jira_cloud.log.writes() == []

    text = run("--config", str(config), "tickets", "show", key, env=env)
    assert f"URL:         {jira_cloud.url}/browse/{key}" in text.stdout
    assert "Asked \\x1b[2JAnn's manager." in text.stdout


def test_show_of_a_ticket_the_local_store_lost_shows_the_ledgers_facts_and_says_so(
    tmp_path: Path,
) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    ann = ("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))
    at = datetime(2021, 2, 1, tzinfo=UTC)
    (mail / "0.eml").write_bytes(report_email("Contoso", at, [ann], "0@t"))
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text('[state]\npath = "state/state.db"\n')
    assert run("--config", str(config), "replay", str(mail)).returncode == 0
    to_earlier_release(tmp_path / "state").unlink()  # an earlier release's store, lost
    done = run("--config", str(config), "tickets", "show", "LOCAL-1", "--format", "json")
    assert done.returncode == 1
    ticket = json.loads(done.stdout)
    assert ticket["identity"] == "ann@contoso.com" and len(ticket["sightings"]) == 1
    assert ticket["description"] is None and ticket["comment_texts"] == []
    assert done.stderr.count("\n") == 1
    assert "LOCAL-1: the local ticket store cannot be used" in done.stderr
    assert "dirsync-bridge tickets rebuild" in done.stderr
    assert not (tmp_path / "state" / "tickets.db").exists()  # looking creates nothing


def test_show_of_a_jira_ticket_a_person_deleted_says_so(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    ann = ("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))
    at = datetime(2021, 2, 1, tzinfo=UTC)
    (mail / "0.eml").write_bytes(report_email("Contoso", at, [ann], "0@t"))
    config = config_file(tmp_path, jira_cloud.url)
    assert replay(config, mail, jira_cloud.api_token).returncode == 0
    jira_cloud.delete_by_hand("OPS-1")
    env = {**os.environ, "DIRSYNC_JIRA_TOKEN": jira_cloud.api_token}
    done = run("--config", str(config), "tickets", "show", "OPS-1", env=env)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("OPS-1  open\n")
    assert "OPS-1: Jira no longer has this ticket" in done.stderr
    assert "Traceback" not in done.stderr


def test_show_of_a_jira_ticket_without_the_token_says_so(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    ann = ("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))
    at = datetime(2021, 2, 1, tzinfo=UTC)
    (mail / "0.eml").write_bytes(report_email("Contoso", at, [ann], "0@t"))
    config = config_file(tmp_path, jira_cloud.url)
    assert replay(config, mail, jira_cloud.api_token).returncode == 0
    done = run("--config", str(config), "tickets", "show", "OPS-1")
    assert done.returncode == 2
    assert "DIRSYNC_JIRA_TOKEN" in done.stderr and "Traceback" not in done.stderr


# ---------------------------------------------------------------------------------------------
# tickets: CSV, filters, order, width


def test_csv_has_the_json_fields_and_rows(corpus: Path) -> None:
    done = run("--config", str(corpus), "tickets", "--status", "all", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout, newline="")))
    assert rows[0] == FIELDS
    expected = listed(corpus, "--status", "all")
    assert len(rows) == len(expected) + 1
    as_text = [["" if t[f] is None else str(t[f]) for f in FIELDS] for t in expected]
    assert rows[1:] == as_text


def test_csv_cells_that_start_like_formulas_are_made_text(tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    at = datetime(2021, 3, 1, tzinfo=UTC)
    rows = [
        ('=HYPERLINK("http://evil.example","x")', duplicate("Mail", "a@contoso.com")),
        ("+1-555@contoso.com", duplicate("Mail", "b@contoso.com")),
        ("@SUM(A1)@contoso.com", duplicate("Mail", "c@contoso.com")),
    ]
    (mail / "0.eml").write_bytes(report_email("-Contoso", at, rows, "0@t"))
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text('[state]\npath = "state/state.db"\n')
    assert run("--config", str(config), "replay", str(mail)).returncode == 0
    done = run("--config", str(config), "tickets", "--format", "csv")
    parsed = list(csv.DictReader(io.StringIO(done.stdout, newline="")))
    identities = sorted(row["identity"] for row in parsed)
    assert identities == [
        "'+1-555@contoso.com",
        '\'=HYPERLINK("http://evil.example","x")',
        "'@SUM(A1)@contoso.com",
    ]
    assert {row["tenant"] for row in parsed} == {"'-Contoso"}
    assert all(row["summary"].startswith("[dirsync]") for row in parsed)  # the rest untouched
    # JSON keeps the exact values: the guard is for spreadsheets only.
    assert {t["tenant"] for t in listed(config)} == {"-Contoso"}


def test_filters_by_kind_tenant_and_since(corpus: Path) -> None:
    every = listed(corpus, "--status", "all")
    by_kind = listed(corpus, "--status", "all", "--kind", "objecttypemismatch")
    assert by_kind and by_kind == [t for t in every if t["kind"] == "ObjectTypeMismatch"]
    by_tenant = listed(corpus, "--status", "all", "--tenant", "fabrikam, inc.")
    assert by_tenant and by_tenant == [t for t in every if t["tenant"] == "Fabrikam, Inc."]
    since = listed(corpus, "--status", "all", "--since", "2017-01-01")
    assert since and since == [t for t in every if t["last_seen"] >= "2017-01-01"]
    both = listed(
        corpus, "--status", "all", "--since", "2017-01-01T00:00:00", "--tenant", "Contoso"
    )
    assert both == [t for t in since if t["tenant"] == "Contoso"]
    csv_rows = run("--config", str(corpus), "tickets", "--format", "csv", "--tenant", "nobody")
    assert csv_rows.stdout.splitlines() == [",".join(FIELDS)]  # the header alone


def test_a_bad_since_is_a_usage_error(corpus: Path) -> None:
    done = run("--config", str(corpus), "tickets", "--since", "last tuesday")
    assert done.returncode == 2
    assert "--since" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("tickets", "--format", "csv", "--since", "2019-13-01"), "--since: '2019-13-01' is not"),
        (("tickets", "--format", "xml"), "--format: 'xml' is not one of"),
        (("tickets", "--status", "gone"), "--status: 'gone' is not one of"),
        (("tickets", "show", "LOCAL-1", "--format", "yaml"), "--format: 'yaml' is not one of"),
        (("report", "--html", "r.html", "--since", "2024-1-5"), "--since: '2024-1-5' is not"),
    ],
)
def test_a_bad_option_value_of_tickets_or_report_is_one_line_exit_2(
    corpus: Path, args: tuple[str, ...], line: str
) -> None:
    # Was click's usage block: "Usage:", "Try ...", a blank line, "Error: ..." (4 lines).
    done = run("--config", str(corpus), *args)
    assert done.returncode == 2
    (only,) = done.stderr.splitlines()
    assert only.startswith(f"dirsync-bridge: error: {line}"), only


def test_the_list_is_in_the_order_of_the_column_shown(corpus: Path) -> None:
    every = listed(corpus, "--status", "all")
    assert [t["last_seen"] for t in every] == sorted(t["last_seen"] for t in every)
    table = run("--config", str(corpus), "tickets", "--status", "all").stdout.splitlines()
    shown = [line.split("last seen ")[1][:16] for line in table if "last seen " in line]
    assert shown == sorted(shown) and len(shown) == len(every)


def test_tables_fit_80_columns_off_a_terminal(corpus: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}  # a terminal's width, but not a terminal
    done = run("--config", str(corpus), "tickets", "--status", "all", env=env)
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) == 80
    assert any(line.endswith("...") for line in lines)


def on_a_terminal(args: list[str], columns: int) -> list[str]:
    """The lines a command writes to a terminal window ``columns`` wide (a real pty)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    main, other = pty.openpty()
    # The window's size, as a terminal emulator sets it (rows, columns, pixels).
    fcntl.ioctl(other, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    child = subprocess.Popen(
        [*CLI, *args], cwd=ROOT, stdout=other, stderr=subprocess.DEVNULL, env=env
    )
    os.close(other)
    output = b""
    try:
        while True:  # read as it comes: a full terminal buffer would stop the command
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the command is done and everything was read
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(main)
        child.wait(timeout=120)
    return output.decode().replace("\r\n", "\n").splitlines()


@pytest.mark.parametrize("columns", [100, 60])
def test_tables_use_the_terminal_width(corpus: Path, columns: int) -> None:
    lines = on_a_terminal(["--config", str(corpus), "tickets", "--status", "all"], columns)
    assert lines[-1].endswith(" tickets")
    assert max(len(line) for line in lines) == columns


def test_parse_tables_use_the_terminal_width_too() -> None:
    lines = on_a_terminal(["parse", "fixtures/reports"], 120)
    assert lines[-1].endswith("rejected")
    assert 80 < max(len(line) for line in lines) <= 120


# ---------------------------------------------------------------------------------------------
# Review rev14b: one-line errors that said nothing, or two lines, or nothing was wrong at all


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("report",), "--html: missing"),
        (("tickets", "show"), "KEY: missing"),
    ],
    ids=["report-without-html", "show-without-key"],
)
def test_a_missing_required_value_says_what_is_wrong(
    corpus: Path, args: tuple[str, ...], reason: str
) -> None:
    # Was "dirsync-bridge: error: --html: " and "... KEY: ", the reason left empty.
    done = run("--config", str(corpus), *args)
    assert done.returncode == 2, done.stderr
    (only,) = done.stderr.splitlines()
    assert only.startswith(f"dirsync-bridge: error: {reason}"), only


def test_an_option_without_its_value_is_the_tools_one_line(corpus: Path) -> None:
    # Was click's block ending in "Error: Option '--kind' requires an argument."
    done = run("--config", str(corpus), "tickets", "--kind")
    assert done.returncode == 2, done.stderr
    (only,) = done.stderr.splitlines()
    assert only.startswith("dirsync-bridge: error: --kind: "), only


def test_an_unknown_key_with_a_line_break_is_still_one_line(corpus: Path) -> None:
    done = run("--config", str(corpus), "tickets", "show", "NOPE-1\nall good")
    assert done.returncode == 2, done.stderr
    (only,) = done.stderr.splitlines()
    assert "NOPE-1\\x0aall good" in only, only


@pytest.mark.parametrize(
    "args",
    [
        ("--config", "no\nsuch.toml", "tickets"),
        ("report", "--html", "no-folder\nall good/r.html"),
    ],
    ids=["config", "report-html"],
)
def test_a_file_name_with_a_line_break_is_still_one_line(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = subprocess.run(
        [*CLI, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    (only,) = done.stderr.splitlines()
    assert "\\x0a" in only, only


def test_a_kind_the_catalogue_does_not_know_is_refused_with_the_closest(corpus: Path) -> None:
    # Was "0 tickets", exit 0: a typo read as "no such problem".
    done = run("--config", str(corpus), "tickets", "--kind", "AttributeValueMustBeUniqe")
    assert done.returncode == 2, done.stderr
    (only,) = done.stderr.splitlines()
    assert only.startswith("dirsync-bridge: error: --kind: 'AttributeValueMustBeUniqe'"), only
    assert "AttributeValueMustBeUnique" in only.split("'AttributeValueMustBeUniqe'", 1)[1], only


@pytest.mark.parametrize(
    ("since", "first"),
    [
        ("2017-01-01T02:00:00+02:00", "2017-01-01"),
        ("2017-01-01T00:00:00.000Z", "2017-01-01"),
        ("2017-01-01T00:00:00.5", "2017-01-01"),
    ],
    ids=["offset", "millis-z", "fraction"],
)
def test_since_takes_iso_8601_times_with_an_offset_or_a_fraction(
    corpus: Path, since: str, first: str
) -> None:
    # The JSON log's own time format (.000Z) was refused as "not a day or time".
    every = listed(corpus, "--status", "all")
    assert listed(corpus, "--status", "all", "--since", since) == [
        t for t in every if t["last_seen"] >= first
    ]
