"""The progress bar: on a terminal's stderr (a real pty), with its total and ETA; never on a
pipe, nor among ``--log-format json`` lines."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from ..conftest import REPORTS
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_SECRET, MAILBOX
from .test_cli_provisioning import config_file as graph_config
from .test_cli_provisioning import quarantine
from .test_cli_run import deliver

CLI = [sys.executable, "-m", "dirsync_bridge"]
FRAME = re.compile(r"\r(replay|run) +(\d+)%\|[^|]*\| (\d+)/(\d+) \[\d\d:\d\d, ETA (\d\d:\d\d|\?)")
ERASED = re.compile(r"\r +\r")


def on_a_terminal(
    *args: str, columns: int = 0, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Run the CLI with stderr on a new pty (``columns`` wide; 0: a size never set, as a
    fresh pty or a serial console reports); its exit code, stdout, and what the pty got."""
    master, slave = pty.openpty()
    if columns:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    got: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the slave side closed it
                return
            if not chunk:
                return
            got.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        done = subprocess.run(
            [*CLI, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=120,
            check=False,
            env={**os.environ, **(env or {})},
        )
    finally:
        os.close(slave)
        reader.join(10)
        os.close(master)
    return done.returncode, done.stdout.decode(), b"".join(got).decode()


def config(tmp_path: Path) -> Path:
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    return path


@pytest.mark.parametrize("columns", [0, 120])
def test_replay_on_a_terminal_draws_a_bar_with_its_total_and_eta_then_erases_it(
    tmp_path: Path, columns: int
) -> None:
    code, stdout, terminal = on_a_terminal(
        "--config", str(config(tmp_path)), "replay", str(REPORTS), columns=columns
    )
    assert code == 1, terminal
    frames = FRAME.findall(terminal)
    assert frames, terminal
    # The total is known before the first message is read: every frame says 44.
    assert {frame[3] for frame in frames} == {"44"}
    assert any(frame[4] != "?" for frame in frames)  # an ETA, once the first message is read
    assert max(int(frame[2]) for frame in frames) >= 1
    assert ERASED.search(terminal)
    drawn = [part for part in terminal.split("\r") if part.startswith("replay ")]
    assert drawn and all(len(part) <= (columns or 80) for part in drawn)
    # The summary is stdout's, whole; the rejected are named on stderr after the bar.
    assert stdout.startswith("messages: 44 read: 31 parsed, 13 rejected")
    assert "dirsync-bridge: rejected" in terminal.split(ERASED.findall(terminal)[-1])[-1]


def test_an_mbox_adds_its_messages_to_the_total_once_indexed(tmp_path: Path) -> None:
    mbox = tmp_path / "archive.mbox"
    with mbox.open("wb") as out:
        for path in sorted(REPORTS.glob("aad*.eml"))[:5]:
            out.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2015\n")
            body = path.read_bytes().replace(b"\r\n", b"\n")
            out.write(body.replace(b"\nFrom ", b"\n>From ") + b"\n")
    single = REPORTS / "aadsync_th_thead.eml"
    code, _, terminal = on_a_terminal(
        "--config", str(config(tmp_path)), "replay", str(mbox), str(single)
    )
    assert code == 0, terminal
    totals = [int(frame[3]) for frame in FRAME.findall(terminal)]
    assert totals[0] == 2 and totals[-1] == 6  # two files; then the mbox's five messages


def test_no_bar_when_stderr_is_a_pipe(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "--config", str(config(tmp_path)), "replay", str(REPORTS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "\r" not in done.stderr and "ETA" not in done.stderr
    assert all(line.startswith("dirsync-bridge: ") for line in done.stderr.splitlines())


def test_no_bar_among_json_log_lines_even_on_a_terminal(tmp_path: Path) -> None:
    code, _, terminal = on_a_terminal(
        "--config", str(config(tmp_path)), "--log-format", "json", "replay", str(REPORTS)
    )
    assert code == 1
    assert not FRAME.search(terminal)
    lines = terminal.replace("\r\n", "\n").splitlines()
    assert lines and all(json.loads(line)["event"] for line in lines)


def test_run_on_a_terminal_counts_the_listed_messages_and_the_scan_s_errors(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    deliver(graph_sim)
    quarantine(graph_sim, "ann@contoso.com", "bob@contoso.com")
    path = graph_config(tmp_path, graph_sim)  # the scan alone; the mailbox too:
    path.write_text(path.read_text() + f'[source.mailbox]\nmailbox = "{MAILBOX}"\n')
    code, stdout, terminal = on_a_terminal(
        "--config", str(path), "run", env={"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}
    )
    assert code == 0, terminal
    frames = FRAME.findall(terminal)
    assert frames and frames[0][0] == "run"
    assert int(frames[-1][3]) == 3  # one message listed, then two errors found by the scan
    assert stdout.startswith("run: 1 new message(s)")


def test_every_input_counts_once_whether_read_or_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "junk.eml").write_bytes(b"")
    code, _, terminal = on_a_terminal(
        "--config",
        str(config(tmp_path)),
        "replay",
        str(empty),
        str(tmp_path / "junk.eml"),
        str(REPORTS / "aadsync_th_thead.eml"),
    )
    assert code == 1, terminal
    frames = FRAME.findall(terminal)
    # Three inputs, one message read: the bar ends at 1 of 3, never past its total.
    assert {frame[3] for frame in frames} == {"3"}
    assert all(int(frame[2]) <= 3 for frame in frames)
