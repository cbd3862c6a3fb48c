"""The crash-point switch itself: the n-th passage sends the signal asked for (SIGKILL if none)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from dirsync_bridge.crashpoints import ENV_VAR

PASS_TWICE = (
    # SIGINT as Python's own default whatever the test was started under (a background job
    # of a shell without job control inherits it ignored, and Python then keeps it ignored).
    "import signal\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "from dirsync_bridge import crashpoints as faults\n"
    "for n in (1, 2):\n"
    "    faults.crash_point('here')\n"
    "    print('passed', n, flush=True)\n"
)


def passages(wanted: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, ENV_VAR: wanted}
    return subprocess.run(
        [sys.executable, "-c", PASS_TWICE], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("wanted", "returncode", "printed"),
    [
        ("here:2", -signal.SIGKILL, "passed 1\n"),
        ("here:1:SIGTERM", -signal.SIGTERM, ""),
        ("here:2:SIGINT", -signal.SIGINT, "passed 1\n"),  # Python re-raises it at exit
        ("elsewhere:1", 0, "passed 1\npassed 2\n"),
    ],
)
def test_the_nth_passage_sends_the_signal(wanted: str, returncode: int, printed: str) -> None:
    done = passages(wanted)
    assert (done.returncode, done.stdout) == (returncode, printed)
