"""The documentation covers what the tool has: every command, option and config key."""

from __future__ import annotations

import tomllib

import click
from pydantic import BaseModel

from dirsync_bridge.cli import cli
from dirsync_bridge.config.settings import Config, load_config

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
            # --help and --version are every CLI's own, and say what they do in --help.
            if option.startswith("--") and option not in ("--help", "--version"):
                assert option in README, option


def config_keys() -> list[tuple[str, str]]:
    """Every (section, key) of the configuration; ``[source.mailbox]``, ``[enrich.cloud]``...
    as sections of their own."""
    out = []
    for section, field in Config.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        for key, sub in model.model_fields.items():
            inner = _model(sub.annotation)
            if inner is not None:
                out += [(f"{section}.{key}", name) for name in inner.model_fields]
            else:
                out.append((section, key))
    return out


def _model(annotation: object) -> type[BaseModel] | None:
    """The settings model an annotation names (``X`` or ``X | None``), if any."""
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def test_the_example_config_names_every_key_and_holds_the_defaults() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for section, key in config_keys():
        table = data
        for part in section.split("."):
            table = table.get(part, {})
        # Set, or shown commented out where the default is "unset" (a whole section too).
        assert key in table or f"# {key} = " in text, (section, key)
        assert section.split(".")[0] in data or f"# [{section}]" in text, section
    example, defaults = load_config(EXAMPLE), Config()
    assert example.model_copy(update={"state": defaults.state}) == defaults


def test_every_config_key_is_in_the_readme() -> None:
    for section, key in config_keys():
        assert f"[{section}] {key}" in README, (section, key)


def test_every_reject_code_is_in_the_readme() -> None:
    from dirsync_bridge.models import RejectCode

    for code in RejectCode.__args__:  # type: ignore[attr-defined]
        assert f"`{code}`" in README, code


def test_the_module_map_names_every_module_and_package() -> None:
    section = README.split("### Module map", 1)[1].split("### Dependencies and why", 1)[0]
    source = ROOT / "src" / "dirsync_bridge"
    missing = []
    for path in sorted(source.rglob("*.py")):
        if path.name == "__init__.py":
            name = path.parent.name + "/"
            if path.parent != source and name not in section:
                missing.append(name)
        elif path.stem not in section:
            missing.append(str(path.relative_to(source)))
    assert missing == []
