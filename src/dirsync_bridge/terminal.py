"""Text from outside shown on a terminal: its control characters escaped, never obeyed;
and a pass's progress bar (``ProgressBar``), on a terminal only.

A report's identity, tenant or error text, a server's answer, a file name: any of them can
hold an escape sequence (``ESC ] 0 ; title BEL`` sets the window title, ``ESC [ 2 J``
clears the screen, others have rewritten the clipboard or hidden text). Every table and
every human log line shows such text through ``shown``: the C0 controls (newlines and
tabs included: one event, one line), DEL, the C1 controls (8-bit ``CSI``), the line
and paragraph separators and the bidi controls (marks, embeddings, overrides, isolates:
``\\u202e`` draws ``moc.lacol@fdp.exe`` as ``exe.pdf@local.com``) become backslash
escapes, ``\\x1b``, ``\\u2028``, ``\\u202e``. The stored values keep them. JSON output
needs none of this: ``json.dumps`` escapes the C0 controls, and a JSON reader does not obey
the others.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
from typing import Any, Final, TextIO

_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029"  # C0, DEL, C1; the line and paragraph separators
    r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"  # bidi marks, overrides, isolates
)
CLIPPED_WIDTH: Final = 80
"""Tables written anywhere but a terminal (a file, a pipe, cron's mail) fit 80 columns."""
_NARROWEST: Final = 40


def shown(text: str) -> str:
    """``text`` with every control character written as ``\\xNN`` (``\\uNNNN`` past U+00FF)."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    # The line and paragraph separators (U+2028, U+2029) break a line on many terminals
    # and log viewers: one event, one line. The bidi controls reorder what follows them.
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


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


class ProgressBar:
    """A pass's progress on a terminal's stderr: a bar, the count out of the total, the ETA.

    A ``Progress`` (``ports``). The total grows as the sources learn it (``expect``): a
    replay counts its files before reading one, and an mbox's messages once it is indexed;
    ``run`` counts the messages the mailbox listing holds, then the errors Graph's scan found.
    The bar is tqdm's (its ETA from the first step on, where click's waits a second; a total
    that may grow), loaded only when a bar is drawn. Log lines met meanwhile are written
    above the bar rather than through it, and the bar is erased when the pass ends, before
    its summary.
    """

    def __init__(self, label: str) -> None:
        """Nothing is drawn until the first ``expect`` or ``advance``."""
        self._label = label
        self._bar: Any = None
        self._redirect: contextlib.ExitStack | None = None
        self._steps = 0

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def expect(self, count: int) -> None:
        """``count`` more items to come."""
        if self._bar is None:
            self._drawn(count)
            return
        self._bar.total += count
        self._bar.refresh()

    def advance(self, source: str, count: int = 1) -> None:
        """``count`` items done, ``source`` the latest (its last part, escaped, clipped)."""
        bar = self._drawn(0)
        self._steps += 1
        name = shown(source).rsplit("/", 1)[-1]
        bar.set_postfix_str(name if len(name) <= 28 else name[:25] + "...", refresh=False)
        bar.update(count)
        if self._steps == 1:
            bar.refresh()  # the first step: the rate, so the ETA, is known from here on

    def close(self) -> None:
        """Erase the bar (and stop writing log lines above it)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._redirect is not None:
            self._redirect.close()
            self._redirect = None

    def _drawn(self, total: int) -> Any:
        if self._bar is None:
            import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            # A terminal that reports no size (a fresh pty, a serial console) gets 80
            # columns, and rows enough for the one bar: tqdm would draw nothing in 0 of
            # either. Others follow the window's width.
            sized = _columns() > 0
            self._bar = tqdm.tqdm(
                total=total,
                desc=self._label,
                unit="item",
                file=sys.stderr,
                leave=False,
                dynamic_ncols=sized,
                ncols=None if sized else 80,
                nrows=20,
                bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                "[{elapsed}, ETA {remaining}{postfix}]",
            )
            self._redirect = contextlib.ExitStack()
            self._redirect.enter_context(logging_redirect_tqdm(tqdm_class=tqdm.tqdm))
        return self._bar


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0
