"""The command line: a thin shell over ``pipeline`` and ``bootstrap``; exit codes in ``--help``."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import click
from pydantic import ValidationError as PydanticValidationError

from .config.settings import Config, find_config_file, load_config, required_keys
from .errors import ConfigError, ConfigErrors, DirsyncBridgeError, Fatal, Retriable
from .failures import say
from .logs import LogFormat, setup_logging
from .models import ParseResult, Rejected
from .output import (
    Progress,
    print_json_array,
    run_line,
    summary_json,
    summary_lines,
    table,
    ticket_json,
    ticket_table,
    utc_now,
)
from .run_summary import RunSummary
from .terminal import shown

# Each command imports what it runs when it runs: `parse` must start without the Jira,
# Graph, LDAP and template libraries that only other commands need (bootstrap.py).

log = logging.getLogger("dirsync_bridge.cli")

EXIT_OK = 0
EXIT_SOME_REJECTED = 1
HELP_OPTIONS = ("-h", "--help")
_ASKS_FOR_HELP = "dirsync_bridge.asks_for_help"


class _Group(click.Group):
    """The command group, noting whether the subcommand was asked for its ``--help``.

    The group's callback (which loads the configuration) runs before the subcommand reads
    its own options; ``COMMAND --help`` must answer even when the configuration is broken.
    How a command ends (signals, usage errors, a bug) is ``exits``'s business.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """The group's own options; the subcommand's arguments are only looked at."""
        rest = super().parse_args(ctx, args)
        words = rest[: rest.index("--")] if "--" in rest else rest
        ctx.meta[_ASKS_FOR_HELP] = any(word in HELP_OPTIONS for word in words)
        return rest


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
    help="Configuration file. Default: $DIRSYNC_BRIDGE_CONFIG, else ./dirsync-bridge.toml, "
    "else built-in defaults.",
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
        _fail(exc)


@cli.command()
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="PATH...",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, or a JSON array (one object per message) for scripts.",
)
@click.option(
    "--enrich",
    is_flag=True,
    help="Add to each error (JSON) who holds its values, the IdFix rules they break and the "
    "advice, from the look-ups [enrich.*] configures. Still writes nothing.",
)
@click.pass_obj
def parse(config: Config, paths: tuple[Path, ...], output_format: str, enrich: bool) -> None:
    """Parse saved report emails and print the errors they list. Writes nothing.

    PATH is an .eml file, a directory (every *.eml under it), or an mbox file. Mail that
    is not a trustworthy report is rejected with a one-line reason and exit code 1.
    """
    from .sources.files import parse_paths

    if enrich and output_format != "json":
        _fail(Fatal("--enrich: needs --format json"))
    rejected: list[Rejected] = []

    def noting_rejections() -> Iterator[ParseResult]:
        for result in parse_paths(paths, config.trust, config.parse):
            if isinstance(result, Rejected):
                rejected.append(result)
            yield result

    if output_format == "json" and enrich:
        from .bootstrap import enricher_for
        from .enrich.enricher import enriched_json

        try:
            enricher = enricher_for(config, os.environ)
        except DirsyncBridgeError as exc:
            _fail(exc)
        try:
            print_json_array(enriched_json(r, enricher) for r in noting_rejections())
        finally:
            enricher.close()
    elif output_format == "json":
        print_json_array(result.to_json() for result in noting_rejections())
    else:
        for line in table(noting_rejections()):
            click.echo(line)
    sys.stdout.flush()
    # Named on stderr after the output, so that they neither interleave with a table nor
    # hide in a JSON document.
    for result in rejected:
        log.warning("rejected %s: %s", result.source, result.reason)
    sys.exit(EXIT_SOME_REJECTED if rejected else EXIT_OK)


