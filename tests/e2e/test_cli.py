"""The command line as a user runs it: a real process, real files, exit codes, output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import DEFAULT_FILE, ENV_VAR

from ..conftest import FIXTURE_CONFIG, REPORTS, ROOT
from ..unit.test_golden import comparable

CLI = [sys.executable, "-m", "dirsync_bridge"]
NOT_CONFIG = "not a configuration file"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_parse_json_on_the_whole_corpus_matches_every_golden_file() -> None:
    done = run("--config", str(FIXTURE_CONFIG), "parse", "--format", "json", "fixtures/reports")
    assert done.returncode == 1, done.stderr  # the corpus holds hostile mail on purpose
    assert "Traceback" not in done.stderr
    results = {item["source"]: item for item in json.loads(done.stdout)}
    golden = {
        str(p.relative_to(ROOT)): json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))
        for p in sorted(REPORTS.glob("*.eml"))
    }
    assert results.keys() == golden.keys()
    for source, expected in golden.items():
        assert comparable(results[source]) == comparable(expected), source
    rejected = [s for s, item in results.items() if item["status"] == "rejected"]
    for source in rejected:
        assert f"rejected {source}:" in done.stderr


def test_table_fits_80_columns_and_ends_with_a_summary() -> None:
    done = run("parse", "fixtures/reports")
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[-1].endswith("rejected")
    assert " parsed (" in lines[-1]


def test_exit_0_when_everything_parsed(tmp_path: Path) -> None:
    good = next(
        p
        for p in sorted(REPORTS.glob("*.eml"))
        if json.loads(p.with_suffix(".json").read_text())["status"] == "parsed"
        and "forward" not in p.name
    )
    done = run("parse", "--format", "json", str(good))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["status"] == "parsed"


def test_mbox_of_many_messages(tmp_path: Path) -> None:
    parsed = [
        p
        for p in sorted(REPORTS.glob("*.eml"))
        if json.loads(p.with_suffix(".json").read_text())["status"] == "parsed"
        and "forward" not in p.name
    ][:5]
    mbox = tmp_path / "archive.mbox"
    with mbox.open("wb") as out:
        for path in parsed:
            out.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2015\n")
            body = path.read_bytes().replace(b"\r\n", b"\n")
            out.write(body.replace(b"\nFrom ", b"\n>From ") + b"\n")
    done = run("parse", "--format", "json", str(mbox))
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert [i["source"] for i in items] == [f"{mbox}#{n}" for n in range(1, len(parsed) + 1)]
    expected = [json.loads(p.with_suffix(".json").read_text()) for p in parsed]
    assert [len(i["errors"]) for i in items] == [len(e["errors"]) for e in expected]


def test_directory_without_reports_is_named_and_exits_1(tmp_path: Path) -> None:
    done = run("parse", str(tmp_path))
    assert done.returncode == 1
    assert "no .eml or .mbox files" in done.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["parse"], "PATH...: missing: dirsync-bridge parse needs it"),
        (["parse", "does/not/exist.eml"], "does not exist"),
        (["parse", "--format", "xml", "fixtures"], "--format: 'xml' is not one of"),
    ],
)
def test_usage_errors_exit_2(args: list[str], needle: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr  # one line, not click's block


def test_config_error_names_file_and_key_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[trust]\nforwarder = []\n")
    done = run("--config", str(config), "parse", "fixtures/reports")
    assert done.returncode == 2
    assert done.stderr.strip() == f"dirsync-bridge: error: {config}: trust.forwarder: unknown key"


def test_config_from_environment_variable(tmp_path: Path) -> None:
    config = tmp_path / "env.toml"
    config.write_text("[parse]\nmax_message_bytes = 100\n")
    done = subprocess.run(
        [*CLI, "parse", "--format", "json", "fixtures/reports"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"DIRSYNC_BRIDGE_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    items = json.loads(done.stdout)
    assert {i["reason"].split(":")[0] for i in items if i["reason"]} <= {"too-large", "empty"}


def test_json_log_format_gives_one_json_object_per_line() -> None:
    done = run("--log-format", "json", "parse", "fixtures/reports")
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines
    assert all(json.loads(line)["level"] == "warning" for line in lines)


def test_help_explains_every_command() -> None:
    done = run("--help")
    assert done.returncode == 0
    assert "parse" in done.stdout and "Exit codes" in done.stdout
    assert "mbox" in run("parse", "--help").stdout


# ---------------------------------------------------------------------------------------------
# replay and tickets


def _state_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text(
        f'[state]\npath = "state/state.db"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n{extra}'
    )
    return config


def test_replay_then_tickets_json_follows_the_contract(tmp_path: Path) -> None:
    config = _state_config(tmp_path)
    done = run("--config", str(config), "replay", "--format", "json", "fixtures/reports")
    assert done.returncode == 1  # the hostile fixtures
    summary = json.loads(done.stdout)
    assert summary["time"].endswith("Z")
    assert summary["messages"] == {
        "parsed": 33,
        "rejected": 11,  # the hostile fixtures and the truncated one
        "already_seen": 0,
        "unreadable": 0,
        "ignored": 0,  # only a mailbox pass ignores mail
        "named_for_earlier": 0,  # no pass stopped before naming its rejections
    }
    assert summary["tickets"]["created"] > 30
    assert (tmp_path / "state" / "state.db").is_file()  # relative to the config file

    listed = run("--config", str(config), "tickets", "--status", "all", "--format", "json")
    assert listed.returncode == 0
    tickets = json.loads(listed.stdout)
    assert len(tickets) == summary["tickets"]["created"]
    assert set(tickets[0]) == {
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
    }
    assert all(len(t["fingerprint"]) == 64 and t["status"] in ("open", "resolved") for t in tickets)
    assert all(t["first_seen"].endswith("Z") for t in tickets)
    open_only = json.loads(run("--config", str(config), "tickets", "--format", "json").stdout)
    assert open_only == [t for t in tickets if t["status"] == "open"]

    again = run("--config", str(config), "replay", "fixtures/reports")
    assert again.returncode == 0
    assert "0 parsed, 0 rejected, 44 already seen" in again.stdout
    assert "0 created, 0 commented, 0 resolved, 0 reopened, 0 updated" in again.stdout


def test_replay_dry_run_prints_the_plan_and_creates_no_state(tmp_path: Path) -> None:
    config = _state_config(tmp_path)
    done = run(
        "--config", str(config), "replay", "--dry-run", "fixtures/reports/aadsync_th_thead.eml"
    )
    assert done.returncode == 0, done.stderr
    assert "Dry run: nothing was written" in done.stdout
    assert "  would create a ticket: [dirsync] " in done.stdout
    assert not (tmp_path / "state").exists()


def test_a_second_run_while_one_holds_the_lock_exits_75(tmp_path: Path) -> None:
    from dirsync_bridge.ledger.lock import RunLock

    config = _state_config(tmp_path)
    with RunLock(tmp_path / "state" / "run.lock"):
        done = run("--config", str(config), "replay", "fixtures/reports")
    assert done.returncode == 75
    assert "another dirsync-bridge run holds" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_broken_template_stops_the_run_before_any_write(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "summary.txt.j2").write_text("{{ t.no_such_field }}")
    config = _state_config(tmp_path, '[tickets]\ntemplates = "templates"\n')
    done = run("--config", str(config), "replay", "fixtures/reports")
    assert done.returncode == 2
    assert "summary.txt.j2" in done.stderr and "[tickets] templates" in done.stderr
    assert not (tmp_path / "state").exists()  # nothing opened, nothing written


def test_parse_enrich_adds_the_facts_to_every_error_and_writes_nothing(tmp_path: Path) -> None:
    report = REPORTS / "aadsync_th_thead.eml"
    done = run("parse", "--enrich", "--format", "json", str(report), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (parsed,) = json.loads(done.stdout)
    for error in parsed["errors"]:
        facts = error["enrichment"]
        # design.md's four keys, and looked_up: the directories that answered (none here).
        assert set(facts) == {"holders", "rule_hits", "advice", "unavailable", "looked_up"}
        assert facts["advice"]["code"] == "unknown"  # no directory configured to look in
        assert facts["looked_up"] == []
    assert list(tmp_path.iterdir()) == []

    table = run("parse", "--enrich", str(report), cwd=tmp_path)
    assert table.returncode == 2 and "--enrich: needs --format json" in table.stderr


# ---------------------------------------------------------------------------------------------
# Configuration errors as a user meets them: exit 2, one line per problem, file and key named


def _lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ('[tickets]\nreopen_within = "30d"\n'.encode("utf-16"), "(file)"),
        (b'[tickets]\nreopen_within = "99999999999d"\n', "tickets.reopen_within"),
        (b"[jira]\ntimeout = inf\n", "jira.timeout"),
        (b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n", "(file)"),
        (b'[graph]\nca_bundle = "nope.pem"\n', "graph.ca_bundle"),
        (
            b'[graph]\ncertificate_path = "c.toml"\ncertificate_thumbprint = "'
            + b"AB" * 20  # a thumbprint's shape (40 hex digits): the path is the one problem
            + b'"\n',
            "graph.certificate_path",
        ),
    ],
)
def test_config_files_that_used_to_crash_exit_2_in_one_line(
    tmp_path: Path, content: bytes, key: str
) -> None:
    config = tmp_path / "c.toml"
    config.write_bytes(content)
    done = run("--config", str(config), "parse", "fixtures/reports/aadsync_th_thead.eml")
    assert done.returncode == 2, done.stderr
    (line,) = _lines(done.stderr)
    assert line.startswith(f"dirsync-bridge: error: {config}: {key}: "), line
    assert done.stdout == ""


@pytest.mark.parametrize("how", ["--config", "env"])
def test_a_config_file_that_is_a_fifo_is_one_line_and_exit_2_not_a_hang(
    tmp_path: Path, how: str
) -> None:
    fifo = tmp_path / "c.toml"
    os.mkfifo(fifo)  # nobody ever writes to it: opened plainly, every command would hang
    args = ["--config", str(fifo)] if how == "--config" else []
    env = {**os.environ, ENV_VAR: str(fifo)} if how == "env" else None
    done = subprocess.run(
        [*CLI, *args, "tickets"], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 2, done.stderr
    (line,) = _lines(done.stderr)
    assert line == f"dirsync-bridge: error: {fifo}: (file): is a named pipe (FIFO), {NOT_CONFIG}"


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("a dangling link", "is a link to {target}, which does not exist"),
        ("a directory", "is a directory, not a configuration file"),
        ("a FIFO", "is a named pipe (FIFO), not a configuration file"),
    ],
)
def test_a_local_config_that_cannot_be_read_is_an_error_not_the_defaults(
    tmp_path: Path, kind: str, says: str
) -> None:
    local, target = tmp_path / DEFAULT_FILE, tmp_path / "deployed" / "dirsync-bridge.toml"
    if kind == "a dangling link":
        local.symlink_to(target)  # the deployed file was removed
    elif kind == "a directory":
        local.mkdir()
    else:
        os.mkfifo(local)
    done = run("tickets", cwd=tmp_path)
    # Not "0 tickets" from a fresh ledger under ./.dirsync-bridge, as if nothing were set up.
    assert done.returncode == 2, (done.stdout, done.stderr)
    (line,) = _lines(done.stderr)
    assert line == f"dirsync-bridge: error: {local}: (file): {says.format(target=target)}"
    assert not (tmp_path / ".dirsync-bridge").exists()


def test_every_config_error_is_reported_at_once_one_line_each(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[trust]\nforwarder = []\n[tickets]\nreopen_within = "a month"\n'
        '[sink]\nkind = "jria"\n[jira]\npriority = { duplicat = "High" }\n'
    )
    done = run("--config", str(config), "parse", "fixtures/reports")
    assert done.returncode == 2
    lines = _lines(done.stderr)
    assert [line.split(": ")[3] for line in lines] == [
        "trust.forwarder",
        "tickets.reopen_within",
        "sink.kind",
        "jira.priority",
    ]
    assert all(line.startswith(f"dirsync-bridge: error: {config}: ") for line in lines)
    assert "Input should" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["parse", "replay", "run", "tickets", "doctor"])
def test_command_help_works_when_the_config_is_broken(tmp_path: Path, command: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[trust\n")
    done = run("--config", str(config), command, "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage: " in done.stdout and command in done.stdout
    # Without --help the broken file still stops the command.
    assert run("--config", str(config), command).returncode == 2


def test_adapter_config_errors_name_the_file_that_was_loaded(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[state]\npath = "{tmp_path / "state.db"}"\n'
        '[graph]\ntenant_id = "t"\nclient_id = "c"\nclient_secret_env = "NO_SUCH_VARIABLE_X"\n'
        '[source.mailbox]\nmailbox = "dirsync@contoso.com"\n'
    )
    done = run("--config", str(config), "run")
    assert done.returncode == 2
    (line,) = _lines(done.stderr)
    assert line.startswith(f"dirsync-bridge: error: {config}: [graph] client_secret_env: ")
    assert "built-in defaults" not in done.stderr


def test_a_secret_pasted_into_an_env_key_is_never_echoed(tmp_path: Path) -> None:
    secret = "ATATT3xFfGF0-s3cr3t/Value+With=Symbols"
    config = tmp_path / "c.toml"
    config.write_text(f'[jira]\ntoken_env = "{secret}"\n')
    for args in (["parse", "fixtures/reports"], ["-vv", "doctor"]):
        done = run("--config", str(config), *args)
        assert done.returncode == 2
        assert "jira.token_env" in done.stderr
        assert secret not in done.stderr + done.stdout
        assert "ATATT3x" not in done.stderr + done.stdout


# ---------------------------------------------------------------------------------------------
# Logs


def test_json_logs_cover_the_fatal_line(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[trust]\nforwarder = []\n[sink]\nkind = "x"\n')
    done = run("--log-format", "json", "--config", str(config), "parse", "fixtures/reports")
    assert done.returncode == 2
    records = [json.loads(line) for line in _lines(done.stderr)]
    assert [r["level"] for r in records] == ["error", "error"]
    assert records[0]["message"] == f"{config}: trust.forwarder: unknown key"
    assert all(r["time"].endswith("Z") or "+00:00" in r["time"] for r in records)


def test_json_logs_cover_usage_errors_after_the_global_options() -> None:
    done = run("--log-format", "json", "parse", "--format", "xml", "fixtures")
    assert done.returncode == 2
    (record,) = [json.loads(line) for line in _lines(done.stderr)]
    assert record["level"] == "error" and "--format" in record["message"]
    assert "'xml' is not one of" in record["message"]


def test_each_rejection_is_logged_once_with_verbose(tmp_path: Path) -> None:
    for args in (
        ["-v", "parse", "fixtures/reports"],
        ["-v", "--config", str(_state_config(tmp_path)), "replay", "fixtures/reports"],
    ):
        done = run(*args)
        assert done.returncode == 1
        rejected = [line for line in done.stderr.splitlines() if "rejected fixtures/" in line]
        assert rejected, args
        assert len(set(rejected)) == len(rejected), args


def _large_report(tmp_path: Path, rows: int) -> Path:
    from datetime import UTC, datetime

    from ..reportgen import LARGE, duplicate, report_email

    path = tmp_path / "large.eml"
    path.write_bytes(
        report_email(
            "Contoso",
            datetime(2016, 1, 4, tzinfo=UTC),
            [
                (f"u{n}@contoso.com", LARGE if n % 3 else duplicate("Mail", f"u{n}@contoso.com"))
                for n in range(rows)
            ],
            "large@contoso.com",
        )
    )
    return path


def test_a_report_of_more_errors_than_a_batch_prints_as_one_json_object_and_one_table(
    tmp_path: Path,
) -> None:
    from dirsync_bridge.output import result_lines
    from dirsync_bridge.parse.message import parse_message

    path = _large_report(tmp_path, 1_234)  # its errors are made 500 at a time
    report = parse_message(path.read_bytes(), str(path))
    done = run("parse", "--format", "json", str(path))
    assert done.returncode == 0, done.stderr
    [printed] = json.loads(done.stdout)
    assert printed == report.to_json_dict()
    assert len(printed["errors"]) == 1_234
    done = run("parse", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:-1] == list(result_lines(report))
