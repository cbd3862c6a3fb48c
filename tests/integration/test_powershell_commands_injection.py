"""The ready-to-run PowerShell a ticket carries ("Commands"): no name becomes a command.

Values inside commands are quoted (``ps_quote``); the names and DNs in the ``#`` comment
lines are not in a string, so a line break in one would end the comment and what follows
would run when an agent pastes the block. A cloud group's displayName is set by whoever
creates the group (in a default Microsoft 365 tenant, any user), and Graph sends it as
written. (Hostile review rev16.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dirsync_bridge.enrich.advice import commands, ps_comment
from dirsync_bridge.models.enrichment import CloudHolder

from ..conftest import ROOT
from ..e2e.test_cli_run import cli, config_file
from ..simulators.graph.server import GraphSimulator
from ..unit.test_advice import cloud, onprem

PAYLOAD = "Team\r\nRemove-ADUser -Identity Administrator -Confirm:$false"
# Every character some reader ends a line at (PowerShell: CR, LF), and the bidi controls.
BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\u202e\u2066\u200f\u061c"


QUOTED = re.compile("[{q}](?:[^{q}]|[{q}]{{2}})*[{q}]".format(q="'\u2018\u2019\u201a\u201b"))
"""A PowerShell single-quoted string: any kind of single quote, doubled inside."""


def description_with_a_cloud_group_named(
    name: str, tmp_path: Path, graph_sim: GraphSimulator
) -> str:
    """The description of the local ticket a report gets, its value held by a cloud group
    named ``name`` (what ``tickets show`` prints)."""
    graph_sim.add_group(
        name, mail="tax@contosopharma.com", proxy_addresses=["SMTP:tax@contosopharma.com"]
    )
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)
    done = cli(config, "replay", str(ROOT / "fixtures" / "reports" / "aadsync_th_thead.eml"))
    assert done.returncode == 0, done.stderr
    shown = cli(config, "tickets", "show", "LOCAL-1", "--format", "json")
    description: str = json.loads(shown.stdout)["description"]
    return description


def command_lines(text: str) -> list[str]:
    """The lines PowerShell would run: not blank, not comments (split at every line end)."""
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_a_holders_display_name_never_becomes_a_command_line() -> None:
    holder = CloudHolder.from_graph(
        "smtp:tax@contosopharma.com",
        "group",
        {
            "id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "displayName": PAYLOAD,
            "onPremisesSyncEnabled": None,
        },
    )
    lines = command_lines("\n".join(commands([holder], "tax@contosopharma.com")))
    # was: ['Remove-ADUser -Identity Administrator -Confirm:$false', 'Get-MgGroup ...']
    assert all(line.startswith("Get-MgGroup ") for line in lines), lines


@pytest.mark.parametrize("brk", list(BREAKS))
def test_no_line_end_of_any_kind_in_a_name_or_dn_leaves_its_comment_line(brk: str) -> None:
    evil = f"x{brk}Remove-ADUser -Identity Administrator"
    holders = [cloud(upn=f"ann{evil}"), onprem(f"CN=Ann{evil},DC=c")]
    lines = commands(holders, "bob@contoso.com")
    for line in lines:
        if line.startswith("#"):
            assert brk not in line and "\ufffd" in line, line
    # Inside a quoted value a line break is part of the string: PowerShell reads on to the
    # closing quote. Outside the strings, every line is one of the tool's own commands.
    ran = command_lines(QUOTED.sub("''", "\n".join(lines)))
    assert all(line.startswith(("Get-Mg", "Update-MgUser", "Set-AD")) for line in ran), ran


def test_a_comment_keeps_every_printable_character() -> None:
    assert ps_comment("# user Zoë Łódź 東京 o'brien $(x) `y`") == (
        "# user Zoë Łódź 東京 o'brien $(x) `y`"
    )


def test_the_ticket_commands_hold_no_command_from_a_cloud_groups_name(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    description = description_with_a_cloud_group_named(PAYLOAD, tmp_path, graph_sim)
    assert "Commands" in description, description
    block = description.split("Commands", 1)[1]
    assert "\nRemove-ADUser" not in block.replace("\r\n", "\n"), block
