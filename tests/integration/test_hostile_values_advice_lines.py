"""Hostile review rev20, fix 2 (PowerShell commands / advice line): line ends that still get out.

ps_comment made the '#' lines safe; the advice *summary* (design.md: "one line a helpdesk agent
can act on") and the "Who holds these values" lines still carry a holder's name and value raw,
and a value with a line break inside ps_quote splits one command over two ticket lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dirsync_bridge.enrich.advice import advise
from dirsync_bridge.models.enrichment import CloudHolder
from dirsync_bridge.ticket_text import jira_wiki

from ..simulators.graph.server import GraphSimulator
from .test_powershell_commands_injection import description_with_a_cloud_group_named

PAYLOAD = "Team\r\nRemove-ADUser -Identity Administrator -Confirm:$false"
BREAKS = ["\r\n", "\n", "\u2028", "\x85", "\x0b"]


@pytest.mark.parametrize("brk", BREAKS, ids=[repr(b) for b in BREAKS])
def test_advice_summary_is_one_line_whatever_the_holders_name(brk: str) -> None:
    holder = CloudHolder.from_graph(
        "smtp:tax@contosopharma.com",
        "group",
        {
            "id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "displayName": f"Team{brk}Remove-ADUser x",
            "onPremisesSyncEnabled": None,
        },
    )
    advice = advise("duplicate", "tax@contosopharma.com", [holder], [], [])
    assert advice.code == "cloud-only-holder"
    # was: 'The cloud-only group Team\r\nRemove-ADUser x holds ...' (two lines)
    assert len(advice.summary.splitlines()) == 1, repr(advice.summary)


def test_local_ticket_description_has_no_line_made_by_a_cloud_groups_name(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    description = description_with_a_cloud_group_named(PAYLOAD, tmp_path, graph_sim)
    lines = description.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # was: 'Remove-ADUser -Identity Administrator -Confirm:$false holds SMTP:...: match it ...'
    # (Advice line) and '-Identity Administrator ...' lines in 'Who holds these values'
    forged = [line for line in lines if line.startswith("Remove-ADUser")]
    assert not forged, forged


@pytest.mark.parametrize("brk", ["\x85", "\x1c", "\x1e"], ids=["NEL", "FS", "RS"])
def test_jira_inline_value_never_starts_a_line_at_a_line_end_java_knows(brk: str) -> None:
    # Jira's renderer is Java: Pattern MULTILINE '^' matches after U+0085 too. ps_comment
    # treats NEL (and every Cc) as a line end; jira_wiki.inline only knows CR LF VT FF LS PS.
    text = jira_wiki.inline(f"Ann{brk}h1. You are fired")
    assert brk not in text, repr(text)
