"""The metrics textfile: Prometheus' format, read back with its own parser; written whole."""

from __future__ import annotations

import re
from pathlib import Path

import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from dirsync_bridge.config.settings import load_config
from dirsync_bridge.errors import ConfigError, ConfigErrors, Fatal
from dirsync_bridge.metrics import PassRecord, previous_success, render, write_textfile
from dirsync_bridge.run_summary import RunSummary

from ..conftest import ROOT

RULES = ROOT / "config" / "dirsync-bridge.rules.yml"


def samples(text: str | bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a textfile, by name and sorted labels, parsed by prometheus_client."""
    if isinstance(text, bytes):
        text = text.decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def summary() -> RunSummary:
    return RunSummary(
        parsed=3, rejected=2, already_seen=5, unreadable=1, created=4, commented=1, resolved=2
    )


def test_a_pass_that_did_its_work_gives_every_metric_in_prometheus_text_format() -> None:
    record = PassRecord(started=1000.0, finished=1012.5, exit_code=1, summary=summary())
    text = render(record, None, {("AttributeValueMustBeUnique", "Contoso"): 7, ("Unknown", ""): 1})
    got = samples(text)
    assert got[("dirsync_bridge_last_success_timestamp_seconds", ())] == 1012.5
    assert got[("dirsync_bridge_last_run_timestamp_seconds", ())] == 1012.5
    assert got[("dirsync_bridge_last_run_duration_seconds", ())] == 12.5
    assert got[("dirsync_bridge_last_exit_code", ())] == 1
    messages = "dirsync_bridge_last_run_messages"
    assert got[(messages, (("outcome", "parsed"),))] == 3
    assert got[(messages, (("outcome", "rejected"),))] == 2
    assert got[(messages, (("outcome", "already_seen"),))] == 5
    assert got[(messages, (("outcome", "unreadable"),))] == 1
    writes = "dirsync_bridge_last_run_ticket_writes"
    assert got[(writes, (("kind", "created"),))] == 4
    assert got[(writes, (("kind", "resolved"),))] == 2
    assert got[(writes, (("kind", "reopened"),))] == 0
    problems = "dirsync_bridge_open_problems"
    assert got[(problems, (("kind", "AttributeValueMustBeUnique"), ("tenant", "Contoso")))] == 7
    assert got[(problems, (("kind", "Unknown"), ("tenant", "")))] == 1


def test_a_failed_pass_keeps_the_last_success_from_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "dirsync-bridge.prom"
    ok = PassRecord(started=100.0, finished=160.0, exit_code=0, summary=summary())
    write_textfile(path, render(ok, None, {}))
    failed = PassRecord(started=500.0, finished=530.0, exit_code=75, summary=None)
    write_textfile(path, render(failed, previous_success(path), None))
    got = samples(path.read_text())
    assert got[("dirsync_bridge_last_success_timestamp_seconds", ())] == 160.0
    assert got[("dirsync_bridge_last_run_timestamp_seconds", ())] == 530.0
    assert got[("dirsync_bridge_last_exit_code", ())] == 75
    # A pass that stopped before counting tells no counts, rather than zeros that lie.
    assert not any(name.startswith("dirsync_bridge_last_run_messages") for name, _ in got)


@pytest.mark.parametrize(
    "content", [None, b"", b"garbage {{{ not prometheus\n", b"\xff\xfe\x00binary"]
)
def test_no_readable_previous_file_gives_a_last_success_of_zero(
    tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "dirsync-bridge.prom"
    if content is not None:
        path.write_bytes(content)
    failed = PassRecord(started=1.0, finished=2.0, exit_code=2, summary=None)
    got = samples(render(failed, previous_success(path), None))
    assert got[("dirsync_bridge_last_success_timestamp_seconds", ())] == 0


def test_the_textfile_is_replaced_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "dirsync-bridge.prom"
    path.write_text("old\n")
    write_textfile(path, b"new\n")
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["dirsync-bridge.prom"]
    assert path.stat().st_mode & 0o777 == 0o644  # node_exporter runs as another user


def test_a_textfile_that_cannot_be_written_is_one_error_naming_the_key(tmp_path: Path) -> None:
    gone = tmp_path / "gone" / "dirsync-bridge.prom"
    with pytest.raises(Fatal) as caught:
        write_textfile(gone, b"x\n")
    assert str(caught.value).startswith(f"metrics.textfile: {gone} cannot be written")
    assert "\n" not in str(caught.value)


def config_file(tmp_path: Path, textfile: str) -> Path:
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text(f'[metrics]\ntextfile = "{textfile}"\n')
    return path


def test_the_textfile_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "prom").mkdir()
    config = load_config(config_file(tmp_path, "prom/dirsync-bridge.prom"))
    assert config.metrics.textfile == tmp_path / "prom" / "dirsync-bridge.prom"
    assert load_config(config_file(tmp_path, "")).metrics.textfile is None


def test_a_textfile_in_a_missing_directory_is_a_config_error_naming_the_key(
    tmp_path: Path,
) -> None:
    path = config_file(tmp_path, "missing/dirsync-bridge.prom")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert not isinstance(caught.value, ConfigErrors)
    assert "metrics.textfile" in str(caught.value)
    assert f"{tmp_path / 'missing'}, which does not exist" in str(caught.value)


def test_a_textfile_node_exporter_would_never_read_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config_file(tmp_path, "dirsync-bridge.txt"))
    assert "metrics.textfile" in str(caught.value) and ".prom" in str(caught.value)


# ---------------------------------------------------------------------------------------------
# The alert rules shipped beside the example configuration


def test_the_alert_rules_parse_and_use_only_metrics_the_textfile_has() -> None:
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    (group,) = rules["groups"]
    written = {name for name, _ in samples(render(PassRecord(0, 1, 0, summary()), None, {}))}
    alerts = {}
    for rule in group["rules"]:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        promql_parser.parse(rule["expr"])  # raises on a syntax error
        if "for" in rule:
            assert re.fullmatch(r"\d+[smhd]", rule["for"]), rule["for"]
        used = set(re.findall(r"dirsync_bridge_\w+", rule["expr"]))
        assert used and used <= written, used - written
        alerts[rule["alert"]] = rule
    no_success = alerts["DirsyncBridgeNoSuccessfulRun"]["expr"]
    assert "dirsync_bridge_last_success_timestamp_seconds" in no_success and "26" in no_success
    exits = {
        int(m) for r in alerts.values() for m in re.findall(r"last_exit_code == (\d+)", r["expr"])
    }
    assert exits == {2, 75}


def test_the_parser_used_for_the_rules_refuses_a_broken_expression() -> None:
    # The check above proves something only if the parser refuses what Prometheus refuses.
    with pytest.raises(ValueError):
        promql_parser.parse("time( - dirsync_bridge_last_exit_code")
    assert RULES.exists()
