"""Input conveniences as a user meets them: a message piped in, Outlook files, the
configuration found under $XDG_CONFIG_HOME and named by doctor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..conftest import REPORTS, ROOT

CLI = [sys.executable, "-m", "dirsync_bridge"]
REPORT = REPORTS / "aadsync_th_thead.eml"
OLE = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504


def run(
    *args: str, stdin: bytes = b"", cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*CLI, *args], cwd=cwd, input=stdin, capture_output=True, timeout=120, env=env, check=False
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text(f'[state]\npath = "state/state.db"\n{extra}')
    return config


def test_parse_dash_reads_the_message_piped_in() -> None:
    done = run("parse", "--format", "json", "-", stdin=REPORT.read_bytes())
    assert done.returncode == 0, done.stderr
    (item,) = json.loads(done.stdout)
    assert item["source"] == "<stdin>" and item["status"] == "parsed"
    expected = json.loads(REPORT.with_suffix(".json").read_text())
    assert len(item["errors"]) == len(expected["errors"])


def test_replay_dash_then_the_same_file_is_already_seen_by_its_bytes(tmp_path: Path) -> None:
    config = _config(tmp_path)
    piped = run("--config", str(config), "replay", "-", stdin=REPORT.read_bytes())
    assert piped.returncode == 0, piped.stderr
    assert "1 read: 1 parsed" in piped.stdout and "3 created" in piped.stdout
    again = run("--config", str(config), "replay", str(REPORT))
    assert again.returncode == 0, again.stderr
    assert "1 already seen" in again.stdout and "0 created" in again.stdout


def test_a_ticket_from_standard_input_names_the_report_by_subject_and_date(
    tmp_path: Path,
) -> None:
    # It read "Report: <stdin>", which names nothing a helpdesk agent can find.
    config = _config(tmp_path)
    assert run("--config", str(config), "replay", "-", stdin=REPORT.read_bytes()).returncode == 0
    shown = run("--config", str(config), "tickets", "show", "LOCAL-1", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    description = json.loads(shown.stdout)["description"]
    (line,) = [x for x in description.splitlines() if x.startswith("Report:")]
    assert "<stdin>" not in line and line.startswith('Report: "') and " UTC" in line, line


def test_a_message_over_the_limit_on_standard_input_is_too_large(tmp_path: Path) -> None:
    config = _config(tmp_path, "[parse]\nmax_message_bytes = 1000\n")
    done = run("--config", str(config), "replay", "-", stdin=REPORT.read_bytes())
    assert done.returncode == 1
    assert "rejected <stdin>: too-large: the message is over [parse] max_message_bytes (1000)" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


def test_a_folder_of_outlook_files_gets_one_line_on_how_to_export_them(tmp_path: Path) -> None:
    folder = tmp_path / "exported"
    folder.mkdir()
    for n in range(3):
        (folder / f"report {n}.msg").write_bytes(OLE)
    done = run("parse", str(folder))
    assert done.returncode == 1
    lines = [x for x in done.stderr.splitlines() if "Outlook" in x]
    assert lines == [
        f"dirsync-bridge: rejected {folder}: unreadable: 3 Outlook .msg files not read (not "
        "MIME mail); save as .eml: drag the messages from Outlook on the web or the new Outlook "
        "into a folder, or convert with msgconvert (Debian package libemail-outlook-message-perl)"
    ]


def test_the_configuration_in_xdg_config_home_is_used_and_doctor_names_it(tmp_path: Path) -> None:
    home = tmp_path / "xdg"
    config = home / "dirsync-bridge" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[state]\npath = "state/state.db"\n')
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "XDG_CONFIG_HOME": str(home)}
    done = run("replay", str(REPORT), cwd=work, env=env)
    assert done.returncode == 0, done.stderr
    assert (config.parent / "state" / "state.db").is_file()  # next to the file found
    doctor = run("doctor", cwd=work, env=env)
    assert doctor.returncode == 0, doctor.stdout
    assert doctor.stdout.splitlines()[0].startswith(f"ok   config: {config}; sink local; ledger ")


def test_the_homes_config_is_used_when_xdg_config_home_is_unset(tmp_path: Path) -> None:
    config = tmp_path / ".config" / "dirsync-bridge" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[sink]\nkind = "jira"\n')  # no [jira]: an error naming this file
    env = {k: v for k, v in os.environ.items() if k != "XDG_CONFIG_HOME"}
    env["HOME"] = str(tmp_path)
    done = run("doctor", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert str(config) in done.stderr + done.stdout


def test_doctor_without_a_file_names_every_place_it_looked(tmp_path: Path) -> None:
    done = run("doctor", cwd=tmp_path)
    first = done.stdout.splitlines()[0]
    assert first.startswith("ok   config: no file (built-in defaults; looked for --config, ")
    assert "$XDG_CONFIG_HOME/dirsync-bridge/config.toml" in first
    assert "/etc/dirsync-bridge/config.toml" in first
