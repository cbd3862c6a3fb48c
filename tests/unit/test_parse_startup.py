"""``parse`` starts without what only other commands use: the ports' ticket models and the
pass's metrics (issue 11: start-up was some 40% of a whole-process parse of a large report).

Each module listed here was loaded by every ``parse`` once and builds pydantic models or
dataclasses when imported; ``parse`` reads files into ``raw_message.RawMessage``s and
needs none of them. The probe runs the console entry point in a fresh interpreter and
looks at ``sys.modules`` when it has finished: structure, not a timing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import REPORTS

NOT_FOR_PARSE = (
    "dirsync_bridge.ports",
    "dirsync_bridge.port_values",
    "dirsync_bridge.ledger_ports",
    "dirsync_bridge.metrics",
    "dirsync_bridge.ledger",
    "dirsync_bridge.run_summary",
    "sqlite3",
)
"""Loaded by the pass and ticket commands (``run``, ``replay``, ``tickets``), not by ``parse``
(``run_summary``: a pass's counts, its dataclasses built at import, named by ``output`` for
typing only)."""


def _loaded_after(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Run ``dirsync-bridge ARGS`` as the console script does; its exit code and which of
    ``NOT_FOR_PARSE`` it left in ``sys.modules``."""
    code = (
        "import sys\n"
        "from dirsync_bridge.__main__ import main\n"
        f"sys.argv = ['dirsync-bridge', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    code = done.code\n"
        f"loaded = sorted(m for m in {NOT_FOR_PARSE!r} if m in sys.modules)\n"
        "print(code)\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    assert done.returncode == 0, done.stderr
    exit_code, loaded = done.stdout.splitlines()[-2:]
    return int(exit_code), [name for name in loaded.split(",") if name]


@pytest.mark.parametrize("output", ["table", "json"])
def test_parse_of_a_report_loads_no_pass_or_ticket_module(output: str, tmp_path: Path) -> None:
    report = REPORTS / "aadsync_th_thead.eml"
    code, loaded = _loaded_after(["parse", "--format", output, str(report)], tmp_path)
    assert code == 0
    assert loaded == []


def test_parse_of_a_rejected_input_loads_no_pass_or_ticket_module(tmp_path: Path) -> None:
    # A rejection is said through ``Rejections``: that path must not load them either.
    junk = tmp_path / "not-a-report.eml"
    junk.write_bytes(b"Subject: hello\r\n\r\nnothing to see\r\n")
    code, loaded = _loaded_after(["parse", str(junk)], tmp_path)
    assert code == 1
    assert loaded == []


def test_the_probe_sees_a_pass_command_load_them(tmp_path: Path) -> None:
    """The same probe on ``tickets`` (which reads the ledger) does see them: it can fail."""
    code, loaded = _loaded_after(["tickets"], tmp_path)
    assert "dirsync_bridge.ports" in loaded, (code, loaded)
