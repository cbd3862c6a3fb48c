"""``dirsync-bridge parse``: saved report emails parsed and printed; nothing written."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ..config.settings import Config
from ..errors import DirsyncBridgeError, Fatal
from ..models import ParseResult, Rejected
from ..output import (
    print_json_array,
    table,
)
from .group import EXIT_OK, EXIT_SOME_REJECTED, _fail, cli

log = logging.getLogger("dirsync_bridge.cli")


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
    from ..sources.files import parse_paths

    if enrich and output_format != "json":
        _fail(Fatal("--enrich: needs --format json"))
    rejected: list[Rejected] = []

    def noting_rejections() -> Iterator[ParseResult]:
        for result in parse_paths(paths, config.trust, config.parse):
            if isinstance(result, Rejected):
                rejected.append(result)
            yield result

    if output_format == "json" and enrich:
        from ..bootstrap import enricher_for
        from ..enrich.enricher import enriched_json

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
