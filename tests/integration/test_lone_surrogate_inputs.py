"""A lone UTF-16 surrogate in a value a report carries, or in a command-line argument.

Active Directory stores strings as UTF-16 without checking them, so an on-premises attribute
can hold an unpaired surrogate; .NET's JSON writers (ADSync's extra-error-details, Graph)
emit it as a ``\\ud800`` escape, which Python's json decodes into a lone surrogate (found by
hostile review rev16: exit 70 on every rerun, nothing ticketed). It is read as U+FFFD and the
record ticketed; a command-line text that is not UTF-8 (Python makes its bytes surrogates)
is a usage error. Never exit 70, and one odd file never keeps the others from being ticketed.
The records themselves: ``tests/unit/test_lone_surrogates.py``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ..conftest import ROOT
from ..e2e.test_cli import run
from ..e2e.test_cli_provisioning import WHEN, config_file
from ..e2e.test_cli_run import cli
from ..simulators.graph.server import GraphSimulator

EXPORTS = ROOT / "fixtures" / "exports"
GOOD = EXPORTS / "csexport_several_objects_kinds.xml"


def hostile_csexport(path: Path) -> Path:
    text = GOOD.read_text(encoding="utf-8").replace(
        '"smtp:tax@contoso.com"', '"smtp:t\\ud800ax@contoso.com"'
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_parse_json_of_a_csexport_with_a_lone_surrogate_is_not_an_internal_error(
    tmp_path: Path,
) -> None:
    bad = hostile_csexport(tmp_path / "bad.xml")
    done = run("parse", "--format", "json", "--tenant", "Contoso", str(bad))
    assert done.returncode in (0, 1), done.stderr  # observed: 70, "internal error"
    assert "internal error" not in done.stderr
    json.loads(done.stdout)


def test_one_csexport_with_a_lone_surrogate_does_not_stop_the_replay_of_every_other_file(
    tmp_path: Path,
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copyfile(ROOT / "fixtures" / "reports" / "aadsync_th_thead.eml", inputs / "a.eml")
    hostile_csexport(inputs / "b.xml")
    state = tmp_path / "state"
    config = tmp_path / "c.toml"
    config.write_text(f'[state]\npath = "{state / "state.db"}"\n')
    done = run("--config", str(config), "replay", "--tenant", "Contoso", str(inputs))
    # observed: exit 70 "internal error (PydanticSerializationError ... surrogates not
    # allowed)", nothing ticketed, and the same on every rerun.
    assert done.returncode in (0, 1), done.stderr
    assert "internal error" not in done.stderr
    listed = run("--config", str(config), "tickets", "--format", "json")
    assert json.loads(listed.stdout), "the good report's problems were never ticketed"


def test_run_with_a_provisioning_error_value_holding_a_lone_surrogate_is_not_an_internal_error(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    graph_sim.add_user(
        "ann@contoso.com",
        provisioning_errors=[
            {
                "category": "PropertyConflict",
                "occurredDateTime": WHEN,
                "propertyCausingError": "ProxyAddress",
                "value": "smtp:a\ud800nn@contoso.com",
            }
        ],
    )
    graph_sim.add_user(
        "bob@contoso.com",
        provisioning_errors=[
            {
                "category": "PropertyConflict",
                "occurredDateTime": WHEN,
                "propertyCausingError": "ProxyAddress",
                "value": "smtp:bob@contoso.com",
            }
        ],
    )
    config = config_file(tmp_path, graph_sim)
    done = cli(config, "run")
    assert "internal error" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), done.stderr
    listed = cli(config, "tickets", "--format", "json")
    assert "bob@contoso.com" in {t["identity"] for t in json.loads(listed.stdout)}


def test_replay_with_a_cloud_holder_whose_display_name_holds_a_lone_surrogate(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    from ..e2e.test_cli_run import config_file as graph_config

    graph_sim.add_user(
        "other@contosopharma.com",
        display_name="Ta\ud800x",
        proxy_addresses=["smtp:tax@contosopharma.com"],
    )
    config = graph_config(tmp_path, graph_sim.url, graph_sim.ca_path)
    done = cli(config, "replay", str(ROOT / "fixtures" / "reports" / "aadsync_th_thead.eml"))
    assert "internal error" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), done.stderr
    listed = cli(config, "tickets", "--format", "json")
    assert len(json.loads(listed.stdout)) == 3


def test_the_value_is_ticketed_with_the_replacement_character(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = tmp_path / "c.toml"
    config.write_text(f'[state]\npath = "{state / "state.db"}"\n')
    bad = hostile_csexport(tmp_path / "bad.xml")
    done = run("--config", str(config), "replay", "--tenant", "Contoso", str(bad))
    assert done.returncode == 0, done.stderr
    listed = run("--config", str(config), "tickets", "--format", "json")
    tickets = json.loads(listed.stdout)
    shown = [run("--config", str(config), "tickets", "show", t["key"]).stdout for t in tickets]
    assert any("smtp:t\ufffdax@contoso.com" in text for text in shown)
    again = run("--config", str(config), "replay", "--tenant", "Contoso", str(bad))
    assert again.returncode == 0, again.stderr
    assert json.loads(run("--config", str(config), "tickets", "--format", "json").stdout) == (
        tickets
    )


@pytest.mark.parametrize(
    "args",
    [
        ["parse", "--tenant", "Con\udcfftoso", str(GOOD)],
        ["replay", "--dry-run", "--tenant", "Con\udcfftoso", str(GOOD)],
        ["tickets", "--tenant", "Con\udcfftoso"],
        ["tickets", "show", "LOC\udcff-1"],
    ],
    ids=["parse", "replay", "tickets", "tickets-show"],
)
def test_a_command_line_text_that_is_not_utf8_is_a_usage_error(
    tmp_path: Path, args: list[str]
) -> None:
    # b"\xff" in argv: Python gives "\udcff" (surrogateescape); was exit 70.
    config = tmp_path / "c.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "state.db"}"\n')
    done = run("--config", str(config), *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "is not UTF-8 text" in done.stderr
    assert "\\xff" in done.stderr  # the byte as typed
