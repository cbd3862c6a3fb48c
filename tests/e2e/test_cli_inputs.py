"""Hostile input files through the command line: a real process, real FIFOs, devices, names.

The timeouts here are a safety net so that a regression fails instead of hanging the suite;
no test asserts on how long anything takes.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dirsync_bridge import terminal

from ..conftest import REPORTS
from ..reportgen import duplicate, report_email
from ..unit.test_files import nest

CLI = [sys.executable, "-m", "dirsync_bridge"]
REPORT = REPORTS / "aadsync_th_thead.eml"
SAFETY_TIMEOUT = 120


def cli(
    tmp_path: Path, *args: str, memory: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    config = tmp_path / "dirsync-bridge.toml"
    if not config.exists():
        config.write_text('[state]\npath = "state/state.db"\n')

    def limit_memory() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [*CLI, "--config", str(config), *args],
        capture_output=True,
        timeout=SAFETY_TIMEOUT,
        check=False,
        preexec_fn=limit_memory,
        cwd=tmp_path,
    )


def test_replay_rejects_a_fifo_named_eml_and_tickets_the_rest(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.mkfifo(inbox / "x.eml")
    (inbox / "y.eml").write_bytes(REPORT.read_bytes())
    done = cli(tmp_path, "replay", str(inbox))
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert f"rejected {inbox / 'x.eml'}: unreadable: not a regular file (a FIFO)" in stderr
    assert "3 created" in done.stdout.decode()


def test_replay_rejects_a_link_to_dev_zero_without_reading_it(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "zero.eml").symlink_to("/dev/zero")
    (inbox / "y.eml").write_bytes(REPORT.read_bytes())
    # 1 GiB of address space: far more than a run needs, far less than reading /dev/zero.
    done = cli(tmp_path, "replay", str(inbox), memory=1 << 30)
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert "zero.eml: unreadable: not a regular file (a character device)" in stderr
    assert "3 created" in done.stdout.decode()


def test_a_name_that_is_not_utf8_is_ticketed_and_printed_as_valid_utf8(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raw_name = bytes(inbox) + b"/caf\xe9-report.eml"  # Latin-1, as an old archive may hold
    Path(os.fsdecode(raw_name)).write_bytes(REPORT.read_bytes())
    shown = f"{inbox}/caf\\xe9-report.eml"

    parsed = cli(tmp_path, "parse", "--format", "json", str(inbox))
    assert parsed.returncode == 0, parsed.stderr
    (item,) = json.loads(parsed.stdout.decode("utf-8"))  # strict: valid UTF-8 or it raises
    assert item["source"] == shown and item["status"] == "parsed"
    table = cli(tmp_path, "parse", "inbox")  # relative: short enough for 80 columns
    assert table.returncode == 0
    assert table.stdout.decode("utf-8").startswith("inbox/caf\\xe9-report.eml  Contoso")

    for attempt in range(2):  # the same on every rerun
        done = cli(tmp_path, "replay", "--format", "json", str(inbox))
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout.decode("utf-8"))
        assert summary["tickets"]["created"] == (3 if attempt == 0 else 0)
    listed = cli(tmp_path, "tickets", "--format", "json")
    assert listed.returncode == 0
    assert len(json.loads(listed.stdout.decode("utf-8"))) == 3


def test_a_rejected_file_whose_name_is_not_utf8_is_named_in_valid_utf8(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    Path(os.fsdecode(bytes(inbox) + b"/\xff.eml")).write_bytes(b"not a report")
    done = cli(tmp_path, "--log-format", "json", "replay", str(inbox))
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stderr.decode("utf-8").splitlines()]
    (rejected,) = [line for line in lines if line["event"] == "message-rejected"]
    assert f"rejected {inbox}/\\xff.eml: " in rejected["message"]


def test_a_subfolder_that_cannot_be_listed_is_named_and_the_rest_ticketed(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "locked").mkdir(parents=True)
    (inbox / "locked" / "hidden.eml").write_bytes(REPORT.read_bytes())
    (inbox / "y.eml").write_bytes(REPORT.read_bytes())
    (inbox / "locked").chmod(0)
    # Root reads any folder: drop the capabilities that let it, so the mode applies.
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    if os.geteuid() != 0:
        prefix = []
    elif shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make file modes apply to root")
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text('[state]\npath = "state/state.db"\n')
    try:
        done = subprocess.run(
            [*prefix, *CLI, "--config", str(config), "replay", str(inbox)],
            capture_output=True,
            text=True,
            timeout=SAFETY_TIMEOUT,
            check=False,
            cwd=tmp_path,
        )
    finally:
        (inbox / "locked").chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"dirsync-bridge: rejected {inbox / 'locked'}: unreadable: cannot list the directory: "
        "Permission denied\n"
    )
    assert "3 created" in done.stdout


# A report whose values carry terminal escape sequences: set the window title, clear the
# screen (ESC ] 0 ; ... BEL, ESC [ 2 J), and the 8-bit CSI (U+009B) some terminals obey.
HOSTILE_IDENTITY = "evil\x1b]0;pwned\x07\x1b[2J@contoso.com"
HOSTILE_TENANT = "Contoso\x9b2J Ltd"
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but the lines' own \t and \n


def test_escape_sequences_in_a_report_are_shown_escaped_never_sent_to_the_terminal(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = [(HOSTILE_IDENTITY, duplicate("ProxyAddresses", "SMTP:x@contoso.com"))]
    at = datetime(2024, 1, 1, tzinfo=UTC)
    (inbox / "r.eml").write_bytes(report_email(HOSTILE_TENANT, at, rows, "e@t"))
    shown = {
        "parse": cli(tmp_path, "parse", "inbox").stdout,
        "replay --dry-run": cli(tmp_path, "replay", "--dry-run", "inbox").stdout,
        "replay -v": cli(tmp_path, "-v", "replay", "inbox").stderr,
        "tickets": cli(tmp_path, "tickets").stdout,
    }
    # As the parser keeps them (JSON escapes them the JSON way: scripts see the values).
    (parsed,) = json.loads(cli(tmp_path, "parse", "--format", "json", "inbox").stdout)
    identity, tenant = parsed["errors"][0]["identity"], parsed["tenant"]
    assert "\x1b]0;pwned\x07" in identity and "\x9b" in tenant
    for name, output in shown.items():
        text = output.decode("utf-8")
        assert not CONTROLS.search(text), (name, text)
        assert "\\x1b" in text, (name, text)  # what the report holds, shown (tables may clip it)
    for name in ("parse", "replay -v"):
        assert terminal.shown(identity) in shown[name].decode(), name
    assert terminal.shown(tenant) in shown["parse"].decode()
    listed = json.loads(cli(tmp_path, "tickets", "--format", "json").stdout)
    assert [(t["identity"], t["tenant"]) for t in listed] == [(identity, tenant)]


def test_a_folder_nested_a_thousand_deep_is_parsed_and_ticketed_whole(tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    shutil.copy(REPORT, mail / "top.eml")
    nest(mail, 1_100, (REPORTS / "aadsync_plaintext_only.eml").read_bytes())
    try:
        parsed = cli(tmp_path, "parse", "mail")
        assert b"Traceback" not in parsed.stderr, parsed.stderr[-300:]  # was a RecursionError
        assert parsed.returncode == 0, parsed.stderr
        assert parsed.stdout.decode().splitlines()[-1].startswith("2 messages: 2 parsed")
        replayed = cli(tmp_path, "replay", "mail")
        assert replayed.returncode == 0, replayed.stderr
        assert b"messages: 2 read: 2 parsed" in replayed.stdout
    finally:
        subprocess.run(["rm", "-rf", str(mail)], check=True)  # rmtree recurses per folder
