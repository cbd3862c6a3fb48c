"""``dirsync-bridge report --html FILE``: the ledger's history as one self-contained page."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from ..config.settings import Config
from ..errors import DirsyncBridgeError, Fatal
from ..secret_files import NotRegularFile, replaceable
from .group import OneLineCommand, _fail, cli, since_option


@cli.command(cls=OneLineCommand)
@click.option(
    "--html",
    "html_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the page to FILE (replaced whole, atomically).",
)
@since_option
@click.pass_obj
def report(config: Config, html_path: Path, since: datetime | None) -> None:
    """Write an HTML page of the tickets' history: open problems by kind over time, new and
    resolved per week, the attributes and domains in most conflicts, the time to resolve,
    and the open tickets.

    The page is one file that needs no network: its styles, its data and the chart library
    (Chart.js) are inside it. It reads the ledger only, so it works for a user who may read
    the state but not write it.
    """
    from ..ledger.reporting import newest_report, ticket_spans
    from ..ledger.store import Ledger
    from ..report.page import PageFacts, render
    from ..report.series import numbers

    spans = []
    open_tickets = []
    until = None
    path = config.state.path
    try:
        if path.exists():
            ledger = Ledger.open_readonly(path)
            try:
                spans = list(ticket_spans(ledger.conn))
                until = newest_report(ledger.conn)
                open_tickets = [
                    row
                    for row in ledger.tickets("open")
                    if since is None or (row.last_seen is not None and row.last_seen >= since)
                ]
            finally:
                ledger.close()
        facts = PageFacts(generated=datetime.now(UTC), since=since, ledger=str(path))
        write_atomically(html_path, render(numbers(spans, since, until), open_tickets, facts))
    except DirsyncBridgeError as exc:
        _fail(exc)
    click.echo(f"report: wrote {html_path}")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it, synced,
    then renamed over it; a reader never sees half a page, a failure leaves the old one."""
    from .. import crashpoints
    from ..atomic_files import temporary_beside
    from ..sqlite import os_failure

    what = f"report: cannot write {path}"
    try:
        path = replaceable(path)  # through a link: the file it names
    except NotRegularFile as exc:
        raise Fatal(f"{what}: it is {exc.kind}, not a file to replace") from None
    except OSError as exc:  # a link naming itself, a name too long, a file as a folder
        raise Fatal(f"{what}: {exc.strerror or exc}") from None
    try:
        handle, temporary = temporary_beside(path)  # a kill's leftover of this page swept
    except OSError as exc:
        raise os_failure(exc, what) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        crashpoints.crash_point("report-written")
        # mkstemp makes the file 0600; a page is meant to be read (and served) like others.
        umask = os.umask(0)
        os.umask(umask)
        Path(temporary).chmod(0o666 & ~umask)
        Path(temporary).replace(path)
    except BaseException as exc:
        # A failure or a signal half-way: leave no temporary file behind, and no half page.
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise os_failure(exc, what) from None
        raise
