"""``dirsync-bridge tickets``: the tickets the ledger keeps, and ``tickets rebuild``."""

from __future__ import annotations

import json
import logging

import click

from ..config.settings import Config
from ..errors import DirsyncBridgeError
from ..output import (
    ticket_json,
    ticket_table,
)
from ..terminal import shown
from .group import _fail, cli

log = logging.getLogger("dirsync_bridge.cli")


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
    from ..ledger.store import Ledger

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
    from .. import bootstrap
    from ..store_rebuild import rebuild_store

    try:
        summary = rebuild_store(config, bootstrap.ticket_texts(config), bootstrap.policy(config))
    except DirsyncBridgeError as exc:
        _fail(exc)
    click.echo(shown(summary.line()))
