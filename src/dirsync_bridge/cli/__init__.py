"""The command line: a thin shell over ``pipeline`` and ``bootstrap``; exit codes in ``--help``.

``cli`` is the click group; importing this package registers every command on it.
"""

from . import doctor_command, parse_command, pass_commands, report_command, ticket_commands
from .group import cli
from .help_text import annotate

annotate(cli)  # every command registered above: each --help gets its examples and variables

__all__ = [
    "cli",
    "doctor_command",
    "parse_command",
    "pass_commands",
    "report_command",
    "ticket_commands",
]
