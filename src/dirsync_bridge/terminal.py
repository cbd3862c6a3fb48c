"""Text from outside shown on a terminal: its control characters escaped, never obeyed.

A report's identity, tenant or error text, a server's answer, a file name: any of them can
hold an escape sequence (``ESC ] 0 ; title BEL`` sets the window title, ``ESC [ 2 J``
clears the screen, others have rewritten the clipboard or hidden text). Every table and
every human log line shows such text through ``shown``: the C0 controls (newlines and
tabs included: one event, one line), DEL and the C1 controls (8-bit ``CSI``) become
backslash escapes, ``\\x1b``. JSON output needs none of this: ``json.dumps`` escapes the
C0 controls, and a JSON reader does not obey the others.
"""

from __future__ import annotations

import re
import shutil
from typing import Final, TextIO

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CLIPPED_WIDTH: Final = 80
"""Tables written anywhere but a terminal (a file, a pipe, cron's mail) fit 80 columns."""
_NARROWEST: Final = 40


def shown(text: str) -> str:
    """``text`` with every control character written as ``\\xNN``."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group(0)):02x}"


def width(stream: TextIO) -> int:
    """How wide a table written to ``stream`` may be: a terminal's width (``$COLUMNS`` if
    set, else the window's), and 80 columns when it is not a terminal."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream: not a terminal
        terminal = False
    if not terminal:
        return CLIPPED_WIDTH
    columns = shutil.get_terminal_size((CLIPPED_WIDTH, 24)).columns
    # A window too narrow for the key and status columns still gets a usable table.
    return max(columns, _NARROWEST)