@cli.command()
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="PATH...",
)
@click.option(
    "--sink",
    "sink_kind",
    type=click.Choice(["local", "jira"]),
    default=None,
    help="Where tickets go: the embedded store, or Jira ([jira] section). Default: [sink] kind.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the ticket writes the run would make, and write nothing at all.",
)
@click.option(
    "--no-enrich",
    is_flag=True,
    help="Skip the holder look-ups of [enrich.*] (tickets without the who-holds-it facts).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A summary for people, or one JSON object for scripts.",
)
@click.pass_obj
def replay(
    config: Config,
    paths: tuple[Path, ...],
    sink_kind: str | None,
    dry_run: bool,
    no_enrich: bool,
    output_format: str,
) -> None:
    """Run saved report emails through the whole pipeline, into tickets.

    PATH is an .eml file, a directory (every *.eml under it), or an mbox file. Messages
    already in the ledger are skipped before parsing, so replaying the same files again
    changes nothing. Tickets follow report time, not reading order: any order of the same
    reports ends in the same tickets.
    """
    from . import pipeline

    if sink_kind is not None and sink_kind != config.sink.kind:
        config = _with_sink(config, sink_kind)
    with Progress(enabled=output_format == "table" and sys.stderr.isatty()) as progress:
        try:
            summary = pipeline.replay(
                paths, config, dry_run=dry_run, progress=progress.step, enrich=not no_enrich
            )
        except DirsyncBridgeError as exc:
            progress.close()
            _fail(exc)
    if output_format == "json":
        stamped = {"time": utc_now(), **summary_json(summary, dry_run)}
        click.echo(json.dumps(stamped, ensure_ascii=False))
    else:
        for line in summary_lines(summary, dry_run):
            click.echo(line)
    sys.stdout.flush()
    _report(summary)
    sys.exit(_exit_code(summary))


def _report(summary: RunSummary) -> None:
    """Name every rejected input and every ticket that needs a person, on stderr."""
    for result in summary.problems:
        log.warning("rejected %s: %s", result.source, result.reason)
    for line in summary.attention:
        log.warning("needs attention: %s", line)
    for line in summary.unconfirmed:
        log.warning("unconfirmed: %s", line)
    for line in dict.fromkeys(summary.fatal):
        log.error("%s", line)


def _exit_code(summary: RunSummary) -> int:
    if summary.fatal:
        return Fatal.exit_code  # a person must fix the configuration: say so loudly
    if summary.unconfirmed:
        return Retriable.exit_code
    return EXIT_SOME_REJECTED if summary.problems or summary.attention else EXIT_OK


def _with_sink(config: Config, kind: str) -> Config:
    """The configuration with ``--sink`` applied, checked like the file's own value."""
    data = config.model_dump()
    data["sink"]["kind"] = kind
    try:
        return Config.model_validate(data).read_from(config.file)
    except PydanticValidationError:
        missing = [
            ConfigError(config.file, key, f"is required with --sink {kind}")
            for key, _ in required_keys(data)
        ] or [ConfigError(config.file, f"[{kind}]", f"is incomplete for --sink {kind}")]
        _fail(missing[0] if len(missing) == 1 else ConfigErrors(missing))


@cli.group(invoke_without_command=True)
@click.option(
    "--status",
    type=click.Choice(["open", "resolved", "all"]),
    default="open",
    show_default=True,
    help="Which tickets to list.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, or a JSON array for scripts.",
)
@click.pass_context
def tickets(ctx: click.Context, status: str, output_format: str) -> None:
    """List the tickets the tool keeps, from its ledger (whatever the sink).

    `tickets rebuild` rebuilds the local ticket store from the ledger.
    """
    from .ledger.store import Ledger

    if ctx.invoked_subcommand is not None:
        return
    config: Config = ctx.obj
    rows = []
    if config.state.path.exists():
        # Read-only: listing works for a user who may read the state but not write it.
        try:
            ledger = Ledger.open_readonly(config.state.path)
            try:
                wanted = None if status == "all" else status
                rows = list(ledger.tickets(wanted))  # type: ignore[arg-type]
            finally:
                ledger.close()
        except DirsyncBridgeError as exc:
            _fail(exc)
    if output_format == "json":
        click.echo(json.dumps([ticket_json(row) for row in rows], ensure_ascii=False, indent=1))
    else:
        for line in ticket_table(rows):
            click.echo(line)


