"""The cyclic garbage collector held off while many short-lived objects are made at once.

A large report makes tens of thousands of small containers (rows while it is parsed, models
while its JSON is written), and the collector re-scans them, and every object of the process
not frozen, over and over: a tenth of a 10,000-row parse in-process, and of its JSON output.
Neither makes cycles worth collecting early; what each makes is freed by reference counting.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off for the duration, then on again, if this is the only thread.

    The switch is process-wide: the mailbox downloads ahead in worker threads while a
    message is parsed, and those keep their collector. Never held across a ``yield`` to a
    caller: a consumer that stops reading must not leave it off.
    """
    if threading.active_count() > 1 or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
