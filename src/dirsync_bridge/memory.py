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
    """Keep glibc mapping blocks of 1 MiB and more apart, as a pass or a parse begins.

    Left to itself, glibc raises that threshold to the size of the largest block freed (a
    message's bytes): a later message's large blocks then come from the heap, in pieces it
    keeps. Measured with 25 MiB reports (``bench/memory_bench.py``): ``parse --format json``
    of one 4.2x the message, of three in one run 4.6-5.5x; with the threshold kept, 3.5x and
    3.6x; ``replay`` 3.6x, and 3 more days in one run 3.8x. At glibc's default (128 KiB)
    the figures were the same, but every block of a typical report above it was mapped and
    unmapped: the 10,000-row parse as a whole process took some 3% longer.
    """
    if _MALLOPT is not None:
        _MALLOPT(M_MMAP_THRESHOLD, LARGE_BLOCK)


LARGE_BLOCK = 1024 * 1024
"""Blocks from this size up are mapped apart (``map_large_blocks_apart``)."""


def give_back_memory() -> None:
    """Hand the memory freed by the last message back to the system (glibc's ``malloc_trim``).

    glibc keeps what a large message freed in its heap, in pieces, and raises its threshold
    for mapping large blocks to that message's size: the next large message then peaked
    higher, measured +5 MiB a 11 MiB message, 1.12x one message for three in one run
    (``bench/memory_bench.py``); trimmed after each, 1.06x.
    """
    if _TRIM is not None:
        _TRIM(0)
