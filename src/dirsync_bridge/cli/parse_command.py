"""``dirsync-bridge parse``: saved report emails and export files parsed and printed; nothing
written."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click

from ..config.settings import Config
from ..errors import DirsyncBridgeError, Fatal
from ..models import Rejected, Report
from ..output import print_json_array, table
from ..rejections import Rejections
from ..terminal import width
from .group import (
    EXIT_OK,
    EXIT_SOME_REJECTED,
    OneLineCommand,
    _fail,
    cli,
    tenant_option,
    with_tenant,
)

log = logging.getLogger("dirsync_bridge.cli")


LARGE_ROWS = 2_000
"""A report of this many rows (some 1 MiB) leaves enough freed memory behind to give back."""


@cli.command(cls=OneLineCommand)
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, allow_dash=True, path_type=Path),
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
@tenant_option
@click.option(
    "--enrich",
    is_flag=True,
    help="Add to each error (JSON) who holds its values, the IdFix rules they break and the "
    "advice, from the look-ups [enrich.*] configures. Still writes nothing.",
)
@click.pass_obj
def parse(
    config: Config, paths: tuple[Path, ...], output_format: str, tenant: str | None, enrich: bool
) -> None:
    """Parse saved report emails and export files and print the errors they list. Writes
    nothing.

    PATH is an .eml file, an mbox file, a Connect Sync export (csexport /f:e XML, event 6941
    as wevtutil RenderedXml, an .evtx log: recognised by content), a directory (every
    *.eml, *.mbox, *.xml and *.evtx under it), or - (one message from standard input). An input
    that is not a trustworthy report is rejected with a one-line reason and exit code 1.
    """
    from ..memory import give_back_memory, map_large_blocks_apart
    from ..parse.parsed_report import ParsedReport
    from ..sources.files import read_inputs

    if enrich and output_format != "json":
        _fail(Fatal("--enrich: needs --format json"))
    # Each rejection is named on stderr after the output (README: exit codes), but not kept
    # in memory until then: an mbox of a million empty messages is a million rejections.
    rejected = Rejections("parse")
    tenants = with_tenant(config.tenants, tenant)

    def results() -> Iterator[ParsedReport | Report | Rejected]:
        # A report's errors stay rows until printed (a batch of models at a time), and
        # nothing of one message is held while the next is read: memory follows the
        # largest message, not the run.
        map_large_blocks_apart()
        for result in read_inputs(paths, config.trust, config.parse, tenants):
            if isinstance(result, Rejected):
                rejected.append(result)
            large = isinstance(result, ParsedReport) and len(result.rows) >= LARGE_ROWS
            yield result
            del result
            if large:  # what it left behind, given back before the next is read
                give_back_memory()

    def json_items() -> Iterator[bytes | Iterable[bytes]]:
        for result in results():
            yield result.json_chunks() if isinstance(result, ParsedReport) else result.to_json()
            del result

    if output_format == "json" and enrich:
        from ..bootstrap import enricher_for
        from ..enrich.enricher import enriched_json

        try:
            enricher = enricher_for(config, os.environ)
        except DirsyncBridgeError as exc:
            _fail(exc)
        try:
            # Look-ups are batched over a whole report, so its errors are all made at once.
            print_json_array(
                enriched_json(r.report() if isinstance(r, ParsedReport) else r, enricher)
                for r in results()
            )
        finally:
            enricher.close()
    elif output_format == "json":
        print_json_array(json_items())
    else:
        for line in table(results(), width(sys.stdout)):
            click.echo(line)
    sys.stdout.flush()
    # Named on stderr after the output, so that they neither interleave with a table nor
    # hide in a JSON document.
    for named in rejected:
        log.warning(
            "rejected %s: %s",
            named.source,
            named.reason,
            extra={"event": "message-rejected", "source": named.source, "code": named.code},
        )
    rejected.close()
    sys.exit(EXIT_SOME_REJECTED if rejected else EXIT_OK)
