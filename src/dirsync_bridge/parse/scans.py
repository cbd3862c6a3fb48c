"""Scans of sender-written text in time linear in its length.

Each function here gives exactly what a regex, searched or split, gave (the tests hold those
regexes as oracles), without its quadratic case: a regex search tries every start, and
where the pattern's first part runs on to the end of a long run of the same characters from
each start before failing, a megabyte line costs hours. The text is the sender's to write,
up to ``[parse] max_message_bytes`` (25 MiB).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_TABS = re.compile(r"\t+")
_SPACES = re.compile(r"\s*")
_SEPARATOR_START = re.compile(r"\s|\|(?=\s)")


def _end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where ``pattern`` (one that matches the empty string too) ends, matched at ``pos``."""
    found = pattern.match(text, pos)
    return found.end() if found else pos


def split_cells(line: str) -> list[str]:
    r"""``re.split(r"\t+|\s+\|\s*|\s*\|\s+", line)``: the cells of a plain-text table row.

    Split at a run of tabs, or at a ``|`` with whitespace before or after it (and all the
    whitespace around it). The regex tried ``\s+\|`` from each character of a run of
    spaces, each scan to the run's end: quadratic in the run (20,000 spaces, one second).
    Here each run is looked at once: it ends at a ``|`` or it does not.
    """
    if "|" not in line:
        return _TABS.split(line)  # the other two alternatives need a "|"
    cells: list[str] = []
    start = pos = 0
    while (found := _SEPARATOR_START.search(line, pos)) is not None:
        at = found.start()
        if line[at] == "|":  # "|" then whitespace (\s*\|\s+ with no space before)
            pos = _end(_SPACES, line, at + 1)
            cells.append(line[start:at])
            start = pos
            continue
        run_end = _end(_SPACES, line, at)
        pipe_follows = line.startswith("|", run_end)
        pos = at
        while pos < run_end:
            if line[pos] == "\t":  # \t+ comes first, wherever the run leads
                cells.append(line[start:pos])
                start = pos = _end(_TABS, line, pos)
            elif pipe_follows:  # \s+\|\s*: the rest of the run, the "|", the next run
                cells.append(line[start:pos])
                start = pos = _end(_SPACES, line, run_end + 1)
            else:  # no separator starts at a space of a run that ends short of a "|"
                tab = line.find("\t", pos, run_end)
                pos = run_end if tab < 0 else tab
    cells.append(line[start:])
    return cells


_LOCAL_PART = re.compile(r"[\w.+'-]+")
ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def addresses_in(text: str) -> list[str]:
    """``ADDRESS.findall(text)``: the e-mail addresses written anywhere in ``text``.

    The regex, from each character of a run of word characters with no "@" after it, read
    the run to its end: quadratic in the run. An address can only start where a run does
    (or where the last one found ended), and a run not followed by "@" and a domain holds
    none: each run is tried once, from its start.
    """
    found: list[str] = []
    pos = 0
    while (run := _LOCAL_PART.search(text, pos)) is not None:
        address = ADDRESS.match(text, run.start()) if text.startswith("@", run.end()) else None
        if address is None:
            pos = run.end()
            continue
        found.append(address.group())
        pos = address.end()
    return found


_BREAK = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines breaks
_LINE = re.compile(rf"[^{_BREAK}]*(?:\r\n|[{_BREAK}])?")
_LINE_BREAKS = re.compile(r"[\r\n]*")


def after_line_breaks(text: str, pos: int) -> int:
    """Where ``text[pos:].lstrip("\\r\\n")`` starts in ``text``."""
    return _end(_LINE_BREAKS, text, pos)


def lines_from(text: str, pos: int) -> Iterator[tuple[str, int]]:
    """``text[pos:].lstrip("\\r\\n").splitlines(keepends=True)``, each with where it ends.

    Lazily: a caller that reads the first few lines of the rest, after each of many places
    in one text, copied and split the whole rest each time (quadratic in the places).
    """
    pos = after_line_breaks(text, pos)
    while pos < len(text):
        end = _end(_LINE, text, pos)
        yield text[pos:end], end
        pos = end
