"""Memory a large message leaves behind, handed back to the system (glibc's allocator).

A 25 MiB report's rows, models and output are freed once it is done, but glibc keeps what
it freed in its heap, in pieces, and raises its threshold for mapping large blocks apart to
the size of the largest block freed: the next large message then peaks higher. Used by every
command that reads many messages in one run (``pipeline.run_pass``, ``parse``).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import cast

TRIM_AFTER_BYTES = 1024 * 1024
"""A message this large leaves enough freed memory behind to be worth giving back."""


M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter: blocks from this size up are mapped apart, and unmapped
when freed."""


def _glibc(name: str) -> Callable[..., int] | None:
    try:
        return cast(Callable[..., int], getattr(ctypes.CDLL(None), name))
    except (AttributeError, OSError):  # not glibc: its allocator gives memory back itself
        return None


_TRIM = _glibc("malloc_trim")
_MALLOPT = _glibc("mallopt")


def map_large_blocks_apart() -> None:
    """Keep glibc mapping blocks of 128 KiB and more apart (its default), as a pass begins.

    Left to itself, glibc raises that threshold to the size of the largest block freed (a
    message's bytes): a later message's large blocks then come from the heap, in pieces it
    keeps. Measured with 11 MiB reports (``bench/memory_bench.py``): one replay 4.4x the
    message, three in a run 1.06x one; with the threshold kept, 3.9x and 1.05x.
    """
    if _MALLOPT is not None:
        _MALLOPT(M_MMAP_THRESHOLD, 128 * 1024)


def give_back_memory() -> None:
    """Hand the memory freed by the last message back to the system (glibc's ``malloc_trim``).

    glibc keeps what a large message freed in its heap, in pieces, and raises its threshold
    for mapping large blocks to that message's size: the next large message then peaked
    higher, measured +5 MiB a 11 MiB message, 1.12x one message for three in one run
    (``bench/memory_bench.py``); trimmed after each, 1.06x.
    """
    if _TRIM is not None:
        _TRIM(0)
