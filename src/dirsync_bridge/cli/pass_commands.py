"""``dirsync-bridge replay`` and ``run``: one pass into tickets, its summary and its exit code."""

from __future__ import annotations

import logging
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from pydantic import ValidationError as PydanticValidationError

from .. import interrupt, pass_end
from ..config.settings import Config, required_keys
from ..errors import ConfigError, ConfigErrors, DirsyncBridgeError, Fatal, Retriable
from ..output import run_line, summary_json, summary_json_text, summary_lines, utc_now
from ..terminal import ProgressBar
from .group import (
    EXIT_OK,
    EXIT_SOME_REJECTED,
    OneLineCommand,
    _fail,
    cli,
    tenant_option,
    with_tenant,
)

if TYPE_CHECKING:  # a pass's own (``_metrics``, its summary): ``parse`` starts without them
    from ..metrics import PassWatch
    from ..run_summary import RunSummary

log = logging.getLogger("dirsync_bridge.cli")


@cli.command(cls=OneLineCommand)
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, allow_dash=True, path_type=Path),
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
@tenant_option
@click.pass_obj
def replay(
    config: Config,
    paths: tuple[Path, ...],
    sink_kind: str | None,
    dry_run: bool,
    no_enrich: bool,
    output_format: str,
    tenant: str | None,
) -> None:
    """Run saved report emails and export files through the whole pipeline, into tickets.

    PATH is as for parse: an .eml file, an mbox file, a Connect Sync export (recognised by
    content), a directory (every *.eml, *.mbox, *.xml and *.evtx under it), or - (one
    message from standard input). Inputs already in the ledger (by the sha256 of their
    bytes; an export file's with its tenant and the time it was written) are skipped before
    parsing, and an export saved again in other bytes is known by what it says, so replaying
    the same files again changes nothing. Tickets follow report
    time, not reading order: any order of the same reports ends in the same tickets.
    """
    from .. import pipeline

    pass_end.begin("replay", dry_run)
    if sink_kind is not None and sink_kind != config.sink.kind:
        config = _with_sink(config, sink_kind)
    if tenant is not None:
        config = config.model_copy(update={"tenants": with_tenant(config.tenants, tenant)})
    with _metrics(config, dry_run) as watch:
        bar = _progress_bar("replay")
        try:
            summary = pipeline.replay(
                paths,
                config,
                dry_run=dry_run,
                progress=bar,
                enrich=not no_enrich,
                named_after=True,
            )
        except DirsyncBridgeError as exc:
            _fail(exc)
        finally:
            if bar is not None:
                bar.close()  # erased before the summary is printed, or the error said
        watch.summary = summary
        if output_format == "json":
            _print_json(summary, dry_run)
        else:
            for line in summary_lines(summary, dry_run):
                click.echo(line)
        sys.stdout.flush()
        _report(summary)
        pipeline.mark_named(config, summary)  # named now: no later pass names them again
        _log_summary("replay", summary, dry_run)
        sys.exit(_exit_code(summary))


