"""mbox archives: what starts one, and where each of its messages lies. Pure but for reading.

An archive is known by its first line, ``From `` (the envelope line), after what other tools
put before it: a UTF-8 byte order mark (PowerShell 5.1's ``Out-File -Encoding utf8`` when
archives are joined) and blank lines, LF or CRLF (a ``cat`` of files that each end in one,
an export tool's preamble). Without that allowance such an archive was read as a single
message and rejected whole, its good reports with it.

The messages are split as Python's ``mailbox.mbox`` splits them (each line starting
``From `` begins one; the blank line before the next is not part of it), but from the file
already opened and checked (no second open of the name, which could be swapped in between)
and a piece of a line at a time, so that no line, however long, is held whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO, Final

MAGIC: Final = b"From "
BOM: Final = b"\xef\xbb\xbf"
HEAD: Final = 64 * 1024
"""How much of a file is looked at to know it for an mbox: room for any preamble of blanks."""
_STARTS: Final = re.compile(rb"(?:\xef\xbb\xbf)?(?:[ \t]*\r?\n)*From ")
_PIECE: Final = 1 << 16
_BLANK: Final = (b"\n", b"\r\n")


def is_mbox(head: bytes) -> bool:
    """Whether a file that starts with ``head`` is an mbox: ``From `` after an optional
    byte order mark and blank lines."""
    return _STARTS.match(head) is not None


def cr_only(head: bytes) -> bool:
    """Whether the mbox that starts with ``head`` ends its lines in CR alone (classic Mac
    OS, some exporters): its envelope line has a CR not followed by LF before any LF.

    Such a file splits into no lines at all: read as one envelope line and an empty message,
    it was refused as "empty", a false reason that hid its reports."""
    found = _STARTS.match(head)
    if found is None:
        return False
    line = head[found.end() :]
    cr = line.find(b"\r")
    lf = line.find(b"\n")
    return 0 <= cr < len(line) - 1 and (lf < 0 or cr < lf) and line[cr + 1] != ord("\n")


def spans(handle: BinaryIO) -> Iterator[tuple[int, int]]:
    """Where each message of the mbox open in ``handle`` lies: ``(start, stop)``, from the
    byte after its ``From `` line to its end, in file order.

    Found as the file is read, one at a time: a list of them all would grow with the number
    of messages (an archive of a million tiny ones cost hundreds of MB before its first was
    read). The caller may move ``handle`` between two spans (to read the message): the scan
    goes on from where it was."""
    start: int | None = None
    handle.seek(0)
    if handle.read(len(BOM)) != BOM:
        handle.seek(0)
    blank = 0  # the length of the line just read when it was blank: not the message's
    line_start = True
    while True:
        where = handle.tell()
        piece = handle.readline(_PIECE)
        if not piece:
            break
        if line_start and piece.startswith(MAGIC):
            ended = (start, where - blank) if start is not None else None
            while not piece.endswith(b"\n"):  # the rest of a long envelope line
                piece = handle.readline(_PIECE)
                if not piece:
                    break
            start = handle.tell()
            blank = 0
            if ended is not None:
                yield ended
                handle.seek(start)
            continue
        blank = len(piece) if line_start and piece in _BLANK else 0
        line_start = piece.endswith(b"\n")
    if start is not None:
        yield start, handle.tell() - blank


def count(handle: BinaryIO) -> int:
    """How many messages the mbox open in ``handle`` holds (a progress bar's total), counted
    without keeping where they lie."""
    return sum(1 for _ in spans(handle))
