"""(k) Peak memory per message: the largest report ``[parse] max_message_bytes`` lets in.

A report of the default limit (25 MiB) is parsed by ``dirsync-bridge parse --format json``
(alone, then three of them in one run: memory must not grow with the messages read) and
replayed by ``dirsync-bridge replay`` into the local store; then the same report dated 3
more days is replayed in one run onto that ledger (memory must grow with neither the history
nor the messages read). Each is a whole command in a fresh process. Peak memory is that
process's own high-water mark (``VmHWM`` of /proc/self/status, read at exit). The base is
measured in the same run: a fresh process that imports exactly the modules the command had
loaded by its end, and does nothing else. The figure is (peak - base) / message size;
target <= 5.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.corpus import report_filling
from dirsync_bridge.parse.message import DEFAULT_MAX_MESSAGE_BYTES

TARGET = 5.0
MIB = 1024 * 1024

# Runs the command line in this process (so that its VmHWM is the command's own), then at
# exit writes the high-water mark and every module loaded. ru_maxrss of a child would also
# count the parent's pages held between fork and exec.
_COMMAND = """
import atexit, json, re, sys
from pathlib import Path
result = sys.argv[1]
def _report():
    status = Path("/proc/self/status").read_text()
    peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
    Path(result).write_text(json.dumps({"peak_kib": peak, "modules": sorted(sys.modules)}))
atexit.register(_report)
sys.argv = ["dirsync-bridge", *sys.argv[2:]]
from dirsync_bridge.__main__ import main
main()
"""

# The base: the same modules imported, nothing run.
_BASE = """
import importlib, json, re, sys
from pathlib import Path
for name in json.loads(Path(sys.argv[1]).read_text())["modules"]:
    try:
        importlib.import_module(name)
    except Exception:  # a module that only imports as a side effect of another: loaded by it
        pass
status = Path("/proc/self/status").read_text()
print(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
"""


def _command_peak(args: list[str], cwd: str) -> tuple[int, int]:
    """Peak KiB of one command run in a fresh process, and the peak KiB of its base."""
    result = Path(cwd) / "peak.json"
    done = subprocess.run(
        [sys.executable, "-c", _COMMAND, str(result), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=cwd,
    )
    if done.returncode not in (0, 1):  # 1: some inputs rejected (none should be)
        raise SystemExit(f"bench: {args[0]} exited {done.returncode}: {done.stderr[-2000:]!r}")
    measured: dict[str, Any] = json.loads(result.read_text())
    base = subprocess.run(
        [sys.executable, "-c", _BASE, str(result)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
    )
    return measured["peak_kib"], int(base.stdout)


def _line(what: str, size: int, peak_kib: int, base_kib: int) -> str:
    ratio = (peak_kib - base_kib) * 1024 / size
    return (
        f"peak memory, {what} of a {size / MIB:.1f} MiB report: {peak_kib / 1024:.0f} MiB, "
        f"base {base_kib / 1024:.0f} MiB, (peak - base) / message {ratio:.1f}x "
        f"(target <= {TARGET:.0f}x)"
    )


def bench_memory(limit: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
    """Print the peak-memory figures of ``parse --format json`` and ``replay``."""
    raw = report_filling(limit)
    rows = raw.count(b"<tr>") - 1
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "largest.eml"
        report.write_bytes(raw)
        (Path(tmp) / "config.toml").write_text('[state]\npath = "state/state.db"\n')
        parse = _command_peak(["parse", "--format", "json", str(report)], tmp)
        print(_line(f"parse --format json ({rows:,} rows)", len(raw), *parse))
        several = Path(tmp) / "three"
        several.mkdir()
        for number in range(3):
            (several / f"{number}.eml").write_bytes(raw)
        three = _command_peak(["parse", "--format", "json", str(several)], tmp)
        print(
            _line("parse --format json, three of them in one run,", len(raw), *three)
            + f"; vs one: {three[0] / parse[0]:.2f} (flat = 1.0)"
        )
        config = ["--config", str(Path(tmp) / "config.toml")]
        replay = _command_peak([*config, "replay", str(report)], tmp)
        print(_line("replay into the local store", len(raw), *replay))
        # The same report on the next three days, replayed in one run into that ledger (which
        # now holds its 70,000 problems, their tickets and history): memory must grow with
        # neither the history nor the messages read.
        later = Path(tmp) / "later"
        later.mkdir()
        for day in (1, 2, 3):
            (later / f"{day}.eml").write_bytes(next_day(raw, day))
        more = _command_peak([*config, "replay", str(later)], tmp)
        print(
            _line("replay of 3 more days of it, onto its history,", len(raw), *more)
            + f"; vs one: {more[0] / replay[0]:.2f} (flat = 1.0)"
        )


def next_day(raw: bytes, days: int) -> bytes:
    """The report ``days`` later (its Date and Message-ID), listing the same rows."""
    head, sep, body = raw.partition(b"\n\n")
    date = re.search(rb"^Date: \w+, (\d+) ", head, re.MULTILINE)
    assert date is not None
    day = int(date.group(1)) + days
    head = head[: date.start(1)] + b"%02d" % day + head[date.end(1) :]
    # The same length: a report of the limit stays within it.
    head = head.replace(b"Message-ID: <bench-", b"Message-ID: <bnch%d-" % days, 1)
    return head + sep + body


if __name__ == "__main__":  # python -m bench.memory_bench, from the repository root
    bench_memory()