def _progress_bar(label: str) -> ProgressBar | None:
    """A bar when stderr is a terminal (a person watches), and its lines are for people:
    never in a pipe, a file or a cron mail, nor among ``--log-format json`` lines."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    json_logs = root.params.get("log_format") == "json"
    return ProgressBar(label) if sys.stderr.isatty() and not json_logs else None


def _metrics(config: Config, dry_run: bool) -> AbstractContextManager[PassWatch]:
    """The textfile written however the pass ends (``metrics``); none for a dry run, which
    changes nothing a metric tells."""
    from ..metrics import watched  # a pass's own: ``parse`` starts without it

    return watched(None if dry_run else config.metrics.textfile, config.state.path)


WRITE_BATCH = 1 << 16
"""Characters of the JSON summary written at a time."""


def _print_json(summary: RunSummary, dry_run: bool) -> None:
    """The summary as one JSON object on one line, stamped like the log lines around it (a
    cron log is read by time); written a batch at a time, its rejections read back from
    their spool as it goes, and whole: a signal waits for its end (``interrupt.deferred``)."""
    batch: list[str] = []
    size = 0
    with interrupt.deferred():
        for piece in summary_json_text(summary, dry_run, utc_now()):
            batch.append(piece)
            size += len(piece)
            if size >= WRITE_BATCH:
                click.echo("".join(batch), nl=False)
                interrupt.progressed()  # a slow reader still reading: not cut short
                batch, size = [], 0
        batch.append("\n")
        click.echo("".join(batch), nl=False)


def _report(summary: RunSummary) -> None:
    """Name every rejected input and every ticket that needs a person, on stderr."""
    for result in summary.problems:
        log.warning(
            "rejected %s: %s",
            result.source,
            result.reason,
            extra={
                "event": "message-rejected",
                "source": result.source,
                "code": result.code,
                "reason": result.reason,
            },
        )
    for line in summary.attention:
        log.warning("needs attention: %s", line, extra={"event": "ticket-needs-attention"})
    for line in summary.unconfirmed:
        log.warning("unconfirmed: %s", line, extra={"event": "write-unconfirmed"})
    for line in dict.fromkeys(summary.fatal):
        log.error("%s", line, extra={"event": "configuration-problem"})


def _log_summary(command: str, summary: RunSummary, dry_run: bool) -> None:
    """The pass's counts for its ``run-summary`` line: one JSON object with a timestamp
    with --log-format json (always), a plain line at -v; written as the process ends, with
    its exit code (``pass_end``)."""
    counts = summary_json(summary, dry_run)
    # A replay's own closing lines, without a dry run's list of writes (that is stdout's).
    # ``run_line`` starts with its own "run: " (stdout's line); the closing line puts the
    # command first itself (``pass_end``), so only what follows it is said here.
    said = (
        run_line(summary, dry_run).partition(": ")[2]
        if command == "run"
        else "; ".join(summary_lines(summary, False))
    )
    pass_end.counted(said, {"messages": counts["messages"], "tickets": counts["tickets"]})


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


@cli.command(cls=OneLineCommand)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read the mailbox and print the ticket writes and mailbox actions the pass would "
    "make; write nothing, mark nothing.",
)
@click.pass_context
def run(ctx: click.Context, dry_run: bool) -> None:
    """One pass for cron: new reports from the mailbox ([source.mailbox]) and Graph's
    provisioning errors ([source.provisioning_errors]), into tickets.

    Takes the run lock, lists the folder's mail since the last pass, parses what may be a
    report, reads the users, groups and contacts Graph lists with provisioning errors (one
    report a pass), brings the tickets up to date, then moves or marks each message as
    [source.mailbox] after / after_rejected say (only once all its ticket writes are done).
    Either source alone is fine. Prints one line (one JSON object with --log-format json).
    A pass with no new mail costs one Graph request after the token, plus one listing per
    object type scanned (and its pages). Safe to run every few minutes.
    """
    from .. import pipeline
    from ..run_summary import CutShort

    pass_end.begin("run", dry_run)
    config: Config = ctx.obj
    json_output = ctx.parent is not None and ctx.parent.params.get("log_format") == "json"
    with _metrics(config, dry_run) as watch:
        bar = _progress_bar("run")
        failure: CutShort | None = None
        try:
            summary = pipeline.run(config, dry_run=dry_run, progress=bar, named_after=True)
        except CutShort as exc:  # the pass did its work first: said as ever, then exit 75
            summary, failure = exc.summary, exc
        except DirsyncBridgeError as exc:
            _fail(exc)
        finally:
            if bar is not None:
                bar.close()
        watch.summary = summary
        if json_output:
            _print_json(summary, dry_run)
        else:
            if dry_run:
                lines = list(summary_lines(summary, dry_run))
                for line in lines[:-2]:
                    click.echo(line)
            click.echo(run_line(summary, dry_run))
        sys.stdout.flush()
        _report(summary)
        pipeline.mark_named(config, summary)  # named now: no later pass names them again
        _log_summary("run", summary, dry_run)
        if failure is not None:
            _fail(failure)
        sys.exit(_exit_code(summary))
