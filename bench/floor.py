"""The parse floor: the least work that still finds a report's rows.

Stdlib ``email`` decodes the body, ``lxml.html`` parses it, every cell is read. ``bench/run.py``
imports ``floor_parse`` for the in-process figure and runs this file as a script for the
whole-process one, so both floors do the same work. It imports nothing of ours: as a process
it pays only for the interpreter, ``email`` and ``lxml``.
"""

from __future__ import annotations

import email
import sys
from pathlib import Path

import lxml.html


def floor_parse(raw: bytes) -> int:
    """Decode the body, parse the HTML, read every cell; the number of 3-cell rows."""
    message = email.message_from_bytes(raw)
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    root = lxml.html.document_fromstring(payload.decode("utf-8"))
    rows = 0
    for row in root.iter("tr"):
        cells = [cell.text_content() for cell in row.iter("td")]
        rows += len(cells) == 3
    return rows


if __name__ == "__main__":
    print(floor_parse(Path(sys.argv[1]).read_bytes()))
