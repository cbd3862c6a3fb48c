"""What each command's ``--help`` ends with: a short example, and the environment it reads.

Kept in one table rather than in each command's docstring, so that the list of variables
is written once and cannot drift between commands; ``annotate`` puts them on the commands
once they are all registered. ``tests/unit/test_help.py`` fails for a command without them.
"""

from __future__ import annotations

from typing import Final

import click

CONFIG_VARS: Final = (
    ("DIRSYNC_BRIDGE_CONFIG", "the configuration file, when --config is not given"),
    ("XDG_CONFIG_HOME", "where dirsync-bridge/config.toml is looked for next (~/.config)"),
)
JIRA_VARS: Final = (("DIRSYNC_JIRA_TOKEN", "Jira's token ([jira] token_env names another)"),)
GRAPH_VARS: Final = (
    ("DIRSYNC_GRAPH_SECRET", "Graph's client secret ([graph] client_secret_env)"),
    ("REQUESTS_CA_BUNDLE", "CAs to trust when no ca_bundle is configured"),
)
LDAP_VARS: Final = (("DIRSYNC_LDAP_PASSWORD", "the bind password ([enrich.onprem] password_env)"),)
ENRICH_VARS: Final = GRAPH_VARS + LDAP_VARS

HELP: Final[dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]] = {
    # command path: (example command lines, environment variables read)
    "parse": (
        (
            "dirsync-bridge parse fixtures/reports",
            "dirsync-bridge parse --format json --enrich report.eml",
            "dirsync-bridge parse - < report.eml",
        ),
        CONFIG_VARS + ENRICH_VARS,
    ),
    "replay": (
        (
            "dirsync-bridge replay --dry-run ~/archive/dirsync-reports",
            "dirsync-bridge replay --sink jira archive.mbox",
        ),
        CONFIG_VARS + JIRA_VARS + ENRICH_VARS,
    ),
    "run": (
        ("dirsync-bridge --log-format json run", "dirsync-bridge run --dry-run"),
        CONFIG_VARS + JIRA_VARS + ENRICH_VARS,
    ),
    "doctor": (
        ("dirsync-bridge --config /etc/dirsync-bridge/config.toml doctor",),
        CONFIG_VARS + JIRA_VARS + ENRICH_VARS,
    ),
    "tickets": (
        (
            "dirsync-bridge tickets --status all --since 2024-01-01",
            "dirsync-bridge tickets --format csv --kind AttributeValueMustBeUnique > dup.csv",
        ),
        CONFIG_VARS,
    ),
    "tickets show": (
        (
            "dirsync-bridge tickets show LOCAL-20",
            "dirsync-bridge tickets show OPS-123 --format json",
        ),
        CONFIG_VARS + JIRA_VARS,
    ),
    "tickets rebuild": (("dirsync-bridge tickets rebuild",), CONFIG_VARS),
    "report": (
        (
            "dirsync-bridge report --html report.html",
            "dirsync-bridge report --html /var/www/dirsync.html --since 2026-01-01",
        ),
        CONFIG_VARS,
    ),
}


def epilog(examples: tuple[str, ...], variables: tuple[tuple[str, str], ...]) -> str:
    """The text after a command's options: its examples, then its variables."""
    width = max(len(name) for name, _ in variables)
    lines = ["\b", "Examples:", *(f"  {line}" for line in examples), ""]
    lines += ["\b", "Environment:", *(f"  {name:<{width}}  {what}" for name, what in variables)]
    return "\n".join(lines)


COMPLETION: Final = """\b
Shell completion (click's), once in ~/.bashrc, ~/.zshrc or fish's config:
  eval "$(_DIRSYNC_BRIDGE_COMPLETE=bash_source dirsync-bridge)"
  eval "$(_DIRSYNC_BRIDGE_COMPLETE=zsh_source dirsync-bridge)"
  _DIRSYNC_BRIDGE_COMPLETE=fish_source dirsync-bridge | source"""


def annotate(group: click.Group, prefix: str = "") -> None:
    """Give every command of ``group`` (and of its subgroups) its examples and variables;
    the top group says how to turn on shell completion."""
    if not prefix:
        group.epilog = COMPLETION
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if path in HELP:
            command.epilog = epilog(*HELP[path])
        if isinstance(command, click.Group):
            annotate(command, f"{path} ")
