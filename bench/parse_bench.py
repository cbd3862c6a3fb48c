"""``parse`` as a user runs it: whole processes, start-up imports, and the envelope's share.

(g) ``dirsync-bridge parse --format json`` on the 10,000-row report (the installed console
    script, output to /dev/null) against a floor *process* (``bench/floor.py``: stdlib
    ``email`` + ``lxml.html`` on the same file). Median of 5 each, alternating, after one
    untimed run of each (which also checks that both found every row). Target: ratio <= 2.0.
(h) Start-up: a one-report ``parse`` as a whole process (start-up and exit, nothing else) as a
    share of the whole-process figure, and what it imports (``-X importtime``), heaviest named.
(i) The envelope step (``read_envelope``: From, Subject, Date, Message-ID, trust headers) as a
    share of the whole in-process parse of typical report emails. Target: <= 20%.
(j) Hostile 25 MB bodies, in-process CPU (best of 2): a plain-text body of paragraphs that
    each almost name an object against a benign one of the same size (target <= 3x); an
    HTML body of error tables each followed by text, 25 MB against a quarter of it (target
    <= 6: linear is 4, quadratic 16).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from bench.corpus import big_report_email
from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.parse.mime import read_envelope

ROOT = Path(__file__).resolve().parent.parent
FLOOR_SCRIPT = ROOT / "bench" / "floor.py"
ROWS = 10_000
PROCESS_RUNS = 5
# Direct reports of each era, as they arrive (HTML tables, quoted-printable, plain text).
TYPICAL = (
    "aadsync_th_thead",
    "aadconnect_onprem_object_id",
    "aadconnect_auth_results_pass",
    "azurenoreply_subject_date",
    "dirsync_object_errors_paragraphs",
)
# Imported by other commands only (design.md section 8): named when ``parse`` loads them.
NOT_FOR_PARSE = ("jira", "msal", "ldap3", "jinja2")


def _console_script() -> str:
    # The installed entry point beside this interpreter: what a user's shell runs.
    script = Path(sys.executable).with_name("dirsync-bridge")
    if not script.is_file():
        raise SystemExit(f"bench: {script} not found; run `make install` first")
    return str(script)


# Settings that make a process slower than a user's: without bytecode written, every run
# compiles every module again; unbuffered output writes in small pieces.
_NOT_A_USERS = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")


def _clean_env() -> dict[str, str]:
    # No configuration of the developer's (the default trust policy reads the report), and
    # Python as a user's shell runs it, for both sides alike.
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DIRSYNC_BRIDGE") and k not in _NOT_A_USERS
    }


def _wall(command: list[str], cwd: str) -> float:
    # No timeout: with one, subprocess polls for the child's end in sleeps of up to 50 ms,
    # which would add up to 50 ms at random to every figure; without, it blocks in waitpid.
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, cwd=cwd, env=_clean_env(), check=True)
    return time.perf_counter() - start


def bench_whole_process() -> float:
    """Print the whole-process parse ratio; return our median wall time in seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report-10000.eml"
        report.write_bytes(big_report_email(ROWS))
        ours = [_console_script(), "parse", "--format", "json", str(report)]
        floor = [sys.executable, str(FLOOR_SCRIPT), str(report)]
        # One untimed run each: compiled bytecode and the page cache are then warm for both
        # sides alike, and both outputs are checked.
        done = subprocess.run(ours, capture_output=True, cwd=tmp, env=_clean_env(), check=True)
        [parsed] = json.loads(done.stdout)
        assert len(parsed["errors"]) == ROWS, len(parsed["errors"])
        done = subprocess.run(floor, capture_output=True, cwd=tmp, env=_clean_env(), check=True)
        assert int(done.stdout) == ROWS, done.stdout
        mine, floors = [], []
        for _ in range(PROCESS_RUNS):
            # Alternating, so that load from other work on the machine hits both sides alike.
            floors.append(_wall(floor, tmp))
            mine.append(_wall(ours, tmp))
    ours_ms, floor_ms = statistics.median(mine) * 1000, statistics.median(floors) * 1000
    print(
        f"parse 10,000-row report as whole processes (median of {PROCESS_RUNS}, alternating): "
        f"dirsync-bridge parse --format json {ours_ms:.0f} ms, floor process {floor_ms:.0f} ms, "
        f"ratio {ours_ms / floor_ms:.2f} (target <= 2.0)"
    )
    return statistics.median(mine)


