"""The command group: global options, the configuration loaded, how a failure is said.

Each command lives in a module of its own (``parse_command``, ``pass_commands``,
``ticket_commands``, ``doctor_command``) and imports what it runs when it runs: ``parse``
must start without the Jira, Graph, LDAP and template libraries that only other commands
need (``bootstrap``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import click

from .. import pass_end
from ..config.settings import find_config_file, load_config
from ..errors import DirsyncBridgeError, Fatal
from ..failures import say
from ..logs import LogFormat, setup_logging
from ..parse.surrogates import without_lone_surrogates
from ..parse.tenants import TenantRules

log = logging.getLogger("dirsync_bridge.cli")

EXIT_OK = 0
EXIT_SOME_REJECTED = 1
HELP_OPTIONS = ("-h", "--help")
_ASKS_FOR_HELP = "dirsync_bridge.asks_for_help"
_DRY_RUN = "dirsync_bridge.dry_run"


class _Group(click.Group):
    """The command group, noting whether the subcommand was asked for its ``--help``.

    The group's callback (which loads the configuration) runs before the subcommand reads
    its own options; ``COMMAND --help`` must answer even when the configuration is broken.
    How a command ends (signals, usage errors, a bug) is ``exits``'s business.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """The group's own options; the subcommand's arguments are only looked at."""
        try:
            rest = super().parse_args(ctx, args)
        except (click.BadParameter, click.BadOptionUsage) as exc:
            raise _one_line(exc) from None
        words = rest[: rest.index("--")] if "--" in rest else rest
        ctx.meta[_ASKS_FOR_HELP] = any(word in HELP_OPTIONS for word in words)
        ctx.meta[_DRY_RUN] = "--dry-run" in words
        return rest


def _one_line(exc: click.BadParameter | click.BadOptionUsage) -> Fatal:
    """``NAME: reason`` for a bad or missing value."""
    if isinstance(exc, click.BadOptionUsage):
        # "--kind" at the end of the line: click's own reason names no option of its own.
        return Fatal(f"{exc.option_name}: needs a value, and none was given")
    param = exc.param
    if isinstance(param, click.Option) and param.opts:
        name = param.opts[0]
    elif param is not None:
        name = param.human_readable_name
    else:
        name = exc.param_hint if isinstance(exc.param_hint, str) else "value"
    if isinstance(exc, click.MissingParameter):
        # click leaves its message empty and builds one of several lines when shown.
        where = exc.ctx.command_path if exc.ctx is not None else "dirsync-bridge"
        return Fatal(f"{name}: missing: {where} needs it (see {where} --help)")
    return Fatal(f"{name}: {exc.message}")


class OneLineCommand(click.Command):
    """A command whose bad option values are one line naming the option (``--since: ...``);
    every other usage error is one line too (``exits``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except (click.BadParameter, click.BadOptionUsage) as exc:
            raise _one_line(exc) from None


class OneLineGroup(click.Group):
    """``OneLineCommand`` for a group that is also a command (``tickets``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except (click.BadParameter, click.BadOptionUsage) as exc:
            raise _one_line(exc) from None


_SINCE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?",
    re.IGNORECASE,
)
SINCE_FORMS = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM]"
SINCE_HELP = (
    "Only the tickets seen (still open) on or after this day or time: 2024-05-01 (midnight), "
    "2024-05-01T08:00:00, or ISO 8601 with an offset or fraction as the JSON log writes them "
    "(2024-05-01T08:00:00.000Z, ...+02:00). UTC unless it names an offset."
)
"""``--since`` of ``tickets`` and ``report``: one meaning, one parser (``parse_since``)."""


def parse_since(text: str) -> datetime:
    """``--since``: a day (midnight UTC) or an ISO 8601 time, naive read as UTC, an offset
    or ``Z`` honoured, a fraction of a second kept; a ``Fatal`` line naming it else.

    The pattern first: ``fromisoformat`` alone also takes week dates (2024-W01), basic
    forms (20240105) and other scripts' digits, which nobody means by a day.
    """
    value = text.strip()
    try:
        if not _SINCE.fullmatch(value):
            raise ValueError(value)
        if value[-1] in "zZ":  # 3.11's fromisoformat takes "Z", but not "z"
            value = value[:-1] + "+00:00"
        if "." in value:  # fromisoformat wants 3 or 6 digits of fraction: pad or cut to 6
            head, _, rest = value.partition(".")
            digits = re.match(r"[0-9]*", rest).group(0)  # type: ignore[union-attr]
            value = f"{head}.{digits[:6]:0<6}{rest[len(digits) :]}"
        moment = datetime.fromisoformat(value)
        # At the edges of time an offset takes it out of range (0001-01-01T00:00+01:00).
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Fatal(f"--since: {text!r} is not a day or time of the form {SINCE_FORMS}") from None


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    return parse_since(value) if value is not None else None


