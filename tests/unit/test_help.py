"""Every command's ``--help`` ends with a short example and the environment it reads."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from dirsync_bridge.cli import cli
from dirsync_bridge.cli.group import COMPLETE_VAR


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


@pytest.mark.parametrize("path", list(commands(cli)), ids=" ".join)
def test_every_commands_help_has_an_example_and_its_environment(path: tuple[str, ...]) -> None:
    done = CliRunner().invoke(cli, [*path, "--help"])
    assert done.exit_code == 0, done.output
    examples = done.output.split("Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and all(line.startswith("    dirsync-bridge ") for line in examples)
    assert any(" ".join(path) in line for line in examples)  # an example of this command
    environment = done.output.split("Environment:\n", 1)[1]
    assert "DIRSYNC_BRIDGE_CONFIG" in environment
    # Review rev14b: report's docstring had an "Example:" block of its own, printed too.
    assert done.output.count("Example") == 1, done.output


def test_tickets_and_report_say_the_same_of_since() -> None:
    # Review rev14b: tickets said "seen since this time (UTC)", report "open on or after
    # DATE (YYYY-MM-DD)", with two parsers that took different forms.
    texts = [
        " ".join(CliRunner().invoke(cli, [*path, "--help"]).output.split())
        for path in (("tickets",), ("report",))
    ]
    since = [text.split("--since DAY|TIME", 1)[1].split(" -h, --help", 1)[0] for text in texts]
    assert since[0] == since[1] and "+02:00" in since[0] and ".000Z" in since[0]


@pytest.mark.parametrize(
    ("path", "variables"),
    [
        (("parse",), ["DIRSYNC_GRAPH_SECRET", "DIRSYNC_LDAP_PASSWORD"]),
        (("replay",), ["DIRSYNC_JIRA_TOKEN", "DIRSYNC_GRAPH_SECRET", "DIRSYNC_LDAP_PASSWORD"]),
        (("run",), ["DIRSYNC_JIRA_TOKEN", "DIRSYNC_GRAPH_SECRET", "DIRSYNC_LDAP_PASSWORD"]),
        (("doctor",), ["DIRSYNC_JIRA_TOKEN", "DIRSYNC_GRAPH_SECRET", "DIRSYNC_LDAP_PASSWORD"]),
        (("tickets", "show"), ["DIRSYNC_JIRA_TOKEN"]),
    ],
)
def test_a_command_names_the_secrets_it_may_read(
    path: tuple[str, ...], variables: list[str]
) -> None:
    environment = CliRunner().invoke(cli, [*path, "--help"]).output.split("Environment:\n")[1]
    for name in variables:
        assert name in environment, name


def test_the_top_help_says_how_to_turn_on_completion() -> None:
    done = CliRunner().invoke(cli, ["--help"])
    assert f'eval "$({COMPLETE_VAR}=bash_source dirsync-bridge)"' in done.output
    assert f"{COMPLETE_VAR}=fish_source dirsync-bridge | source" in done.output
