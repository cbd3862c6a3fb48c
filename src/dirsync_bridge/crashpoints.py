"""Crash points for the crash-safety tests: the process kills itself where a test asks.

``DIRSYNC_BRIDGE_CRASH_AT=<point>:<n>`` makes the n-th passage through ``<point>`` end the
process with SIGKILL, exactly as a power cut or the OOM killer would: no cleanup, no
flush. ``<point>:<n>:<SIGNAL>`` sends that signal instead (``SIGINT``, ``SIGTERM``): a real
signal, handled as one sent by a person or by systemd, at the exact moment a test wants.
Unset (always, outside the tests), a crash point costs one dictionary lookup.
"""

from __future__ import annotations

import atexit
import os
import signal

ENV_VAR = "DIRSYNC_BRIDGE_CRASH_AT"
_passages: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here if the environment says so (see the module docstring)."""
    wanted = os.environ.get(ENV_VAR)
    if not wanted:
        return
    point, _, rest = wanted.partition(":")
    if point != name:
        return
    count, _, signal_name = rest.partition(":")
    _passages[name] = _passages.get(name, 0) + 1
    if _passages[name] == int(count or "1"):
        os.kill(os.getpid(), signal.Signals[signal_name or "SIGKILL"])


def at_exit(name: str) -> None:
    """A crash point passed while the interpreter exits, after the command has ended.

    Registered only when the environment names it: a signal that arrives that late must
    change nothing, and a test needs an exact moment to prove it.
    """
    if os.environ.get(ENV_VAR, "").partition(":")[0] == name:
        atexit.register(crash_point, name)
