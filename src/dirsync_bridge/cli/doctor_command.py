"""``dirsync-bridge doctor``: the configuration checked against the real services."""

from __future__ import annotations

import logging
import os
import sys

import click

from ..config.settings import Config
from ..secret_files import redact
from ..terminal import shown
from .group import cli

log = logging.getLogger("dirsync_bridge.cli")


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
    from ..doctor.checks import checks, exit_code

    # Progress goes to stderr through the log (JSON with --log-format json), whatever -v says:
    # a doctor that waits on a server should say what it waits for.
    progress_log = logging.getLogger("dirsync_bridge.doctor.checks")
    progress_log.setLevel(min(progress_log.getEffectiveLevel(), logging.INFO))
    results = []
    for check in checks(config, os.environ, progress=lambda text: progress_log.info("%s", text)):
        results.append(check)
        mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}[check.outcome]
        click.echo(f"{mark} {check.name}: {shown(redact(check.detail))}")  # a server's words
    sys.exit(exit_code(results))
