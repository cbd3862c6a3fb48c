"""``dirsync-bridge tickets``: the tickets the ledger keeps, and ``tickets rebuild``."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from datetime import datetime

import click

from ..config.settings import Config
from ..errors import DirsyncBridgeError, Fatal
from ..output import print_json_array, ticket_json, ticket_table, write_ticket_csv
from ..terminal import shown, width
from .group import (
    EXIT_SOME_REJECTED,
    OneLineCommand,
    OneLineGroup,
    _fail,
    cli,
    since_option,
    utf8_text,
)

log = logging.getLogger("dirsync_bridge.cli")


def known_kind(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--kind``: a kind of the catalogue (any case), else one line naming the closest or
    listing them all; a typo listed nothing, exit 0, which reads as "no such problem"."""
    if value is None:
        return None
    import difflib

    from ..models import KINDS

    if any(kind.casefold() == value.strip().casefold() for kind in KINDS):
        return value.strip()
    folded = {kind.casefold(): kind for kind in KINDS}
    close = difflib.get_close_matches(value.strip().casefold(), folded, n=1)
    hint = f"did you mean {folded[close[0]]}?" if close else "the kinds are " + ", ".join(KINDS)
    raise click.BadParameter(f"{value!r} is not a kind the catalogue knows: {hint}", ctx, param)


@cli.group(cls=OneLineGroup, invoke_without_command=True)
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
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="A table for people, a JSON array for scripts, or CSV for a spreadsheet.",
)
@click.option(
    "--kind",
    callback=known_kind,
    help="Only tickets opened for this kind (AttributeValueMustBeUnique; any case).",
)
@click.option(
    "--tenant", callback=utf8_text, help="Only this tenant's tickets, as the list names it."
)
@since_option
@click.pass_context
def tickets(
    ctx: click.Context,
    status: str,
    output_format: str,
    kind: str | None,
    tenant: str | None,
    since: datetime | None,
) -> None:
    """List the tickets the tool keeps, from its ledger (whatever the sink), by when they
    were last seen, oldest first.

    `tickets show KEY` shows one ticket in full; `tickets rebuild` rebuilds the local
    ticket store from the ledger.
    """
    from ..ledger.listing import TicketFilter
    from ..ledger.store import Ledger
    from ..parse.tenants import BLANK, blank

    if ctx.invoked_subcommand is not None:
        return
    config: Config = ctx.obj
    if tenant is not None and blank(tenant):
        _fail(Fatal(f"--tenant: {BLANK}"))
    wanted = TicketFilter(
        status=None if status == "all" else status,  # type: ignore[arg-type]
        kind=kind,
        tenant=tenant,
        since=since,
    )
    ledger = None
    if config.state.path.exists():
        # Read-only: listing works for a user who may read the state but not write it.
        try:
            ledger = Ledger.open_readonly(config.state.path)
        except DirsyncBridgeError as exc:
            _fail(exc)
    try:
        # Streamed: a ledger of 50,000 tickets is listed without holding them all.
        if ledger is not None and tenant is not None:
            # Filed under any of its names: an alias or a rename added after its first
            # reports keeps them under the spelling they were first filed under.
            names = ledger.names_of(config.tenants.spellings(tenant) or (tenant,))
            wanted = dataclasses.replace(wanted, spellings=tuple(names))
        rows = iter(ledger.tickets(where=wanted)) if ledger is not None else iter(())
        if output_format == "json":
            # Streamed a ticket at a time, and still one JSON document when a signal stops it.
            print_json_array(ticket_json(r) for r in rows)
        elif output_format == "csv":
            write_ticket_csv(rows, sys.stdout)
        else:
            for line in ticket_table(rows, width(sys.stdout)):
                click.echo(line)
    except DirsyncBridgeError as exc:
        _fail(exc)
    finally:
        if ledger is not None:
            ledger.close()


@tickets.command(cls=OneLineCommand)
@click.argument("key", callback=utf8_text)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text for people, or one JSON object for scripts.",
)
@click.pass_obj
def show(config: Config, key: str, output_format: str) -> None:
    """Show one ticket in full: its description, every comment, the reports that listed
    its problem (time, source, kind), the latest enrichment, earlier tickets of the same
    problem and, in Jira, its URL. An unknown KEY is one line and exit 2.
    """
    from ..ticket_show import gather, show_json, show_lines

    try:
        ticket = gather(config, os.environ, key)
    except DirsyncBridgeError as exc:
        _fail(exc)
    if output_format == "json":
        click.echo(json.dumps(show_json(ticket), ensure_ascii=False, indent=1))
    else:
        for line in show_lines(ticket):
            click.echo(line)
    if ticket.missing is not None:
        # After the output, as every command names what it could not do: done, but not all.
        log.warning("%s", shown(ticket.missing))
        sys.exit(EXIT_SOME_REJECTED)


@tickets.command(cls=OneLineCommand)
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
