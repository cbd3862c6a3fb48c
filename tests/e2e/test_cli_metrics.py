"""``[metrics] textfile`` under a real process: written after every pass, however it ends,
and never half-written (a SIGKILL between the write and the rename leaves the old file)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from ..conftest import REPORTS
from ..simulators.graph.server import GraphSimulator
from .test_cli_run import cli as run_cli
from .test_cli_run import config_file as run_config
from .test_cli_run import deliver
from .test_cli_state import _without_dac_override, cli, one_line, small_disk

__all__ = ["small_disk"]  # the fixture: a tmpfs of 64 KiB mounted for the test

CLI = [sys.executable, "-m", "dirsync_bridge"]


def config_with_metrics(tmp_path: Path) -> tuple[Path, Path]:
    textfile = tmp_path / "textfile" / "dirsync-bridge.prom"
    textfile.parent.mkdir()
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n[metrics]\ntextfile = "{textfile}"\n'
    )
    return config, textfile


def metric(textfile: Path, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(textfile.read_text()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    raise AssertionError(f"{name} {labels} not in {textfile}")


def test_a_replay_writes_the_metrics_prometheus_reads(tmp_path: Path) -> None:
    config, textfile = config_with_metrics(tmp_path)
    before = time.time()
    done = cli(config, "replay", str(REPORTS))
    after = time.time()
    assert done.returncode == 1, done.stderr  # the corpus holds hostile mail on purpose
    assert metric(textfile, "dirsync_bridge_last_exit_code") == 1
    success = metric(textfile, "dirsync_bridge_last_success_timestamp_seconds")
    assert before <= success <= after
    assert 0 < metric(textfile, "dirsync_bridge_last_run_duration_seconds") <= after - before
    assert metric(textfile, "dirsync_bridge_last_run_messages", outcome="parsed") == 31
    assert metric(textfile, "dirsync_bridge_last_run_messages", outcome="rejected") == 13
    assert metric(textfile, "dirsync_bridge_last_run_ticket_writes", kind="created") == 76
    assert metric(textfile, "dirsync_bridge_last_run_ticket_writes", kind="resolved") == 24
    from prometheus_client.parser import text_string_to_metric_families

    open_problems = [
        s
        for f in text_string_to_metric_families(textfile.read_text())
        for s in f.samples
        if s.name == "dirsync_bridge_open_problems"
    ]
    assert sum(s.value for s in open_problems) == 52  # `tickets` lists 52 open
    assert {"kind", "tenant"} == set(open_problems[0].labels)
    assert metric(textfile, "dirsync_bridge_open_problems", kind="LargeObject", tenant="Contoso")


def test_a_failed_pass_writes_its_exit_code_and_keeps_the_last_success(tmp_path: Path) -> None:
    config, textfile = config_with_metrics(tmp_path)
    assert cli(config, "replay", str(REPORTS / "aadsync_th_thead.eml")).returncode == 0
    success = metric(textfile, "dirsync_bridge_last_success_timestamp_seconds")
    ledger = tmp_path / "state" / "state.db"
    for leftover in ledger.parent.glob("state.db-*"):
        leftover.unlink()
    ledger.write_bytes(b"this is not a database" * 100)
    failed = cli(config, "replay", str(REPORTS))
    assert failed.returncode == 2
    assert "the ledger is damaged" in one_line(failed)
    assert metric(textfile, "dirsync_bridge_last_exit_code") == 2
    assert metric(textfile, "dirsync_bridge_last_success_timestamp_seconds") == success
    assert metric(textfile, "dirsync_bridge_last_run_timestamp_seconds") > success


def test_an_interrupted_pass_writes_exit_130(tmp_path: Path) -> None:
    config, textfile = config_with_metrics(tmp_path)
    env = {**os.environ, "DIRSYNC_BRIDGE_CRASH_AT": "after-ingest:2:SIGINT"}
    done = subprocess.run(
        [*CLI, "--config", str(config), "replay", str(REPORTS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 130, done.stderr
    assert metric(textfile, "dirsync_bridge_last_exit_code") == 130
    assert metric(textfile, "dirsync_bridge_last_success_timestamp_seconds") == 0


def test_a_sigkill_while_the_textfile_is_written_leaves_the_old_file_whole(
    tmp_path: Path,
) -> None:
    config, textfile = config_with_metrics(tmp_path)
    assert cli(config, "replay", str(REPORTS / "aadsync_th_thead.eml")).returncode == 0
    old = textfile.read_bytes()
    env = {**os.environ, "DIRSYNC_BRIDGE_CRASH_AT": "metrics-written:1"}
    killed = subprocess.run(
        [*CLI, "--config", str(config), "replay", str(REPORTS)],
        capture_output=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert killed.returncode == -9
    assert textfile.read_bytes() == old  # the new text was written, but never renamed in
    # node_exporter reads only *.prom: the temporary file left behind is never collected.
    assert [p.name for p in textfile.parent.glob("*.prom")] == [textfile.name]
    (left,) = textfile.parent.glob(f".{textfile.name}.*.tmp")
    # The rerun finds every message recorded (each rejection is final): exit 0, and its file.
    assert cli(config, "replay", str(REPORTS)).returncode == 0
    assert metric(textfile, "dirsync_bridge_last_exit_code") == 0
    # ... and removes what the kill left (it used to stay there, one more per kill).
    assert sorted(p.name for p in textfile.parent.iterdir()) == [textfile.name], left


def test_a_dry_run_writes_no_metrics(tmp_path: Path) -> None:
    config, textfile = config_with_metrics(tmp_path)
    done = cli(config, "replay", "--dry-run", str(REPORTS / "aadsync_th_thead.eml"))
    assert done.returncode == 0, done.stderr
    assert not textfile.exists()


def test_a_textfile_directory_that_does_not_exist_is_exit_2_naming_the_key(
    tmp_path: Path,
) -> None:
    config, textfile = config_with_metrics(tmp_path)
    textfile.parent.rmdir()
    done = cli(config, "replay", str(REPORTS / "aadsync_th_thead.eml"))
    assert done.returncode == 2
    line = one_line(done)
    assert "metrics.textfile" in line and "does not exist" in line


def test_a_textfile_that_cannot_be_written_turns_a_good_pass_into_exit_2(tmp_path: Path) -> None:
    prefix = _without_dac_override()
    config, textfile = config_with_metrics(tmp_path)
    textfile.parent.chmod(0o555)
    try:
        done = cli(config, "replay", str(REPORTS / "aadsync_th_thead.eml"), prefix=prefix)
    finally:
        textfile.parent.chmod(0o755)
    assert done.returncode == 2
    line = one_line(done)
    assert line.startswith(f"dirsync-bridge: error: metrics.textfile: {textfile} cannot be")
    assert "write access" in line


def test_a_full_disk_under_the_textfile_is_exit_75_and_leaves_the_old_file_whole(
    tmp_path: Path, small_disk: Path
) -> None:
    config, _ = config_with_metrics(tmp_path)
    textfile = small_disk / "dirsync-bridge.prom"
    config.write_text(config.read_text().replace(str(tmp_path / "textfile"), str(small_disk)))
    assert cli(config, "replay", str(REPORTS / "aadsync_th_thead.eml")).returncode == 0
    old = textfile.read_bytes()
    with contextlib.suppress(OSError), (small_disk / "filler").open("wb", buffering=0) as filler:
        while True:  # until the disk is full
            filler.write(b"\0" * 4096)
    done = cli(config, "replay", str(REPORTS / "aadsync_th_thead.eml"))
    assert done.returncode == 75
    line = one_line(done)
    assert "metrics.textfile" in line and "the disk is full" in line, line
    assert textfile.read_bytes() == old
    assert sorted(p.name for p in small_disk.iterdir()) == ["dirsync-bridge.prom", "filler"]


def test_a_read_only_textfile_directory_says_how_to_allow_it_under_systemd(
    tmp_path: Path, small_disk: Path
) -> None:
    config, _ = config_with_metrics(tmp_path)
    config.write_text(config.read_text().replace(str(tmp_path / "textfile"), str(small_disk)))
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    done = cli(config, "replay", str(REPORTS / "aadsync_th_thead.eml"))
    assert done.returncode == 2
    line = one_line(done)
    assert "metrics.textfile" in line and "read-only" in line
    assert f"ReadWritePaths={small_disk}" in line


def test_run_writes_its_metrics_too_a_good_pass_then_graph_unreachable(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    textfile = tmp_path / "dirsync-bridge.prom"
    good = run_config(tmp_path, graph_sim.url, graph_sim.ca_path)
    good.write_text(good.read_text() + f'[metrics]\ntextfile = "{textfile}"\n')
    deliver(graph_sim)
    assert run_cli(good, "run").returncode == 0
    assert metric(textfile, "dirsync_bridge_last_run_messages", outcome="parsed") == 1
    assert metric(textfile, "dirsync_bridge_last_run_ticket_writes", kind="created") == 3
    success = metric(textfile, "dirsync_bridge_last_success_timestamp_seconds")

    unreachable = tmp_path / "unreachable.toml"
    unreachable.write_text(good.read_text().replace(graph_sim.url, "https://127.0.0.1:9"))
    assert run_cli(unreachable, "run").returncode == 75
    assert metric(textfile, "dirsync_bridge_last_exit_code") == 75
    assert metric(textfile, "dirsync_bridge_last_success_timestamp_seconds") == success
    # The report's three problems stay open, whatever the pass that wrote the file.
    assert (
        metric(
            textfile,
            "dirsync_bridge_open_problems",
            kind="ObjectTypeMismatch",
            tenant="Contoso Pharmaceuticals",
        )
        == 1
    )
