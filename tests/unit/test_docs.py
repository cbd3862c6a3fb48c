"""The documentation covers what the tool has: every command, option and config key."""

from __future__ import annotations

import tomllib

import click

from dirsync_bridge.cli import cli
from dirsync_bridge.config import Config, load_config

from ..conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "config" / "dirsync-bridge.example.toml"


def test_every_command_and_its_options_are_in_the_readme() -> None:
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        assert f"dirsync-bridge {name}" in README, name
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--"):
                    assert option in README, (name, option)
    for param in cli.params:
        for option in getattr(param, "opts", []):
            if option.startswith("--") and option != "--help":
                assert option in README, option


def test_the_example_config_names_every_key_and_holds_the_defaults() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for section, model in Config.model_fields.items():
        assert section in data, section
        assert model.annotation is not None
        for key in model.annotation.model_fields:  # type: ignore[union-attr]
            # Set, or shown commented out where the default is "unset".
            assert key in data[section] or f"# {key} = " in text, (section, key)
    example, defaults = load_config(EXAMPLE), Config()
    assert example.model_copy(update={"state": defaults.state}) == defaults


def test_every_config_key_is_in_the_readme() -> None:
    for section, model in Config.model_fields.items():
        assert model.annotation is not None
        for key in model.annotation.model_fields:  # type: ignore[union-attr]
            assert f"[{section}] {key}" in README, (section, key)


def test_every_reject_code_is_in_the_readme() -> None:
    from dirsync_bridge.models import RejectCode

    for code in RejectCode.__args__:  # type: ignore[attr-defined]
        assert f"`{code}`" in README, code