since_option = click.option(
    "--since", callback=_since, metavar="DAY|TIME", default=None, help=SINCE_HELP
)
"""``--since`` of ``tickets`` and ``report``: a UTC datetime, or None for all time."""


@click.group(cls=_Group, context_settings={"help_option_names": list(HELP_OPTIONS)})
@click.version_option(
    package_name="dirsync-bridge",
    prog_name="dirsync-bridge",
    message="%(prog)s %(version)s",
    help="Print the version and exit.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file. Default: the first of $DIRSYNC_BRIDGE_CONFIG, "
    "./dirsync-bridge.toml, $XDG_CONFIG_HOME/dirsync-bridge/config.toml (~/.config), "
    "/etc/dirsync-bridge/config.toml; else built-in defaults.",
)
@click.option("-v", "--verbose", count=True, help="More log detail on stderr (-vv for debug).")
@click.option(
    "--log-format",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="Log lines on stderr as text, or as one JSON object per line (for cron and log shippers).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int, log_format: LogFormat) -> None:
    """Turn Microsoft 365 "Directory Synchronization Error Report" emails into tickets.

    \b
    Exit codes:
      0   everything done
      1   done, but some inputs were rejected or failed (each named on stderr)
      2   usage or configuration error
      70  internal error: a bug in dirsync-bridge (please report it; -vv shows where)
      75  temporary failure; safe to run again later
      130 interrupted (SIGINT, SIGTERM); the state is consistent, run again to finish
    """
    setup_logging(verbose, log_format)
    if ctx.meta.get(_ASKS_FOR_HELP):
        return  # the subcommand prints its help and exits before using any configuration
    path = find_config_file(config_path, os.environ, Path.cwd())
    try:
        ctx.obj = load_config(path)
    except DirsyncBridgeError as exc:
        if ctx.invoked_subcommand in pass_end.PASS_COMMANDS:
            # The pass cron runs is failing: its closing line must say so (``pass_end``).
            pass_end.begin(ctx.invoked_subcommand, bool(ctx.meta.get(_DRY_RUN)))
        _fail(exc)


COMPLETE_VAR = "_DIRSYNC_BRIDGE_COMPLETE"
"""Click's shell completion: ``eval "$(_DIRSYNC_BRIDGE_COMPLETE=bash_source dirsync-bridge)"``
(``zsh_source``, ``fish_source``) prints the script a shell sources once."""


def complete(env: Mapping[str, str]) -> int | None:
    """Answer the shell's completion request, if ``COMPLETE_VAR`` makes one; its exit code.

    ``exits`` runs the group through ``make_context``, not ``main``, which is where click
    would look for this variable: so it is looked for here, before anything else runs.
    """
    instruction = env.get(COMPLETE_VAR)
    if not instruction:
        return None
    from click.shell_completion import shell_complete

    return shell_complete(cli, {}, "dirsync-bridge", COMPLETE_VAR, instruction)


def _fail(exc: DirsyncBridgeError) -> NoReturn:
    """Say what failed, one log line per problem (JSON with --log-format json), and exit."""
    sys.exit(say(exc))


def utf8_text(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A free-text option or argument as given; a ``Fatal`` line (exit 2) when it is not
    UTF-8. Python makes bytes the locale cannot read lone surrogates, which no ticket, JSON
    line or SQLite query can hold (they were an internal error, exit 70)."""
    if value is not None and without_lone_surrogates(value) != value:
        name = f"--{param.name}" if isinstance(param, click.Option) else (param.name or "").upper()
        try:  # the bytes as typed: b"\xff" became "\udcff"
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "backslashreplace")
        typed = raw.decode("utf-8", "backslashreplace")
        raise Fatal(f"{name}: '{typed}' is not UTF-8 text (bytes the locale cannot read)")
    return value


tenant_option = click.option(
    "--tenant",
    default=None,
    callback=utf8_text,
    metavar="NAME",
    help="The tenant of inputs that name none (csexport and event-log exports); overrides "
    "[tenants] default, and goes through [tenants] aliases like any other name.",
)
"""``--tenant`` of ``parse`` and ``replay``: one text for both."""


def with_tenant(rules: TenantRules, tenant: str | None) -> TenantRules:
    """``rules`` with ``--tenant`` as the default; a blank one is refused (exit 2), as a
    blank ``[tenants] default`` is, rather than filing exports under no name."""
    try:
        return rules.with_default(tenant)
    except ValueError as exc:
        _fail(Fatal(f"--tenant: {exc}"))