def _import_times(lines: list[str]) -> dict[str, int]:
    """Microseconds per top-level package (its modules' own times), from ``-X importtime``."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _cumulative, name = line.split(":", 1)[1].split("|")
        if own.strip().isdigit():  # the header line says "self [us]"
            totals[name.strip().split(".")[0]] += int(own)
    return totals


def bench_startup(whole_seconds: float) -> None:
    """Print what ``parse`` costs before and after the parse itself, against the big figure.

    A one-report ``parse`` is start-up and exit and nothing else (its parse takes well under
    a millisecond), timed like the whole-process figure; ``-X importtime`` of the same run
    names what the start-up imports (its own overhead inflates the absolute figure).
    """
    sample = ROOT / "fixtures" / "reports" / f"{TYPICAL[0]}.eml"
    command = [_console_script(), "parse", "--format", "json", str(sample)]
    with tempfile.TemporaryDirectory() as tmp:
        _wall(command, tmp)
        small = statistics.median(_wall(command, tmp) for _ in range(PROCESS_RUNS))
    runs = []
    for _ in range(PROCESS_RUNS):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", *command],
            capture_output=True,
            text=True,
            env=_clean_env(),
            check=True,
        )
        runs.append(_import_times(done.stderr.splitlines()))
    totals = sorted(runs, key=lambda r: sum(r.values()))[len(runs) // 2]  # the median run
    heaviest = sorted(totals.items(), key=lambda item: -item[1])[:5]
    unneeded = [name for name in NOT_FOR_PARSE if name in totals]
    print(
        f"parse start-up: a one-report parse --format json takes {small * 1000:.0f} ms as a "
        f"whole process (median of {PROCESS_RUNS}), {small / whole_seconds:.0%} of the "
        f"10,000-row figure; -X importtime: imports {sum(totals.values()) / 1000:.0f} ms, "
        "heaviest "
        + ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in heaviest)
        + f"; loaded but not needed: {', '.join(unneeded) or 'none'}"
    )


def _best(func: Callable[[], object], repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        func()
    return (time.perf_counter() - start) / repeats


def bench_envelope_share(rounds: int = 21, repeats: int = 100) -> None:
    """Print the envelope step's share of a typical report's in-process parse."""
    raws = [(ROOT / "fixtures" / "reports" / f"{name}.eml").read_bytes() for name in TYPICAL]
    for raw in raws:
        assert isinstance(parse_message(raw, "typical.eml"), Report)

    def envelopes() -> None:
        for raw in raws:
            read_envelope(raw)

    def parses() -> None:
        for raw in raws:
            parse_message(raw, "typical.eml")

    envelope_times, parse_times = [], []
    for _ in range(rounds):
        # Alternating rounds, best of each: noise only ever adds time.
        envelope_times.append(_best(envelopes, repeats) / len(raws))
        parse_times.append(_best(parses, repeats) / len(raws))
    envelope, whole = min(envelope_times), min(parse_times)
    print(
        f"envelope step of a typical report ({len(raws)} fixture emails, best of {rounds}): "
        f"{envelope * 1e6:.0f} us of a {whole * 1e6:.0f} us parse, share {envelope / whole:.0%} "
        "(target <= 20%)"
    )


HOSTILE_BYTES = 25_000_000
_HEAD = (
    b"Date: Thu, 26 Sep 2013 19:05:31 +0000\n"
    b"From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
    b"To: admin@contoso.onmicrosoft.com\nSubject: Directory Synchronization Error Report\n"
    b"Message-ID: <hostile@bench.test>\nMIME-Version: 1.0\n"
)
_TENANT = (
    "The Directory Synchronization batch run was completed on Thursday, 26 September 2013 "
    "19:05:31 GMT for tenant Contoso."
)
_NOT_FOUND = "Unable to update this object because the user ID is not found."


def _cpu(raw: bytes, repeats: int = 2) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        assert isinstance(parse_message(raw, "hostile.eml"), Report)
        best = min(best, time.process_time() - start)
    return best


def _plain(paragraph: str, size: int) -> bytes:
    count = size // (len(paragraph) + 2)
    text = "\n\n".join([_TENANT, *[paragraph] * count, "ann@contoso.com", _NOT_FOUND])
    return _HEAD + b'Content-Type: text/plain; charset="utf-8"\n\n' + text.encode()


def _tables(size: int) -> bytes:
    table = (
        "<table><tr><th>Identity</th><th>Error</th></tr>"
        f"<tr><td>{{}}</td><td>{_NOT_FOUND}</td></tr></table>" + " filler text" * 85
    )
    count = size // (len(table) + 6)
    body = "".join(table.format(f"u{i}@contoso.com") for i in range(count))
    html = f"<html><body>{body}{_TENANT}</body></html>"
    return _HEAD + b'Content-Type: text/html; charset="utf-8"\n\n' + html.encode()


def bench_hostile_bodies() -> None:
    """Print the CPU of hostile 25 MB bodies against benign or smaller ones."""
    hostile = _cpu(_plain("@" * 318 + " !", HOSTILE_BYTES))
    benign = _cpu(_plain("x" * 318 + " !", HOSTILE_BYTES))
    print(
        f"hostile 25 MB plain-text body (paragraphs of 318 '@' then ' !'): {hostile:.2f} s "
        f"CPU vs {benign:.2f} s for a benign one of the same size, ratio "
        f"{hostile / benign:.1f} (target <= 3x)"
    )
    whole, quarter = _cpu(_tables(HOSTILE_BYTES)), _cpu(_tables(HOSTILE_BYTES // 4))
    print(
        f"hostile 25 MB HTML body (error tables, 1 KB of text after each): {whole:.2f} s CPU "
        f"vs {quarter:.2f} s at a quarter of the size, ratio {whole / quarter:.1f} "
        "(target <= 6; linear 4, quadratic 16)"
    )


if __name__ == "__main__":  # python -m bench.parse_bench, from the repository root
    bench_hostile_bodies()
    bench_envelope_share()
    bench_startup(bench_whole_process())