@tickets.command()
@click.pass_obj
def rebuild(config: Config) -> None:
    """Rebuild the local ticket store (tickets.db) from the ledger (state.db).

    For a store lost, damaged, or restored from an older backup than the ledger: every run
    then stops with exit 2 and says to run this. The ledger is the source of truth: each
    ticket it records is put back under its own key (copied from the old store where it is
    there, else restored from the ledger), then brought to what its history calls for. The
    old file is kept beside it as tickets.db.before-rebuild-<time>. Takes the run lock; safe
    to repeat, and safe to run on a store that is fine (it changes nothing).
    """
    from . import bootstrap
    from .store_rebuild import rebuild_store

    try:
        summary = rebuild_store(config, bootstrap.ticket_texts(config), bootstrap.policy(config))
    except DirsyncBridgeError as exc:
        _fail(exc)
    click.echo(shown(summary.line()))


@cli.command()
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read the mailbox and print the ticket writes and mailbox actions the pass would "
    "make; write nothing, mark nothing.",
)
@click.pass_context
def run(ctx: click.Context, dry_run: bool) -> None:
    """One pass for cron: new reports from the mailbox ([source.mailbox]), into tickets.

    Takes the run lock, lists the folder's mail since the last pass, parses what may be a
    report, brings the tickets up to date, then moves or marks each message as [source.mailbox]
    after / after_rejected say (only once all its ticket writes are done). Prints one line
    (one JSON object with --log-format json). A pass with no new mail costs one Graph
    request after the token. Safe to run every few minutes.
    """
    from . import pipeline

    config: Config = ctx.obj
    json_output = ctx.parent is not None and ctx.parent.params.get("log_format") == "json"
    try:
        summary = pipeline.run(config, dry_run=dry_run)
    except DirsyncBridgeError as exc:
        _fail(exc)
    if json_output:
        # Stamped like the log lines around it: a cron log is read by time.
        stamped = {"time": utc_now(), **summary_json(summary, dry_run)}
        click.echo(json.dumps(stamped, ensure_ascii=False))
    else:
        if dry_run:
            lines = list(summary_lines(summary, dry_run))
            for line in lines[:-2]:
                click.echo(line)
        click.echo(run_line(summary, dry_run))
    sys.stdout.flush()
    _report(summary)
    sys.exit(_exit_code(summary))


@cli.command()
@click.pass_obj
def doctor(config: Config) -> None:
    """Check the configuration against the real services, one line per check.

    The configuration file loaded, the ledger (healthy, writable by this account: run doctor
    as the service's account). For Jira: the URL, the token, the credentials, the project,
    the issue type, components, priorities, custom fields, and the resolve and reopen
    transitions (on tickets this tool made). For Graph: sign-in, the mailbox, write access,
    and the users, groups and contacts look-ups of [enrich.cloud]. For [enrich.onprem]: the
    LDAP bind and a search. Progress on stderr while a server is slow. Nothing is written.
    Exit 0 when every check passed, 2 when something must be fixed, 75 when a service could
    not be reached.
    """
    from .doctor.checks import checks, exit_code

    # Progress goes to stderr through the log (JSON with --log-format json), whatever -v says:
    # a doctor that waits on a server should say what it waits for.
    progress_log = logging.getLogger("dirsync_bridge.doctor.checks")
    progress_log.setLevel(min(progress_log.getEffectiveLevel(), logging.INFO))
    results = []
    for check in checks(config, os.environ, progress=lambda text: progress_log.info("%s", text)):
        results.append(check)
        mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}[check.outcome]
        click.echo(f"{mark} {check.name}: {shown(check.detail)}")  # a server's words
    sys.exit(exit_code(results))


def _fail(exc: DirsyncBridgeError) -> NoReturn:
    """Say what failed, one log line per problem (JSON with --log-format json), and exit."""
    sys.exit(say(exc))
